/**
 * An input cut short (a recording stopped by a killed QEMU or a full disk, a .gz copied while still
 * being written) is read up to its last complete line: the results of that part, one warning naming
 * where it was cut, `truncated: true` in JSON summaries, exit 0; --strict makes a cut gzip fatal.
 * A corrupt gzip member (bad data followed by more, a CRC mismatch) stays an error naming the offset.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';
import { SAMPLES, sampleBytes, systemMapText } from './formats-helpers.js';
import { smallMapText } from './reliability/gen.js';

const BIN = new URL('../bin/bootprof.js', import.meta.url).pathname;
const SAMPLE = SAMPLES + 'userspace-500k.log.gz';
const dir = mkdtempSync(join(tmpdir(), 'bootprof-cut-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** A few hundred symbols of the committed map (syscall entries and handlers included): cheap to load per run. */
const MAP_PATH = join(dir, 'System.map-small');
writeFileSync(MAP_PATH, smallMapText(systemMapText()));

interface Ran {
  code: number;
  out: string;
  err: string;
}

/** The CLI's main() in this process, output through -o (cheap: no spawn, no second map load per process). */
async function inproc(args: string[]): Promise<Ran> {
  const outFile = join(dir, `out-${Math.random().toString(36).slice(2)}.json`);
  const r = await cli(...args, '-o', outFile, '-q');
  let out = '';
  try {
    out = readFileSync(outFile, 'utf8');
  } catch {
    // no output on errors
  }
  return { code: r.code, out, err: r.err };
}

const gz = readFileSync(SAMPLE);
/** What zlib can inflate from a cut stream (Z_SYNC_FLUSH: no error at the end, everything so far). */
const inflatable = (b: Uint8Array): Buffer => gunzipSync(b, { finishFlush: constants.Z_SYNC_FLUSH });
/** The same lines as a plain file: the decompressed prefix up to its last newline. */
function plainPrefix(b: Uint8Array): Buffer {
  return completeLines(inflatable(b));
}
const completeLines = (text: Buffer): Buffer => text.subarray(0, text.lastIndexOf(0x0a) + 1);

/**
 * A cut of the sample, inflated once: the bytes zlib inflates from it, the bytes of its complete
 * lines and a plain file of those lines (made by the cut tests, read again by the others).
 */
interface Cut {
  decompressed: number;
  complete: number;
  prefix: string;
}
const cutOf = new Map<number, Cut>();
function sampleCut(at: number): Cut {
  let c = cutOf.get(at);
  if (c === undefined) {
    const text = inflatable(gz.subarray(0, at));
    const lines = completeLines(text);
    const prefix = join(dir, `prefix-${at}.log`);
    writeFileSync(prefix, lines);
    cutOf.set(at, (c = { decompressed: text.length, complete: lines.length, prefix }));
  }
  return c;
}

/** The summary without what must differ between the cut input and its complete-line prefix. */
function comparable(summary: Record<string, unknown>): Record<string, unknown> {
  const { input: _i, truncated: _t, malformed_lines: _m, lines: _l, ...rest } = summary;
  return rest;
}

const CUTS: [string, number][] = [
  ['50%', Math.floor(gz.length * 0.5)],
  ['90%', Math.floor(gz.length * 0.9)],
  ['the last 4 bytes (ISIZE) removed', gz.length - 4],
  ['the last 8 bytes (the whole trailer) removed', gz.length - 8],
];

