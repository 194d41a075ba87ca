/**
 * The QEMU log differential fuzz, shared by the wasm and the JS test files: good lines of several
 * vCPUs with bad lines inserted (random bytes, spoiled and randomly mutated good lines, CR LF, NUL,
 * over-long lines, a truncated last line). An independent classifier (gen.ts) says what each line
 * must count as; the pipeline over the mixed file must give the self-time rows of the file of only
 * the lines the classifier calls events, and exactly the malformed and other counts it predicts —
 * sequentially at every chunk size and in parallel work units of a few hundred bytes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { memorySource } from '../../src/io/source.js';
import { runPipeline, type Symbols } from '../../src/pipeline.js';
import { SelfTime } from '../../src/analyze/self-time.js';
import { TraceCounts } from '../../src/analyze/trace-counts.js';
import { FIRST_FUNCTION } from '../../src/model/names.js';
import type { SymbolTable } from '../../src/symbols/table.js';
import { systemMapTable } from '../formats-helpers.js';
import { CHUNK_SIZES } from '../helpers.js';
import {
  badLine,
  classifyQemuLine,
  fuzzCases,
  fuzzDeadline,
  fuzzReport,
  fuzzSeed,
  goodQemuLines,
  mutate,
  prng,
  randomBytes,
  spoilFirstByte,
  type Rnd,
} from './gen.js';

/** Kernel pcs of real functions (starts and a few bytes in), as 16 hex digits. */
export function kernelPcs(table: SymbolTable, count: number, rnd: Rnd): string[] {
  const out: string[] = [];
  const n = table.addrs.length;
  while (out.length < count) {
    const i = rnd(n);
    if (table.fnAt[i] < FIRST_FUNCTION || table.addrs[i] >= 0) continue;
    const v = BigInt(table.addrs[i]) + (1n << 64n) + BigInt(rnd(4) === 0 ? rnd(64) : 0);
    out.push(v.toString(16).padStart(16, '0'));
  }
  return out;
}

export interface FuzzCase {
  mixed: Buffer;
  valid: Buffer;
  events: number;
  other: number;
  malformed: number;
  lines: number;
}

export function qemuCase(rnd: Rnd, pcs: string[]): FuzzCase {
  const good = goodQemuLines(rnd, { tids: [4415, 4416, 4417, 99999], events: 50 + rnd(250), kernelPcs: pcs });
  const parts: Buffer[] = [];
  const valid: Buffer[] = [];
  let other = 0;
  let malformed = 0;
  let events = 0;
  let lines = 0;
  const add = (body: Buffer, crlf = false): void => {
    lines++;
    const k = classifyQemuLine(body.toString('latin1'));
    parts.push(body, Buffer.from(crlf ? '\r\n' : '\n'));
    if (k.kind === 'event') {
      events++;
      valid.push(body, Buffer.from('\n'));
    } else if (k.kind === 'other') other++;
    else malformed++;
  };
  for (const g of good) {
    const body = Buffer.from(g.slice(0, -1), 'latin1');
    const r = rnd(100);
    if (r < 70) add(body);
    else if (r < 75) add(body, true);
    else if (r < 82) add(mutate(rnd, body));
    else if (r < 85) add(mutate(rnd, mutate(rnd, body)));
    else if (r < 88) add(spoilFirstByte(rnd, body));
    else if (r < 92) {
      add(body);
      add(badLine(rnd));
    } else if (r < 94) {
      add(body);
      add(randomBytes(rnd, rnd(200)));
    } else if (r < 95) {
      // NUL bytes and invalid UTF-8 inside an otherwise good line
      add(Buffer.concat([body.subarray(0, 20), Buffer.from([0, 0xff, 0xc3]), body.subarray(20)]));
    } else add(body);
  }
  if (rnd(8) === 0) {
    // a line over the 64 KiB limit: dropped unbuffered, malformed whatever it holds
    const long = rnd(2)
      ? Buffer.concat([badLine(rnd, 10), randomBytes(rnd, 70_000)])
      : Buffer.from(good[0].slice(0, -1).replace('tb:0x', 'tb:0x' + 'f'.repeat(70_000)), 'latin1');
    parts.push(long, Buffer.from('\n'));
    lines++;
    malformed++;
  }
  if (rnd(4) === 0) {
    // an unterminated last line: truncated, malformed even when it would parse
    const last = good[good.length - 1];
    parts.push(Buffer.from(last.slice(0, 1 + rnd(last.length - 2)), 'latin1'));
    lines++;
    malformed++;
  }
  return { mixed: Buffer.concat(parts), valid: Buffer.concat(valid), events, other, malformed, lines };
}

