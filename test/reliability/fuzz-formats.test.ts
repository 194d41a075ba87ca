/**
 * Bad lines in every other text format: a slice of the shared boot excerpt converted to the format,
 * with certainly-malformed lines inserted (a byte no record starts with, then random bytes with NULs,
 * CRs and invalid UTF-8; good lines whose first byte is spoiled) and some lines in CR LF. The self-time
 * rows must equal those of the same file with the bad lines removed; malformed lines are counted
 * exactly (qemu-dexec skips unknown lines as "other" by design: -d logs interleave register dumps and
 * other -d items, so there garbage counts as other and only broken `Trace` lines as malformed).
 * Then random bytes, random truncation and a 10 MB line without a newline through every format.
 */
import { describe, expect, it } from 'vitest';
import { memorySource } from '../../src/io/source.js';
import { runPipeline } from '../../src/pipeline.js';
import { BootprofError } from '../../src/io/errors.js';
import { FORMAT_NAMES } from '../../src/formats/index.js';
import { TraceCounts } from '../../src/analyze/trace-counts.js';
import type { InputTimeUnit } from '../../src/formats/parser.js';
import {
  excerpt,
  gdbName,
  nsOf,
  selfRows,
  systemMapTable,
  toDexec,
  toGdb,
  toQemuLog,
  toSimpletraceBin,
  toSimpletraceText,
  toTwoColumn,
  type Ev,
} from '../formats-helpers.js';
import { CHUNK_SIZES } from '../helpers.js';
import { BAD_START, badLine, fuzzCases, fuzzDeadline, fuzzReport, fuzzSeed, prng, randomBytes, spoilFirstByte, type Rnd } from './gen.js';

const table = systemMapTable();

function toResolved(evs: Ev[]): string {
  const t0 = nsOf(evs[0]);
  return evs
    .map((e, i) => {
      const g = gdbName(table, e.pc);
      const what = g && i % 4 !== 0 ? `${g.name}+0x${g.off.toString(16)}` : `0x${e.pc}`;
      return `${nsOf(e) - t0} ${e.tid % 4} ${what}\n`;
    })
    .join('');
}

interface TextFormat {
  name: string;
  timeUnit?: InputTimeUnit;
  make(evs: Ev[]): string;
  /** What an inserted garbage line counts as. */
  garbage: 'malformed' | 'other';
  /** A certainly-malformed line of this format, when garbage is not one. */
  broken?(rnd: Rnd): Buffer;
}

const FORMATS: TextFormat[] = [
  { name: 'simpletrace-text', make: toSimpletraceText, garbage: 'malformed' },
  {
    name: 'qemu-dexec',
    make: toDexec,
    garbage: 'other',
    broken: (rnd) =>
      Buffer.concat([
        Buffer.from('Trace 0: 0x7f6680000100 ['),
        Buffer.from([BAD_START[rnd(BAD_START.length)]]),
        randomBytes(rnd, rnd(40)).map((c) => (c === 0x5d ? 0x20 : c)),
      ]),
  },
  { name: 'gdb-symbols', make: (evs) => toGdb(evs, table), garbage: 'malformed' },
  { name: 'two-column', timeUnit: 'us', make: (evs) => toTwoColumn(evs, table), garbage: 'malformed' },
  { name: 'resolved', make: toResolved, garbage: 'malformed' },
];

const ALL = excerpt();

/** Several vCPUs: thread ids spread over 3 values (formats that carry one). */
function slice(rnd: Rnd): Ev[] {
  const n = 100 + rnd(400);
  const at = rnd(ALL.length - n);
  return ALL.slice(at, at + n).map((e, i) => ({ ...e, tid: 4415 + ((i * 7 + at) % 3) }));
}

describe('bad lines in every text format', () => {
  for (const f of FORMATS) {
    it(`${f.name}: good + bad = good alone; malformed (or other) lines counted exactly`, async () => {
      const seed = fuzzSeed(0xf0 + f.name.length);
      const rnd = prng(seed);
      const cases = fuzzCases(12);
      const deadline = fuzzDeadline();
      let c = 0;
      for (; c < cases && Date.now() < deadline; c++) {
        const lines = f.make(slice(rnd)).split('\n').slice(0, -1);
        const mixed: Buffer[] = [];
        const valid: Buffer[] = [];
        let malformed = 0;
        let other = 0;
        lines.forEach((l, i) => {
          const body = Buffer.from(l, 'latin1');
          const eol = Buffer.from(rnd(10) === 0 ? '\r\n' : '\n');
          const r = rnd(100);
          if (r < 8 && i > 0) {
            mixed.push(spoilFirstByte(rnd, body), eol);
            if (f.garbage === 'malformed') malformed++;
            else other++;
            return;
          }
          mixed.push(body, eol);
          valid.push(body, eol);
          if (r < 16) {
            mixed.push(badLine(rnd), Buffer.from('\n'));
            if (f.garbage === 'malformed') malformed++;
            else other++;
          } else if (r < 20 && f.broken) {
            mixed.push(f.broken(rnd), Buffer.from('\n'));
            malformed++;
          }
        });
        const where = `${f.name} case ${c} (seed ${seed})`;
        const o = { inputFormat: f.name, timeUnit: f.timeUnit };
        const want = await selfRows(Buffer.concat(valid), o);
        const got = await selfRows(Buffer.concat(mixed), { ...o, chunkSize: CHUNK_SIZES[1 + rnd(CHUNK_SIZES.length - 1)] });
        expect(got.rows, where).toEqual(want.rows);
        const gs = got.run.parser.stats;
        const ws = want.run.parser.stats;
        expect([gs.events, gs.malformed, gs.other], where).toEqual([ws.events, ws.malformed + malformed, ws.other + other]);
        expect(ws.malformed, where).toBe(0);
        expect(got.run.parser.threadIds, where).toEqual(want.run.parser.threadIds);
      }
      fuzzReport(`${f.name} bad lines seed ${seed}`, c);
    }, 600_000);
  }
});

