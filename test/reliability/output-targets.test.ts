/**
 * What `-o` does to what is already there: a directory is refused before the trace is read; a long
 * (valid) file name works; devices, FIFOs and fd aliases (/dev/stdout) are written through, never
 * replaced by a regular file; a symlink's target is replaced atomically and the link stays a link;
 * a replaced file keeps its mode and owner; a file with hard links is rewritten in place.
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTRY, MAP_PATH, expectLine, inproc, run, spawnOpen } from './output-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-targets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ARGS = [ENTRY, '--map', MAP_PATH, '-f', 'csv', '-q'];
let ref = '';
beforeAll(async () => {
  const p = join(dir, 'ref.csv');
  expect((await inproc(['self-time', ...ARGS, '-o', p])).code).toBe(0);
  ref = readFileSync(p, 'utf8');
  rmSync(p);
});

/** Waits at most `ms` for the run to end; null when it was still running (then it is killed). */
async function endsWithin(r: ReturnType<typeof spawnOpen>, ms: number): Promise<{ code: number | null; err: string } | null> {
  const t = new Promise<null>((resolve) => setTimeout(() => resolve(null), ms));
  const got = await Promise.race([r.closed, t]);
  if (got === null) r.p.kill('SIGKILL');
  return got;
}

describe('a directory as -o', () => {
  it('is refused before the trace is read (stdin left open): one line, exit 2', async () => {
    const d = join(dir, 'a-directory');
    mkdirSync(d);
    const runs = ['self-time', 'report', 'resolve'].map((cmd) => ({ cmd, r: spawnOpen([cmd, '-', '--map', MAP_PATH, '-o', d]) }));
    for (const { cmd, r } of runs) {
      const got = await endsWithin(r, 8_000);
      expect([cmd, got?.code, got?.err.trim()]).toEqual([cmd, 2, `bootprof: ${d}: cannot write output (is a directory)`]);
    }
    expect(readdirSync(d)).toEqual([]);
  });
});

describe('long file names', () => {
  it('a 254- and a 255-byte name work (the temp file name is shortened when needed)', async () => {
    const sub = mkdtempSync(join(dir, 'long-'));
    for (const n of [254, 255]) {
      const name = 'n'.repeat(n - 4) + '.csv';
      const p = join(sub, name);
      const r = await inproc(['self-time', ...ARGS, '-o', p]);
      expect([n, r.code, r.err]).toEqual([n, 0, '']);
      expect(readFileSync(p, 'utf8')).toBe(ref);
    }
    expect(readdirSync(sub).length).toBe(2);
  });
});
