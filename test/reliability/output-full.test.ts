/**
 * Output on a full disk: every byte is written (a short write is continued) or the run ends with one
 * line naming the output ("FILE: no space left on device", "standard output: ..."), exit 2, and no
 * -o file or temp file left behind; an existing -o file is left as it was. Tested with a stand-in for
 * write (short writes, then ENOSPC and other errors: no mount needed) and with a 64 KiB tmpfs (skipped
 * with a message when mount is not permitted), and with a scratch /dev/full node as stdout.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openOutput, setWriteForTesting } from '../../src/output/sink.js';
import { ENTRY, MAP_PATH, USERSPACE, expectLine, inproc, run, scratchDevice } from './output-helpers.js';
import { cli } from '../helpers.js';

/** 120,000 events: its report JSON is 16 KB (the user-space sample's 146 KB, and five times the reading). */
const START = new URL('../../samples/start-kernel-120k.log.gz', import.meta.url).pathname;

const dir = mkdtempSync(join(tmpdir(), 'bootprof-full-'));
const errnoError = (code: string, text: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: ${text}, write`), { code, syscall: 'write', errno: -28 });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a stand-in for write: short writes and errors, no mount needed', () => {
  afterEach(() => setWriteForTesting(null));

  it('short writes are continued until every byte is written (the sink, and self-time -o in-process)', async () => {
    let calls = 0;
    setWriteForTesting((fd, buf, off, len) => writeSync(fd, buf, off, Math.min(len, 1 + (calls++ % 5) * 37)));
    const text = 'x'.repeat(10_000) + 'é\n';
    const p = join(dir, 'short.txt');
    const out = openOutput(p);
    await out.write(text);
    await out.write(Buffer.from([0xe9, 0x00, 0x0a]));
    await out.close();
    expect(readFileSync(p)).toEqual(Buffer.concat([Buffer.from(text), Buffer.from([0xe9, 0x00, 0x0a])]));
    expect(calls).toBeGreaterThan(100);

    setWriteForTesting(null);
    const ref = join(dir, 'ref.csv');
    expect((await inproc(['self-time', ENTRY, '--map', MAP_PATH, '-f', 'csv', '-q', '-o', ref])).code).toBe(0);
    calls = 0;
    setWriteForTesting((fd, buf, off, len) => writeSync(fd, buf, off, Math.min(len, 1 + (calls++ % 5) * 37)));
    const got = join(dir, 'got.csv');
    expect((await inproc(['self-time', ENTRY, '--map', MAP_PATH, '-f', 'csv', '-q', '-o', got])).code).toBe(0);
    expect(readFileSync(got, 'utf8')).toBe(readFileSync(ref, 'utf8'));
    rmSync(ref);
    rmSync(got);
    rmSync(p);
  });

  it('short writes, then ENOSPC: one line, exit 2, no file and no temp file; an old -o file untouched', async () => {
    const failing = (): void => {
      let calls = 0;
      setWriteForTesting((fd, buf, off, len) => {
        if (calls++ < 2) return writeSync(fd, buf, off, Math.min(len, 100));
        throw errnoError('ENOSPC', 'no space left on device');
      });
    };
    const sub = mkdtempSync(join(dir, 'enospc-'));
    const p = join(sub, 'self.csv');
    failing();
    expectLine(await inproc(['self-time', ENTRY, '--map', MAP_PATH, '-f', 'csv', '-q', '-o', p]), 2, `bootprof: ${p}: no space left on device`);
    expect(readdirSync(sub)).toEqual([]);
    const old = join(sub, 'report.json');
    writeFileSync(old, 'the old output\n');
    failing();
    expectLine(await inproc(['report', ENTRY, '--map', MAP_PATH, '-f', 'json', '-q', '-o', old]), 2, `bootprof: ${old}: no space left on device`);
    expect(readdirSync(sub)).toEqual(['report.json']);
    expect(readFileSync(old, 'utf8')).toBe('the old output\n');
  });

  it('other write errors (EDQUOT, EFBIG, EIO) are one line too; discard() removes the temp file', async () => {
    const sub = mkdtempSync(join(dir, 'errors-'));
    for (const [code, text] of [
      ['EDQUOT', 'disk quota exceeded'],
      ['EFBIG', 'file too large'],
      ['EIO', 'input/output error'],
    ]) {
      setWriteForTesting(() => {
        throw errnoError(code, 'whatever the system says');
      });
      const p = join(sub, `${code}.txt`);
      const out = openOutput(p);
      await expect(out.write('abc')).rejects.toThrow(`${p}: ${text}`);
      expect(readdirSync(sub)).toEqual([]);
    }
    setWriteForTesting(null);
    const out = openOutput(join(sub, 'abandoned.txt'));
    await out.write('half');
    expect(readdirSync(sub)).toHaveLength(1);
    out.discard();
    expect(readdirSync(sub)).toEqual([]);
  });
});

describe('a small tmpfs', () => {
  const mnt = join(dir, 'small');
  mkdirSync(mnt);
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { encoding: 'utf8' });
  const mounted = mount.status === 0;
  if (!mounted) console.warn(`output-full: tmpfs tests skipped: mount -t tmpfs is not permitted here (${(mount.stderr || String(mount.error)).trim()})`);
  afterAll(() => {
    if (mounted) spawnSync('umount', [mnt]);
  });

  // -o runs in this process (the tmpfs is as full for it; a spawn adds nothing to a write to a
  // path); stdout into a file on the tmpfs needs a process of its own
  let selfRef = '';
  beforeAll(async () => {
    if (!mounted) return;
    selfRef = (await cli('self-time', USERSPACE, '--map', MAP_PATH, '-f', 'csv', '-q')).out;
    expect(selfRef.length).toBeGreaterThan(40_000);
  });

  /** Empties the tmpfs, then fills it until `bytes` are free. */
  function leaveFree(bytes: number): void {
    for (const f of readdirSync(mnt)) rmSync(join(mnt, f));
    const s = statfsSync(mnt);
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(s.bavail * s.bsize - bytes));
    const t = statfsSync(mnt);
    expect(t.bavail * t.bsize).toBe(bytes);
  }

  it.skipIf(!mounted)('12 KiB free: -o and stdout to a file end with one line, exit 2, no -o file (the CSV is 45 KB)', async () => {
    leaveFree(12 * 1024);
    const p = join(mnt, 'self.csv');
    expectLine(await inproc(['self-time', USERSPACE, '--map', MAP_PATH, '-q', '-o', p]), 2, `bootprof: ${p}: no space left on device`);
    expect(readdirSync(mnt)).toEqual(['filler']);
    const x = join(mnt, 'x.csv');
    expectLine(run(['self-time', USERSPACE, '--map', MAP_PATH, '-f', 'csv', '-q'], { stdoutTo: x }), 2, 'bootprof: standard output: no space left on device');
  });

  it.skipIf(!mounted)('4 KiB free: report -f json (16 KB) fails whole, by -o and by stdout; the old -o file is kept', async () => {
    leaveFree(4 * 1024);
    const j = join(mnt, 'report.json');
    expectLine(await inproc(['report', START, '--map', MAP_PATH, '-f', 'json', '-q', '-o', j]), 2, `bootprof: ${j}: no space left on device`);
    expect(readdirSync(mnt)).toEqual(['filler']);
    const x = join(mnt, 'x.json');
    expectLine(run(['report', START, '--map', MAP_PATH, '-f', 'json', '-q'], { stdoutTo: x }), 2, 'bootprof: standard output: no space left on device');
    rmSync(x);
    writeFileSync(j, 'old');
    expectLine(await inproc(['report', START, '--map', MAP_PATH, '-f', 'json', '-q', '-o', j]), 2, `bootprof: ${j}: no space left on device`);
    expect(readdirSync(mnt).sort()).toEqual(['filler', 'report.json']);
    expect(readFileSync(j, 'utf8')).toBe('old');
  });

  it.skipIf(!mounted)('0 bytes free: one line, exit 2 (not 70 with a stack trace), by -o and by stdout', async () => {
    leaveFree(0);
    const p = join(mnt, 'self.csv');
    expectLine(await inproc(['self-time', USERSPACE, '--map', MAP_PATH, '-q', '-o', p]), 2, `bootprof: ${p}: no space left on device`);
    expect(readdirSync(mnt)).toEqual(['filler']);
  });

  it.skipIf(!mounted)('room enough: -o output equals stdout output byte for byte', async () => {
    leaveFree(60 * 1024);
    const p = join(mnt, 'self.csv');
    expect((await inproc(['self-time', USERSPACE, '--map', MAP_PATH, '-f', 'csv', '-q', '-o', p])).code).toBe(0);
    expect(readFileSync(p, 'utf8')).toBe(selfRef);
  });
});

describe('stdout on a character device that is always full (a scratch /dev/full node)', () => {
  const full = scratchDevice(dir, 'full', 1, 7);
  if (!full) console.warn('output-full: /dev/full tests skipped: mknod is not permitted here');
  it.skipIf(!full)('> full: one line "standard output: no space left on device", exit 2 (not an uncaught stack trace)', () => {
    expectLine(run(['self-time', ENTRY, '--map', MAP_PATH, '-f', 'csv', '-q'], { stdoutTo: full! }), 2, 'bootprof: standard output: no space left on device');
    expectLine(run(['info', ENTRY, '--map', MAP_PATH, '-q'], { stdoutTo: full! }), 2, 'bootprof: standard output: no space left on device');
  });
});
