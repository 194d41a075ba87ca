/**
 * What `-o` does to what is already there: a directory is refused before the trace is read; a long
 * (valid) file name works; devices, FIFOs and fd aliases (/dev/stdout) are written through, never
 * replaced by a regular file; a symlink's target is replaced atomically and the link stays a link;
 * a replaced file keeps its mode and owner; a file with hard links is rewritten in place.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTRY, MAP_PATH, expectLine, inproc, run, scratchDevice, spawnOpen } from './output-helpers.js';

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

describe('devices, FIFOs and fd aliases are written through, never replaced', () => {
  const sub = mkdtempSync(join(dir, 'dev-'));
  const devNull = scratchDevice(sub, 'null', 1, 3);
  const devFull = scratchDevice(sub, 'full', 1, 7);
  // major 240: reserved for local use, no driver: opening it could only fail
  const devBlock = scratchDevice(sub, 'block', 240, 0, 'b');
  if (!devNull || !devFull || !devBlock) console.warn('output-targets: device tests skipped: mknod is not permitted here');

  it.skipIf(!devNull)('a character device: written to, still the same device (null: exit 0; full: one line, exit 2)', () => {
    const rdev = statSync(devNull!).rdev;
    expect(run(['self-time', ...ARGS, '-o', devNull!])).toEqual({ code: 0, signal: null, out: '', err: '' });
    expect([lstatSync(devNull!).isCharacterDevice(), statSync(devNull!).rdev]).toEqual([true, rdev]);
    expectLine(run(['self-time', ...ARGS, '-o', devFull!]), 2, `bootprof: ${devFull}: no space left on device`);
    expect(lstatSync(devFull!).isCharacterDevice()).toBe(true);
    expect(readdirSync(sub).sort()).toEqual(['block', 'full', 'null']);
  });

  it.skipIf(!devBlock)('a block device: refused, one line, exit 2, nothing opened', () => {
    expectLine(run(['self-time', ...ARGS, '-o', devBlock!]), 2, `bootprof: ${devBlock}: cannot write output (is a block device)`);
    expect(lstatSync(devBlock!).isBlockDevice()).toBe(true);
  });

  it('a FIFO: written through to its reader (cat FIFO > out started first); still a FIFO', async () => {
    const fifo = join(sub, 'fifo');
    const out = join(sub, 'from-fifo.csv');
    const mk = await new Promise<number | null>((ok) => spawn('mkfifo', [fifo]).on('close', ok));
    expect(mk).toBe(0);
    const cat = spawn('sh', ['-c', `cat "${fifo}" > "${out}"`]);
    const catDone = new Promise<number | null>((ok) => cat.on('close', ok));
    const r = spawnOpen(['self-time', ...ARGS, '-o', fifo]);
    r.p.stdin!.end();
    const got = await Promise.race([r.closed, new Promise<null>((ok) => setTimeout(() => ok(null), 8_000))]);
    const catCode = await Promise.race([catDone, new Promise<string>((ok) => setTimeout(() => ok('cat still waiting'), 2_000))]);
    if (catCode === 'cat still waiting') cat.kill('SIGKILL');
    if (got === null) r.p.kill('SIGKILL');
    expect([got?.code, got?.err, catCode]).toEqual([0, '', 0]);
    expect(readFileSync(out, 'utf8')).toBe(ref);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('an fd alias (a link to /dev/stdout, /proc/self/fd/1): written to stdout; a file behind it keeps its inode and, opened for append, its content', () => {
    const link = join(sub, 'stdout-link');
    symlinkSync('/dev/stdout', link);
    const piped = run(['self-time', ...ARGS, '-o', link]);
    expect([piped.code, piped.err, piped.out === ref]).toEqual([0, '', true]);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const file = join(sub, 'stdout.csv');
    writeFileSync(file, 'before\n');
    const ino = statSync(file).ino;
    const r = run(['self-time', ...ARGS, '-o', '/proc/self/fd/1'], { stdoutTo: file, stdoutFlags: 'a' });
    expect([r.code, r.err]).toEqual([0, '']);
    expect([statSync(file).ino, readFileSync(file, 'utf8') === 'before\n' + ref]).toEqual([ino, true]);
    expect(readdirSync(sub).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('existing files', () => {
  it('through a symlink: the target is replaced (temp beside the target), the link stays a link; a dangling link gets its target', async () => {
    const a = mkdtempSync(join(dir, 'link-'));
    const b = mkdtempSync(join(dir, 'target-'));
    const target = join(b, 'real.csv');
    writeFileSync(target, 'old\n');
    chmodSync(target, 0o640);
    const link = join(a, 'out.csv');
    symlinkSync(target, link);
    expect((await inproc(['self-time', ...ARGS, '-o', link])).code).toBe(0);
    expect([lstatSync(link).isSymbolicLink(), readFileSync(target, 'utf8') === ref, statSync(target).mode & 0o777]).toEqual([true, true, 0o640]);
    expect([readdirSync(a), readdirSync(b)]).toEqual([['out.csv'], ['real.csv']]);
    const dangling = join(a, 'dangling.csv');
    symlinkSync('../' + b.split('/').pop() + '/new.csv', dangling);
    expect((await inproc(['self-time', ...ARGS, '-o', dangling])).code).toBe(0);
    expect([lstatSync(dangling).isSymbolicLink(), readFileSync(join(b, 'new.csv'), 'utf8') === ref]).toEqual([true, true]);
    expect(readdirSync(b).sort()).toEqual(['new.csv', 'real.csv']);
  });

  it('a replaced file keeps its mode (and, as root, its owner and group)', async () => {
    const sub = mkdtempSync(join(dir, 'mode-'));
    const p = join(sub, 'out.csv');
    writeFileSync(p, 'old\n');
    chmodSync(p, 0o600);
    const root = process.getuid?.() === 0;
    if (root) chownSync(p, 1234, 5678);
    expect((await inproc(['self-time', ...ARGS, '-o', p])).code).toBe(0);
    const st = statSync(p);
    expect([readFileSync(p, 'utf8') === ref, st.mode & 0o7777]).toEqual([true, 0o600]);
    if (root) expect([st.uid, st.gid]).toEqual([1234, 5678]);
    chmodSync(p, 0o2755);
    expect((await inproc(['self-time', ...ARGS, '-o', p])).code).toBe(0);
    expect(statSync(p).mode & 0o7777).toBe(0o2755);
  });

  it('a file with another hard link is rewritten in place: both names see the output, one inode; untouched until the first write', async () => {
    const sub = mkdtempSync(join(dir, 'hard-'));
    const p = join(sub, 'a.csv');
    const q = join(sub, 'b.csv');
    writeFileSync(p, 'old\n');
    linkSync(p, q);
    const ino = statSync(p).ino;
    expect((await inproc(['self-time', ...ARGS, '-o', p])).code).toBe(0);
    expect([readFileSync(q, 'utf8') === ref, statSync(p).ino, statSync(q).ino, statSync(p).nlink]).toEqual([true, ino, ino, 2]);
    // a run that fails before writing leaves the old content
    writeFileSync(p, 'kept\n');
    expect((await inproc(['self-time', join(sub, 'missing.log'), '--map', MAP_PATH, '-q', '-o', p])).code).toBe(2);
    expect(readFileSync(q, 'utf8')).toBe('kept\n');
    expect(readdirSync(sub).sort()).toEqual(['a.csv', 'b.csv']);
  });
});

describe('bytes', () => {
  it('resolve -o writes the same bytes as resolve to stdout (a symbol name with bytes >= 0x80 and NUL)', () => {
    const sub = mkdtempSync(join(dir, 'bytes-'));
    const map = join(sub, 'map');
    writeFileSync(map, Buffer.concat([Buffer.from('ffffffff81000000 T caf'), Buffer.from([0xe9, 0x00, 0xff]), Buffer.from('_fn\nffffffff81001000 T other\n')]));
    const trace = join(sub, 't.log');
    writeFileSync(trace, '1@1.000000000:exec_tb tb:0x1 pc=0xffffffff81000010\n1@1.000001000:exec_tb tb:0x1 pc=0xffffffff81001000\n');
    const viaStdout = join(sub, 'stdout.txt');
    expect(run(['resolve', trace, '--map', map, '--kaslr', 'off', '-q'], { stdoutTo: viaStdout }).code).toBe(0);
    const viaO = join(sub, 'o.txt');
    expect(run(['resolve', trace, '--map', map, '--kaslr', 'off', '-q', '-o', viaO]).code).toBe(0);
    expect(readFileSync(viaStdout).subarray(0, 14)).toEqual(Buffer.concat([Buffer.from('0 0 caf'), Buffer.from([0xe9, 0x00, 0xff]), Buffer.from('_fn+')]));
    expect(readFileSync(viaO)).toEqual(readFileSync(viaStdout));
  });
});
