/**
 * Shared by the format and symbol tests: a boot excerpt from the committed samples, converters into
 * every format that can carry it, and a pipeline runner with the new input options.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { memorySource } from '../src/io/source.js';
import { runPipeline, type InputOptions, type RunResult, type Symbols } from '../src/pipeline.js';
import { SelfTime } from '../src/analyze/self-time.js';
import { TraceCounts } from '../src/analyze/trace-counts.js';
import { parseSymbolText } from '../src/symbols/kallsyms.js';
import { mergeSources } from '../src/symbols/sources.js';
import type { SymbolTable } from '../src/symbols/table.js';
import { FIRST_FUNCTION } from '../src/model/names.js';
import { addressKey } from '../src/symbols/address.js';
import { writeSimpleTrace } from './simpletrace-writer.js';
import type { InputTimeUnit } from '../src/formats/parser.js';

export const SAMPLES = new URL('../samples/', import.meta.url).pathname;
export const MAP_PATH = SAMPLES + 'System.map-6.1.0-47-cloud-amd64.gz';

let mapText: string | undefined;
export function systemMapText(): string {
  return (mapText ??= gunzipSync(readFileSync(MAP_PATH)).toString('latin1'));
}

let table: SymbolTable | undefined;
export function systemMapTable(): SymbolTable {
  return (table ??= mergeSources([parseSymbolText(systemMapText(), 'System.map')]).table);
}

/**
 * The decompressed bytes and the split lines of each sample, made once per test worker (the test
 * files of a worker share this module: the user-space sample alone is 35 MB to inflate and 500,000
 * lines to split).
 */
const bytesOf = new Map<string, Buffer>();
const linesOf = new Map<string, readonly string[]>();

/** A bundled sample, decompressed: shared, so never to be changed (copy it first). */
export function sampleBytes(name: string): Buffer {
  let b = bytesOf.get(name);
  if (b === undefined) bytesOf.set(name, (b = gunzipSync(readFileSync(SAMPLES + name))));
  return b;
}

/** The first whole lines of a bundled sample, at least `bytes` of them (cut after the line that reaches it); never to be changed. */
export function samplePrefix(name: string, bytes: number): Buffer {
  const all = sampleBytes(name);
  return all.subarray(0, all.indexOf(0x0a, bytes) + 1);
}

/** A bundled sample's non-empty lines (a fresh array: callers may change it). */
export function sampleLines(name: string): string[] {
  let lines = linesOf.get(name);
  if (lines === undefined) {
    lines = sampleBytes(name)
      .toString('latin1')
      .split('\n')
      .filter((l) => l !== '');
    linesOf.set(name, lines);
  }
  return lines.slice();
}

export interface Ev {
  tid: number;
  sec: number;
  usec: number;
  /** pc as 16 hex digits, no 0x */
  pc: string;
}

const LOG = /^(\d+)@(\d+)\.(\d{6}):exec_tb tb:0x[0-9a-f]+ pc=0x([0-9a-f]+)$/;

export function parseLog(lines: string[]): Ev[] {
  return lines.map((l) => {
    const m = LOG.exec(l);
    if (!m) throw new Error('bad sample line ' + l);
    return { tid: Number(m[1]), sec: Number(m[2]), usec: Number(m[3]), pc: m[4].padStart(16, '0') };
  });
}

/**
 * The shared boot excerpt: 1000 physical-address startup pcs then 1000 kernel-virtual ones (the
 * switch to the kernel mapping) from kernel-entry-20k, then 5000 lines of start_kernel's first calls (~200 distinct pcs).
 */
export function excerpt(): Ev[] {
  const a = sampleLines('kernel-entry-20k.log.gz').slice(9000, 11000);
  const b = sampleLines('start-kernel-120k.log.gz').slice(15000, 20000);
  return parseLog([...a, ...b]);
}

/** The events with every kernel-half pc moved by `slide` (what KASLR does to the virtual kernel). */
export function shiftKernelEvs(evs: readonly Ev[], slide: bigint): Ev[] {
  return evs.map((e) => {
    const pc = BigInt('0x' + e.pc);
    if (pc < 0xffff800000000000n) return e;
    return {
      ...e,
      pc: BigInt.asUintN(64, pc + slide)
        .toString(16)
        .padStart(16, '0'),
    };
  });
}

export function nsOf(e: Ev): bigint {
  return BigInt(e.sec) * 1_000_000_000n + BigInt(e.usec) * 1000n;
}

export function toQemuLog(evs: Ev[]): string {
  return evs.map((e) => `${e.tid}@${e.sec}.${String(e.usec).padStart(6, '0')}:exec_tb tb:0x7fbd882054c0 pc=0x${e.pc.replace(/^0+(?=.)/, '')}\n`).join('');
}

