/**
 * A signal mid-run removes the -o temp file and exits 128 + the signal number: SIGHUP 129, SIGINT 130,
 * SIGQUIT 131, SIGTERM 143. The runs read stdin, which stays open, so they are mid-read when signalled.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ENTRY, MAP_PATH, spawnOpen } from './output-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('signals', () => {
  it('SIGHUP 129, SIGINT 130, SIGQUIT 131, SIGTERM 143: the temp file removed, no output', async () => {
    const trace = gunzipSync(readFileSync(ENTRY));
    const runs = (
      [
        ['SIGHUP', 129],
        ['SIGINT', 130],
        ['SIGQUIT', 131],
        ['SIGTERM', 143],
      ] as const
    ).map(([sig, code]) => {
      const out = mkdtempSync(join(dir, `${sig}-`));
      const r = spawnOpen(['self-time', '-', '--map', MAP_PATH, '-q', '-o', join(out, 'self.csv')]);
      r.p.stdin!.write(trace.subarray(0, trace.length >> 1));
      return { sig, code, out, r };
    });
    for (const { sig, out } of runs) {
      const t0 = Date.now();
      while (!readdirSync(out).some((f) => f.endsWith('.tmp')) && Date.now() - t0 < 15_000) await new Promise((ok) => setTimeout(ok, 50));
      expect([sig, readdirSync(out).filter((f) => f.endsWith('.tmp')).length]).toEqual([sig, 1]);
    }
    await new Promise((ok) => setTimeout(ok, 300));
    for (const { sig, r } of runs) r.p.kill(sig);
    for (const { sig, code, out, r } of runs) {
      const got = await r.closed;
      expect([sig, got.code, got.signal, readdirSync(out)]).toEqual([sig, code, null, []]);
    }
  });
});
