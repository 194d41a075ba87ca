/**
 * An independent, deliberately naive reading of a QEMU log with `-d in_asm` translation records: a
 * string split and a regex per line, BigInt pcs, Maps keyed by strings. It shares no code with src/.
 *
 * Per function (names as test/naive.ts resolves them): self time as naive.ts computes it, events, and
 * instructions: each event weighs the instruction count of the record bound to its tb pointer (a record
 * binds to the pointer of the next exec_tb whose pc is the record's first address; a later record for a
 * pc still waiting replaces it; a re-bound pointer takes the newer record); events without a record
 * weigh 0 and are counted.
 */
import { naiveNamer } from './naive.js';

export interface NaiveInsnRow {
  function: string;
  self: bigint;
  events: number;
  insns: number;
}

export function naiveInsns(
  traceText: string,
  mapText: string,
): { rows: NaiveInsnRow[]; withoutRecord: number; records: number; firstBefore: Map<string, number>; total: number } {
  const nameOf = naiveNamer(mapText);
  const pending = new Map<string, number>(); // first pc (hex, no zeros) -> instruction count
  const bound = new Map<string, number>(); // tb pointer text -> instruction count
  const last = new Map<string, { t: bigint; name: string }>();
  const self = new Map<string, bigint>();
  const events = new Map<string, number>();
  const insns = new Map<string, number>();
  let withoutRecord = 0;
  let records = 0;
  // instructions of every event before each function's first event (file order)
  const firstBefore = new Map<string, number>();
  let total = 0;
  let record: string[] | null = null;
  for (const line of traceText.split('\n')) {
    if (record !== null) {
      if (line.trim() !== '') {
        record.push(line);
        continue;
      }
      // the record's instruction lines: an address, bytes, then the instruction text (continuation
      // lines have no text)
      const insnLines = record.filter((l) => /^0x[0-9a-f]+: ( [0-9a-f]+)+\s{2,}\S/.test(l));
      if (insnLines.length > 0) {
        const first = BigInt(insnLines[0].split(':')[0]).toString(16);
        pending.set(first, insnLines.length);
        records++;
      }
      record = null;
      continue;
    }
    if (line === '----------------') {
      record = [];
      continue;
    }
    const m = /^(\d+)@(\d+)\.(\d+):exec_tb tb:(\S+) pc=0x([0-9a-fA-F]+)$/.exec(line);
    if (!m) continue;
    const [, tid, sec, frac, tb, hex] = m;
    const key = BigInt('0x' + hex).toString(16);
    if (pending.has(key)) {
      bound.set(tb, pending.get(key)!);
      pending.delete(key);
    }
    const weight = bound.get(tb);
    if (weight === undefined) withoutRecord++;
    const t = BigInt(sec) * 1000000000n + BigInt(frac.padEnd(9, '0'));
    const name = nameOf(tid, BigInt('0x' + hex));
    const prev = last.get(tid);
    if (prev) {
      const d = t - prev.t;
      self.set(prev.name, (self.get(prev.name) ?? 0n) + (d > 0n ? d : 0n));
    }
    last.set(tid, { t, name });
    if (!self.has(name)) self.set(name, 0n);
    events.set(name, (events.get(name) ?? 0) + 1);
    insns.set(name, (insns.get(name) ?? 0) + (weight ?? 0));
    if (!firstBefore.has(name)) firstBefore.set(name, total);
    total += weight ?? 0;
  }
  const rows = [...events.keys()].map((f) => ({ function: f, self: self.get(f)!, events: events.get(f)!, insns: insns.get(f)! }));
  return { rows, withoutRecord, records, firstBefore, total };
}

/** The CSV `bootprof self-time --weight insns --format csv` must print for these rows (trace with records). */
export function naiveInsnsCsv(rows: NaiveInsnRow[]): string {
  const total = rows.reduce((s, r) => s + r.self, 0n);
  const insns = rows.reduce((s, r) => s + r.insns, 0);
  const share = (a: number, b: number): number => (b > 0 ? Number(((a / b) * 100).toFixed(4)) : 0);
  const sorted = [...rows].sort(
    (a, b) =>
      b.insns - a.insns ||
      b.events - a.events ||
      (a.self > b.self ? -1 : a.self < b.self ? 1 : 0) ||
      (a.function < b.function ? -1 : a.function > b.function ? 1 : 0),
  );
  let out = 'function,self_ns,share,events,self_insns,insns_share\n';
  for (const r of sorted) out += `${r.function},${r.self},${share(Number(r.self), Number(total))},${r.events},${r.insns},${share(r.insns, insns)}\n`;
  return out;
}