describe('a gzip trace cut short is read up to its last complete line', () => {
  /** Reference runs by command and prefix length (the two trailer cuts share the whole text). */
  const refs = new Map<string, Promise<Ran>>();
  for (const [label, at] of CUTS) {
    it(`cut at ${label}: self-time and report JSON equal the plain prefix, one warning, truncated, exit 0`, async () => {
      const cut = join(dir, `cut-${at}.log.gz`);
      writeFileSync(cut, gz.subarray(0, at));
      const { decompressed, complete, prefix: plain } = sampleCut(at);
      const partialLine = decompressed > complete;

      for (const cmd of [
        ['self-time', '--format', 'json'],
        ['report', '--format', 'json'],
      ]) {
        const got = await inproc([...cmd, cut, '--map', MAP_PATH]);
        const key = `${cmd[0]} ${complete}`;
        if (!refs.has(key)) refs.set(key, inproc([...cmd, plain, '--map', MAP_PATH]));
        const ref = await refs.get(key)!;
        expect([cmd[0], got.code, ref.code]).toEqual([cmd[0], 0, 0]);
        const g = JSON.parse(got.out);
        const r = JSON.parse(ref.out);
        expect(g.summary.truncated, cmd[0]).toBe(true);
        expect(r.summary.truncated, cmd[0]).toBe(false);
        expect(r.summary.malformed_lines).toBe(0);
        // the unterminated last line counts as one malformed line, as in a plain file cut mid-line
        expect(g.summary.malformed_lines).toBe(partialLine ? 1 : 0);
        expect(g.summary.lines).toBe(r.summary.lines + (partialLine ? 1 : 0));
        expect(comparable(g.summary)).toEqual(comparable(r.summary));
        if (cmd[0] === 'self-time') expect(g.functions).toEqual(r.functions);
        else for (const k of ['functions', 'syscalls', 'phases', 'milestones']) expect(g[k], k).toEqual(r[k]);
        expect(g.summary.events).toBeGreaterThan(0);

        const cutLines = got.err.split('\n').filter((l) => l.includes('cut short'));
        expect(cutLines, got.err).toEqual([
          `bootprof: ${cut}: input cut short at compressed byte ${at}: the gzip data ends inside a member (${decompressed} bytes decompressed); ` +
            `results cover it up to its last complete line${partialLine ? ` (the incomplete last line, at decompressed byte ${complete}, is skipped)` : ''}; --strict makes this fatal`,
        ]);
        expect(ref.err).not.toMatch(/cut short|malformed/); // (the small map draws a warning of its own)
      }
      if (at === gz.length - 4 || at === gz.length - 8) expect(partialLine).toBe(false); // only the trailer is missing
    });
  }

  it('--strict: exit 2, one line naming the file and the offset, no output', async () => {
    const cut = join(dir, 'strict.log.gz');
    for (const [at, cmd] of [
      [CUTS[0][1], 'report'],
      [gz.length - 4, 'self-time'],
    ] as const) {
      writeFileSync(cut, gz.subarray(0, at));
      {
        const r = await inproc([cmd, cut, '--map', MAP_PATH, '--format', 'json', '--strict']);
        expect([r.code, r.out]).toEqual([2, '']);
        expect(r.err).toBe(
          `bootprof: ${cut}: input cut short at compressed byte ${at}: the gzip data ends inside a member (${sampleCut(at).decompressed} bytes decompressed); --strict refuses a cut input\n`,
        );
      }
    }
  });

  it('stdin: a cut gzip stream behaves the same (the real binary)', async () => {
    const at = CUTS[1][1];
    const { prefix: plain } = sampleCut(at);
    // the two processes run while the reference is made in this one
    const run = (args: string[], input: Buffer) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const p = spawn('node', [BIN, ...args]);
        let stdout = '';
        let stderr = '';
        p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        p.stdin.on('error', () => {});
        p.stdin.end(input);
        p.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    const running = run(['self-time', '-', '--map', MAP_PATH, '--format', 'json', '-q'], gz.subarray(0, at));
    const runningStrict = run(['self-time', '-', '--map', MAP_PATH, '--strict', '-q'], gz.subarray(0, at));
    const ref = await inproc(['self-time', plain, '--map', MAP_PATH, '--format', 'json', '-q', '--threads', '1']); // the reference, in this process
    const got = await running;
    expect([got.status, ref.code]).toEqual([0, 0]);
    const g = JSON.parse(got.stdout);
    expect(g.summary.truncated).toBe(true);
    expect(g.functions).toEqual(JSON.parse(ref.out).functions);
    expect(got.stderr).toContain(`bootprof: stdin: input cut short at compressed byte ${at}: the gzip data ends inside a member`);
    const strict = await runningStrict;
    expect([strict.status, strict.stdout]).toEqual([2, '']);
    expect(strict.stderr).toMatch(/^bootprof: stdin: input cut short at compressed byte \d+: .*; --strict refuses a cut input\n$/);
  });
});