export interface Outcome {
  rows: [string, number, number][];
  stats: { lines: number; events: number; other: number; malformed: number };
  samples: { line: number; reason: string }[];
  threads: number[];
}

export async function selfTimeOf(
  input: { bytes?: Buffer; path?: string },
  syms: Symbols,
  o: { chunkSize?: number; threads?: number; unitSize?: number; inputFormat?: string } = {},
): Promise<Outcome> {
  let st!: SelfTime;
  const run = await runPipeline(
    {
      source: input.bytes ? memorySource(input.bytes, 'fuzz.log') : undefined,
      trace: input.path,
      chunkSize: o.chunkSize,
      threads: o.threads ?? 1,
      unitSize: o.unitSize,
      inputFormat: o.inputFormat,
    },
    ({ unit }) => {
      st = new SelfTime(unit);
      return [new TraceCounts(), st];
    },
    syms,
  );
  const names = run.names;
  const s = run.parser.stats;
  return {
    rows: st.rows((id) => names[id]).map((r): [string, number, number] => [names[r.id], r.self, r.events]),
    stats: { lines: s.lines, events: s.events, other: s.other, malformed: s.malformed },
    samples: s.samples.map((x) => ({ line: x.line, reason: x.reason })),
    threads: run.parser.threadIds,
  };
}

/** Runs the campaign; returns the number of cases and how many ran in parallel. */
export async function runQemuFuzz(seed: number, ciCases: number, ciParallel: number): Promise<{ cases: number; parallel: number }> {
  const table = systemMapTable();
  const syms: Symbols = { table, mapPath: 'System.map', note: null };
  const cases = fuzzCases(ciCases);
  // the same share of parallel runs in a campaign as in CI
  const parallelEvery = Math.max(1, Math.round(ciCases / ciParallel));
  const dir = mkdtempSync(join(tmpdir(), 'bootprof-fuzz-'));
  let parallel = 0;
  let c = 0;
  try {
    const rnd = prng(fuzzSeed(seed));
    const pcs = kernelPcs(table, 300, rnd);
    const deadline = fuzzDeadline();
    for (; c < cases && Date.now() < deadline; c++) {
      const fc = qemuCase(rnd, pcs);
      const where = `case ${c} (seed ${fuzzSeed(seed)})`;
      if (fc.events === 0) continue;
      const want = await selfTimeOf({ bytes: fc.valid }, syms);
      // byte-at-a-time reads are slow: 1 in 8 cases, and not over the 70 KB line
      const chunkSize = rnd(8) === 0 && fc.mixed.length < 40_000 ? 1 : CHUNK_SIZES[1 + rnd(CHUNK_SIZES.length - 1)];
      const got = await selfTimeOf({ bytes: fc.mixed }, syms, { chunkSize });
      if (JSON.stringify(got.rows) !== JSON.stringify(want.rows)) {
        // keep the input for replay
        const keep = join(tmpdir(), `bootprof-fuzz-failure-${fuzzSeed(seed)}-${c}-chunk${chunkSize}.log`);
        writeFileSync(keep, fc.mixed);
        writeFileSync(keep + '.valid', fc.valid);
      }
      expect(got.rows, where).toEqual(want.rows);
      expect(got.stats, where).toEqual({ lines: fc.lines, events: fc.events, other: fc.other, malformed: fc.malformed });
      expect(got.threads, where).toEqual(want.threads);
      if (c % parallelEvery === 0) {
        const path = join(dir, `case-${c}.log`);
        writeFileSync(path, fc.mixed);
        const par = await selfTimeOf({ path }, syms, { threads: 2, unitSize: 200 + rnd(4000) });
        expect(par, where + ' parallel').toEqual(got);
        parallel++;
      }
    }
    fuzzReport(`qemu-log ${process.env.BOOTPROF_NO_WASM ? 'js' : 'wasm'} seed ${fuzzSeed(seed)}`, c, `${parallel} of them also in parallel`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { cases: c, parallel };
}