/** Runs the pipeline; only BootprofError may escape. Returns the stats, or the error code. */
async function survive(bytes: Uint8Array, inputFormat: string | undefined, chunkSize?: number): Promise<string> {
  try {
    const counts = new TraceCounts();
    const run = await runPipeline({ source: memorySource(bytes, 'fuzz'), inputFormat, chunkSize, timeUnit: 'us' }, () => [counts], {
      table,
      mapPath: 'System.map',
      note: null,
    });
    const s = run.parser.stats;
    // every line is exactly one of: an event, other, malformed (binary: records)
    expect(s.events + s.other + s.malformed).toBe(s.lines);
    let n = 0;
    for (const v of counts.threadEvents) n += v;
    expect(n).toBe(s.events);
    return 'ok';
  } catch (err) {
    if (!(err instanceof BootprofError)) throw err;
    expect(err.message).not.toMatch(/\n/);
    return err.code;
  }
}

describe('random bytes, truncation and mutation through every parser', () => {
  const seeds: Record<string, () => Uint8Array> = {
    'qemu-log': () => Buffer.from(toQemuLog(ALL.slice(0, 300))),
    'simpletrace-text': () => Buffer.from(toSimpletraceText(ALL.slice(0, 300))),
    'qemu-dexec': () => Buffer.from(toDexec(ALL.slice(0, 300))),
    'gdb-symbols': () => Buffer.from(toGdb(ALL.slice(0, 300), table)),
    'two-column': () => Buffer.from(toTwoColumn(ALL.slice(0, 300), table)),
    resolved: () => Buffer.from(toResolved(ALL.slice(0, 300))),
    'simpletrace-bin': () => toSimpletraceBin(ALL.slice(0, 300)),
  };

  it('covers every registered format', () => {
    expect(Object.keys(seeds).sort()).toEqual([...FORMAT_NAMES].sort());
  });

  it('never an uncaught exception: random bytes, truncated and byte-mutated real traces, forced or detected format', async () => {
    const seed = fuzzSeed(0xb17e5);
    const rnd = prng(seed);
    const cases = fuzzCases(12);
    const codes = new Map<string, number>();
    const deadline = fuzzDeadline();
    let c = 0;
    for (; c < cases && Date.now() < deadline; c++) {
      for (const [name, make] of Object.entries(seeds)) {
        const good = make();
        let bytes: Uint8Array;
        const k = rnd(4);
        if (k === 0) bytes = randomBytes(rnd, rnd(3000)).map((b) => (rnd(20) === 0 ? 0x0a : b));
        else if (k === 1) bytes = good.subarray(0, rnd(good.length));
        else {
          bytes = Uint8Array.from(good);
          for (let m = 1 + rnd(k === 2 ? 4 : 200); m > 0; m--) bytes[rnd(bytes.length)] = rnd(256);
        }
        for (const forced of [name, undefined]) {
          const code = await survive(bytes, forced, CHUNK_SIZES[rnd(CHUNK_SIZES.length)] === 1 ? 7 : undefined);
          codes.set(code, (codes.get(code) ?? 0) + 1);
        }
      }
    }
    // input errors are the expected kinds only
    fuzzReport(`random/truncated/mutated inputs x 7 formats x (forced, detected) seed ${seed}`, c, JSON.stringify(Object.fromEntries(codes)));
    for (const code of codes.keys()) expect(['ok', 'E_EMPTY', 'E_FORMAT']).toContain(code);
    expect(codes.get('ok')).toBeGreaterThan(0);
  }, 300_000);

  it('a 10 MB line without a newline, NUL bytes and CR LF: counted, memory bounded, in every format', async () => {
    const ten = Buffer.alloc(10 * 1024 * 1024, 0x41);
    for (const [name, make] of Object.entries(seeds)) {
      if (name === 'simpletrace-bin') continue;
      const good = Buffer.from(make()).toString('latin1').split('\n').slice(0, 50).join('\r\n') + '\r\n';
      const run1 = async (bytes: Uint8Array) =>
        (
          await runPipeline({ source: memorySource(bytes, 'big'), inputFormat: name, timeUnit: 'us' }, () => [new TraceCounts()], {
            table,
            mapPath: 'm',
            note: null,
          })
        ).parser.stats;
      const alone = await run1(Buffer.from(good, 'latin1'));
      expect(alone.crlf, name).toBeGreaterThan(40);
      const before = process.memoryUsage().heapUsed;
      for (const tail of [ten, Buffer.concat([Buffer.from([0, 0, 0xff, 0xfe]), ten])]) {
        const bytes = Buffer.concat([Buffer.from(good, 'latin1'), Buffer.from('\0\0\0\n'), tail]);
        const s = await run1(bytes);
        expect([s.events, s.crlf], name).toEqual([alone.events, alone.crlf]);
        // the NUL line (malformed, or other in qemu-dexec) and the unterminated 10 MB line (malformed)
        expect(s.lines, name).toBe(alone.lines + 2);
        expect(s.malformed, name).toBe(alone.malformed + (name === 'qemu-dexec' ? 1 : 2));
        expect(s.samples.at(-1)?.reason, name).toMatch(/line longer than 65536 bytes|truncated/);
        expect(s.samples.at(-1)?.snippet.length, name).toBeLessThanOrEqual(80);
      }
      // the 10 MB line is skipped, never buffered or decoded
      expect(process.memoryUsage().heapUsed - before, name).toBeLessThan(32 << 20);
    }
  }, 60_000);
});