describe('concatenated gzip members', () => {
  const text = sampleBytes('userspace-500k.log.gz');
  const a = text.subarray(0, text.indexOf(0x0a, 3_000_000) + 1);
  const b = text.subarray(a.length, text.indexOf(0x0a, 6_000_000) + 1);
  const c = text.subarray(a.length + b.length, text.indexOf(0x0a, 9_000_000) + 1);
  const [ga, gb, gc] = [gzipSync(a), gzipSync(b), gzipSync(c)];
  const plainAll = join(dir, 'members.log');
  writeFileSync(plainAll, Buffer.concat([a, b, c]));

  it('whole members: the same rows as the plain text, not truncated', async () => {
    const multi = join(dir, 'members.log.gz');
    writeFileSync(multi, Buffer.concat([ga, gb, gc]));
    const got = await inproc(['self-time', multi, '--map', MAP_PATH, '--format', 'json']);
    const ref = await inproc(['self-time', plainAll, '--map', MAP_PATH, '--format', 'json']);
    expect(got.code).toBe(0);
    expect(got.err).not.toMatch(/cut short|malformed/);
    const g = JSON.parse(got.out);
    expect(g.summary.truncated).toBe(false);
    expect(g.functions).toEqual(JSON.parse(ref.out).functions);
    expect(comparable(g.summary)).toEqual(comparable(JSON.parse(ref.out).summary));
  });

  it('the last member cut: read up to its last complete line', async () => {
    const cut = join(dir, 'members-cut.log.gz');
    const bytes = Buffer.concat([ga, gb, gc.subarray(0, gc.length >> 1)]);
    writeFileSync(cut, bytes);
    const plain = join(dir, 'members-cut.log');
    writeFileSync(plain, plainPrefix(bytes));
    const got = await inproc(['self-time', cut, '--map', MAP_PATH, '--format', 'json']);
    const ref = await inproc(['self-time', plain, '--map', MAP_PATH, '--format', 'json']);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.out).summary.truncated).toBe(true);
    expect(JSON.parse(got.out).functions).toEqual(JSON.parse(ref.out).functions);
    expect(got.err).toContain(`input cut short at compressed byte ${bytes.length}: the gzip data ends inside a member`);
  });

  it('a corrupt member in the middle, a CRC mismatch: exit 2, one line naming the byte range', async () => {
    const bad = Buffer.from(gb);
    const at = ga.length + (gb.length >> 1);
    for (let k = 0; k < 16; k++) bad[(gb.length >> 1) + k] ^= 0x5a;
    const crc = Buffer.from(gb);
    crc[crc.length - 8] ^= 1; // the member's CRC-32
    for (const [label, member, where] of [
      ['bad data', bad, at],
      ['CRC mismatch', crc, ga.length + gb.length - 8],
    ] as const) {
      const path = join(dir, `corrupt-${label.replace(' ', '-')}.log.gz`);
      writeFileSync(path, Buffer.concat([ga, member, gc]));
      for (const cmd of ['self-time', 'report']) {
        const r = await inproc([cmd, path, '--map', MAP_PATH, '--format', 'json']);
        expect([label, cmd, r.code, r.out]).toEqual([label, cmd, 2, '']);
        const m = /^bootprof: (.*): corrupt gzip data \((.*)\), detected between compressed bytes (\d+) and (\d+)\n$/.exec(r.err);
        expect(m, r.err).not.toBeNull();
        expect(m![1]).toBe(path);
        // zlib finds bad data where it stops decoding, at or after the damage, within the bad member
        const [lo, hi] = [Number(m![3]), Number(m![4])];
        const memberEnd = ga.length + gb.length;
        expect(where < hi && lo < memberEnd, `${label}: ${lo}..${hi} (damage at ${where}, member ends at ${memberEnd})`).toBe(true);
        expect(hi - lo, 'a short range').toBeLessThan(200_000);
        if (label === 'CRC mismatch') expect(m![2]).toBe('incorrect data check');
      }
    }
  });
});

describe('a plain file whose last line has no newline is truncated too', () => {
  const text = sampleBytes('userspace-500k.log.gz').subarray(0, 2_000_000);
  const end = text.lastIndexOf(0x0a) + 1;
  const cut = join(dir, 'plain-cut.log');
  writeFileSync(cut, text.subarray(0, end + 20));
  const whole = join(dir, 'plain-whole.log');
  writeFileSync(whole, text.subarray(0, end));

  it('warned once with the offset, counted as one malformed line, truncated: true, exit 0; sequential and parallel agree', async () => {
    const ref = await inproc(['self-time', whole, '--map', MAP_PATH, '--format', 'json']);
    expect(JSON.parse(ref.out).summary.truncated).toBe(false);
    let first = '';
    for (const threads of [
      ['--threads', '1'],
      ['--threads', '2', '--unit-size', '300000'],
    ]) {
      const got = await inproc(['self-time', cut, '--map', MAP_PATH, '--format', 'json', ...threads]);
      expect(got.code).toBe(0);
      const g = JSON.parse(got.out);
      expect(g.summary.truncated).toBe(true);
      expect(g.summary.malformed_lines).toBe(1);
      expect(g.functions).toEqual(JSON.parse(ref.out).functions);
      expect(got.err.split('\n').filter((l) => l.includes('cut short'))).toEqual([
        `bootprof: ${cut}: input cut short: its last line, at byte ${end}, has no end (no newline) and is skipped; results cover the lines before it; --strict makes this fatal`,
      ]);
      if (first) expect(got.out).toBe(first);
      first = got.out;
    }
    const strict = await inproc(['self-time', cut, '--map', MAP_PATH, '--strict']);
    expect(strict.code).toBe(2);
    expect(strict.err.startsWith(`bootprof: ${cut}: line `)).toBe(true);
    expect(strict.err).toMatch(/: line \d+ \(byte \d+\): truncated line \(no newline at end of input\)/);
  });
});