/** simpletrace.py text: delta µs with 3 decimals since the previous record; other records interleaved. */
export function toSimpletraceText(evs: Ev[]): string {
  let out = '';
  let last: bigint | null = null;
  evs.forEach((e, i) => {
    const t = nsOf(e);
    const d = last === null ? 0n : t - last;
    last = t;
    const us = (x: bigint): string => `${x / 1000n}.${String(x % 1000n).padStart(3, '0')}`;
    if (i % 7 === 3 && d > 0n) {
      // another event takes part of the delta: its time must still count
      const part = d / 2n;
      out += `guest_cpu_enter ${us(part)} pid=${e.tid} cpu=0x0\n`;
      out += `exec_tb ${us(d - part)} pid=${e.tid} tb=0x7fa869afe010 pc=0x${e.pc.replace(/^0+(?=.)/, '')}\n`;
    } else {
      out += `exec_tb${i % 11 === 5 ? '_nocache' : ''} ${us(d)} pid=${e.tid} tb=0x7fa869afe010 pc=0x${e.pc.replace(/^0+(?=.)/, '')}\n`;
    }
  });
  return out;
}

export function toSimpletraceBin(evs: Ev[], le = true): Buffer {
  const recs: Parameters<typeof writeSimpleTrace>[0][number][] = [
    { map: 0, name: 'guest_cpu_enter' },
    { map: 1, name: 'exec_tb' },
    { map: 2, name: 'exec_tb_nocache' },
  ];
  evs.forEach((e, i) => {
    const ns = nsOf(e);
    if (i % 9 === 4) recs.push({ id: 0, ns, pid: e.tid, args: [0n] });
    if (i === 100) recs.push({ id: 0xfffffffffffffffen, ns, pid: e.tid, args: [3n] });
    recs.push({ id: i % 13 === 6 ? 2 : 1, ns, pid: e.tid, args: [0x7fa869afe010n, BigInt('0x' + e.pc)] });
  });
  return writeSimpleTrace(recs as never, le);
}

export function toDexec(evs: Ev[]): string {
  return evs
    .map(
      (e, i) =>
        (i % 50 === 10 ? 'Stopped execution of TB chain before 0x7f66800aadc0 [0000000006ff2819] \n' : '') +
        `Trace 0: 0x7f6680000100 [00000000ffff0000/${e.pc}/00000040/ff000200] \n`,
    )
    .join('');
}

/** What gdb's `info symbol` says for a pc: a kernel-half pc inside a function gets its name. */
export function gdbName(tbl: SymbolTable, pc: string): { name: string; off: number } | null {
  const hi = parseInt(pc.slice(0, 8), 16);
  const lo = parseInt(pc.slice(8), 16);
  if (hi < 0xffff8000) return null; // gdb on vmlinux does not know physical or user addresses
  const key = addressKey(hi, lo);
  const id = tbl.lookup(key);
  if (id < FIRST_FUNCTION) return null;
  const idx = tbl.indexOf(key);
  return { name: tbl.names[id], off: key - tbl.addrs[idx] };
}

/** gdb-symbols: `SEC.FFFFFFF NAME [+ OFF] in section .text` or `SEC.FFFFFFF HEX` (7 fraction digits). */
export function toGdb(evs: Ev[], tbl: SymbolTable): string {
  return evs
    .map((e) => {
      const t = `${e.sec}.${String(e.usec).padStart(6, '0')}0`;
      const g = gdbName(tbl, e.pc);
      if (!g) return `${t} ${e.pc.replace(/^0+(?=.)/, '')}\n`;
      return g.off ? `${t} ${g.name} + ${g.off} in section .text\n` : `${t} ${g.name} in section .text\n`;
    })
    .join('');
}

/** `TIME ADDRESS` and `TIME SYMBOL+0xOFF` mixed; times in µs (for --time-unit us). */
export function toTwoColumn(evs: Ev[], tbl: SymbolTable): string {
  return evs
    .map((e, i) => {
      const t = `${e.sec}${String(e.usec).padStart(6, '0')}`;
      const g = gdbName(tbl, e.pc);
      if (!g || i % 3 === 0) return `${t} 0x${e.pc}\n`;
      return g.off ? `${t} ${g.name}+0x${g.off.toString(16)}\n` : `${t} ${g.name}\n`;
    })
    .join('');
}

export interface RunOpts {
  table?: SymbolTable | null;
  chunkSize?: number;
  inputFormat?: string;
  timeUnit?: InputTimeUnit;
  kaslr?: InputOptions['kaslr'];
  batchSize?: number;
}

export interface Rows {
  run: RunResult;
  rows: [string, number, number][];
  counts: TraceCounts;
}

/** Self-time rows (name, self, events) of a trace in memory. */
export async function selfRows(data: string | Uint8Array, o: RunOpts = {}): Promise<Rows> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const tbl = o.table === undefined ? systemMapTable() : o.table;
  const syms: Symbols = { table: tbl, mapPath: tbl ? 'test.map' : null, note: null };
  let st!: SelfTime;
  const counts = new TraceCounts();
  const run = await runPipeline(
    { source: memorySource(bytes, 'test'), chunkSize: o.chunkSize, inputFormat: o.inputFormat, timeUnit: o.timeUnit, kaslr: o.kaslr, batchSize: o.batchSize },
    ({ unit }) => {
      st = new SelfTime(unit);
      return [counts, st];
    },
    syms,
  );
  const names = run.names;
  const rows = st.rows((id) => names[id]).map((r): [string, number, number] => [names[r.id], r.self, r.events]);
  return { run, rows, counts };
}
