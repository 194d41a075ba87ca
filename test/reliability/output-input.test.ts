/**
 * -o onto an input is refused before anything is read and without touching the file: the trace,
 * each --map and --vmlinux file, the System.map found beside the trace, stdin redirected from the
 * file, and stdout appended to the trace; by path, through a symlink or through a hard link. One
 * line, exit 1.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { systemMapText } from '../formats-helpers.js';
import { BIN, ENTRY, MAP_PATH, expectLine, inproc, run, spawnOpen } from './output-helpers.js';
import { smallMapText } from './gen.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const trace = join(dir, 'in.log');
writeFileSync(trace, gunzipSync(readFileSync(ENTRY)));
const map = join(dir, 'small.map');
writeFileSync(map, smallMapText(systemMapText()));
const refused = (o: string): string => `bootprof: -o ${o} is the input trace (or map); choose another output file`;

/** Size, inode, mtime and a digest of the bytes: "not touched". */
function fingerprint(p: string): string {
  const st = statSync(p);
  return `${st.size}:${st.ino}:${st.mtimeMs}:${readFileSync(p).toString('base64').length}:${readFileSync(p).subarray(0, 200).toString('latin1')}`;
}

describe('-o onto an input', () => {
  it('the trace, by path, through a symlink and through a hard link: refused, the trace untouched (every command)', async () => {
    const link = join(dir, 'link.log');
    symlinkSync(trace, link);
    const hard = join(dir, 'hard.log');
    linkSync(trace, hard);
    const before = fingerprint(trace);
    for (const cmd of ['self-time', 'report', 'timeline', 'syscalls', 'resolve', 'info', 'flamegraph', 'initcalls']) {
      for (const o of [trace, link, hard]) expectLine(await inproc([cmd, trace, '--map', map, '-q', '-o', o]), 1, refused(o), `${cmd} -o ${o}`);
    }
    expectLine(await inproc(['self-time', link, '--map', map, '-q', '-o', hard]), 1, refused(hard), 'link in, hard link out');
    expect(fingerprint(trace)).toBe(before);
  });

  it('a --map, a --vmlinux, the System.map beside the trace: refused, untouched', async () => {
    const before = fingerprint(map);
    expectLine(await inproc(['self-time', trace, '--map', MAP_PATH, '--map', map, '-q', '-o', map]), 1, refused(map), '--map');
    expectLine(await inproc(['self-time', trace, '--vmlinux', map, '-q', '-o', map]), 1, refused(map), '--vmlinux');
    expect(fingerprint(map)).toBe(before);
    const sub = join(dir, 'beside');
    mkdirSync(sub);
    const t = join(sub, 'trace.log');
    const m = join(sub, 'System.map-6.1');
    copyFileSync(trace, t);
    copyFileSync(map, m);
    const mb = fingerprint(m);
    expectLine(await inproc(['self-time', t, '-q', '-o', m]), 1, refused(m), 'the map beside the trace');
    expect(fingerprint(m)).toBe(mb);
  });

  it('before anything is read: a --map as -o with stdin left open ends at once', async () => {
    const r = spawnOpen(['self-time', '-', '--map', map, '-o', map]);
    const got = await Promise.race([r.closed, new Promise<null>((ok) => setTimeout(() => ok(null), 8_000))]);
    if (got === null) r.p.kill('SIGKILL');
    expect([got?.code, got?.err.trim()]).toEqual([1, refused(map)]);
  });

  it('stdin redirected from the -o file, stdout appended to the trace: refused, untouched (the real binary)', () => {
    const before = fingerprint(trace);
    const fd = openSync(trace, 'r');
    try {
      const r = spawnSync('node', [BIN, 'self-time', '-', '--map', map, '-q', '-o', trace], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
      expectLine({ code: r.status, out: r.stdout, err: r.stderr }, 1, refused(trace), '< trace -o trace');
    } finally {
      closeSync(fd);
    }
    const r = run(['self-time', trace, '--map', map, '-q', '-f', 'csv'], { stdoutTo: trace, stdoutFlags: 'a' });
    expectLine(r, 1, 'bootprof: standard output is the input trace (or map); choose another output file', '>> trace');
    expect(fingerprint(trace)).toBe(before);
  });

  it('another file is still fine', async () => {
    const o = join(dir, 'out.csv');
    expect((await inproc(['self-time', trace, '--map', map, '-q', '-o', o])).code).toBe(0);
    expect(readFileSync(o, 'utf8')).toMatch(/^function,self_ns/);
  });
});
