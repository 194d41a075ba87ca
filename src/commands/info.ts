/**
 * `bootprof info`: what a trace is before analysing it: format and time unit, events, vCPUs (thread
 * ids), span, distinct pcs, events per region, kernel-half resolution rate, KASLR slide, skipped and
 * malformed lines. Table (default on a terminal) or JSON.
 */
import { TraceCounts } from '../analyze/summary.js';
import type { Analysis } from '../analyze/analysis.js';
import { SYMBOLIC_PC_HI, type EventBatch } from '../model/batch.js';
import { openOutput } from '../output/sink.js';
import { countOf, formatCount, formatDuration } from '../output/units.js';
import { runPipeline, type RunResult } from '../pipeline.js';
import { slideHex } from '../symbols/kaslr.js';
import { chooseFormat, inputOptions, warn, type CommonOptions } from './common.js';
import { buildSummary, inputWarnings } from './summary.js';

/** Distinct pcs counted exactly up to this many; beyond, estimated (HyperLogLog) in fixed memory. */
export const EXACT_DISTINCT_PCS = 1 << 20;
const HLL_BITS = 14;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Distinct pcs: an open-addressing set of (hi, lo) pairs while there are at most EXACT_DISTINCT_PCS
 * (~19 MB), then a HyperLogLog sketch of 16 KiB (error ~1%), so memory stays bounded whatever the
 * trace (10 million distinct user pcs would need ~300 MB as a set). Pre-resolved events count as
 * name+offset.
 */
export class DistinctPcs implements Analysis {
  private hi = new Uint32Array(1 << 12);
  private lo = new Uint32Array(1 << 12);
  private used = new Uint8Array(1 << 12);
  private n = 0;
  /** HyperLogLog registers once the exact set is given up. */
  private registers: Uint8Array | null = null;

  /** True while `count` is exact. */
  get exact(): boolean {
    return this.registers === null;
  }

  /** Distinct pcs seen: exact, or (beyond EXACT_DISTINCT_PCS) an estimate. */
  get count(): number {
    return this.registers === null ? this.n : this.estimate();
  }

  /** Bytes held by the set or sketch. */
  bytes(): number {
    return this.registers ? this.registers.length : this.used.length * 9;
  }

  consume(batch: EventBatch): void {
    const { pcHi, pcLo, sym } = batch;
    for (let i = 0, n = batch.length; i < n; i++) {
      const h = pcHi[i];
      const hi = h === SYMBOLIC_PC_HI ? (SYMBOLIC_PC_HI + sym[i]) >>> 0 : h;
      if (this.registers) this.sketch(hi, pcLo[i]);
      else this.add(hi, pcLo[i]);
    }
  }

  private add(hi: number, lo: number): void {
    const mask = this.used.length - 1;
    let s = (Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> 0) & mask;
    while (this.used[s]) {
      if (this.lo[s] === lo && this.hi[s] === hi) return;
      s = (s + 1) & mask;
    }
    this.used[s] = 1;
    this.hi[s] = hi;
    this.lo[s] = lo;
    if (++this.n >= EXACT_DISTINCT_PCS) this.toSketch();
    else if (this.n * 2 > this.used.length) this.grow();
  }

  private grow(): void {
    const { hi, lo, used } = this;
    const size = used.length * 2;
    this.hi = new Uint32Array(size);
    this.lo = new Uint32Array(size);
    this.used = new Uint8Array(size);
    this.n = 0;
    for (let s = 0; s < used.length; s++) if (used[s]) this.add(hi[s], lo[s]);
  }

  private toSketch(): void {
    const { hi, lo, used } = this;
    this.registers = new Uint8Array(1 << HLL_BITS);
    for (let s = 0; s < used.length; s++) if (used[s]) this.sketch(hi[s], lo[s]);
    this.hi = this.lo = new Uint32Array(0);
    this.used = new Uint8Array(0);
  }

  private sketch(hi: number, lo: number): void {
    const h = fmix32(lo ^ fmix32(hi ^ 0x9e3779b9));
    const j = h >>> (32 - HLL_BITS);
    const rank = Math.min(Math.clz32((h << HLL_BITS) | (1 << (HLL_BITS - 1))) + 1, 32 - HLL_BITS + 1);
    const r = this.registers!;
    if (rank > r[j]) r[j] = rank;
  }

  private estimate(): number {
    const r = this.registers!;
    const m = r.length;
    let sum = 0;
    let zeros = 0;
    for (let j = 0; j < m; j++) {
      sum += 2 ** -r[j];
      if (r[j] === 0) zeros++;
    }
    let e = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
    if (e <= 2.5 * m && zeros > 0) e = m * Math.log(m / zeros);
    else if (e > 2 ** 32 / 30) e = -(2 ** 32) * Math.log(1 - e / 2 ** 32);
    return Math.max(EXACT_DISTINCT_PCS, Math.round(e));
  }
}

export interface InfoOptions extends CommonOptions {}

export function buildInfo(run: RunResult, counts: TraceCounts, pcs: DistinctPcs) {
  const s = buildSummary(run, counts);
  const k = run.kaslr;
  const p = run.parser;
  return {
    input: s.input,
    format: s.format,
    input_time_unit: p.inputUnit || (s.unit === 'ns' ? 'absolute timestamps' : 'none (no timestamps)'),
    unit: s.unit,
    symbols: s.symbols,
    symbol_sources: run.symbols.sources ?? [],
    lines: s.lines,
    events: s.events,
    vcpus: s.vcpus,
    span: s.span,
    distinct_pcs: pcs.count,
    /** false: more than EXACT_DISTINCT_PCS, estimated within ~1% in bounded memory */
    distinct_pcs_exact: pcs.exact,
    regions: s.regions,
    kernel_half_events: k?.kernelEvents ?? 0,
    kernel_half_resolved: k?.kernelResolved ?? 0,
    resolution_rate: k && k.kernelEvents > 0 ? Number((k.kernelResolved / k.kernelEvents).toFixed(6)) : null,
    kaslr: k
      ? {
          slide: slideHex(k.slide),
          method: k.method,
          confidence: k.vote?.confidence ?? null,
          votes: k.vote
            ? { hits: k.vote.hits, without_slide: k.vote.zero, runner_up: k.vote.second, voters: k.vote.voters, best: slideHex(k.vote.slide) }
            : null,
          sampled_kernel_events: k.sampled,
        }
      : null,
    other_lines: s.other_lines,
    malformed_lines: s.malformed_lines,
    malformed_samples: p.stats.samples,
    lost_events: p.lostEvents,
    crlf_lines: s.crlf_lines,
    truncated: s.truncated,
  };
}

export function infoText(info: ReturnType<typeof buildInfo>): string {
  const pct = (n: number): string => (info.events > 0 ? ((n / info.events) * 100).toFixed(1) + '%' : '0%');
  const r = info.regions;
  const lines: [string, string][] = [
    ['input', info.input],
    ['format', info.format],
    ['time unit', `input: ${info.input_time_unit}; bootprof: ${info.unit === 'ns' ? 'nanoseconds' : 'events (no timestamps: each event weighs 1)'}`],
    ['symbols', info.symbols ?? 'none'],
    ...info.symbol_sources.map((x): [string, string] => ['  source', `${x.path} (${x.kind}, ${formatCount(x.symbols)} symbols, ${formatCount(x.added)} used)`]),
    ['events', `${formatCount(info.events)} in ${countOf(info.lines, 'line')}`],
    [
      'vCPUs',
      `${info.vcpus.length}: ` +
        info.vcpus
          .slice(0, 16)
          .map((v) => `${v.cpu}=tid ${v.tid} (${formatCount(v.events)})`)
          .join(', ') +
        (info.vcpus.length > 16 ? ', ...' : ''),
    ],
    ['span', formatDuration(info.span, info.unit)],
    [
      'distinct pcs',
      info.distinct_pcs_exact ? formatCount(info.distinct_pcs) : `~${formatCount(info.distinct_pcs)} (estimated beyond ${formatCount(EXACT_DISTINCT_PCS)})`,
    ],
    [
      'regions',
      `kernel ${formatCount(r.kernel)} (${pct(r.kernel)}), [user] ${formatCount(r.user)} (${pct(r.user)}), [firmware] ${formatCount(r.firmware)} (${pct(r.firmware)}), [boot] ${formatCount(r.boot)} (${pct(r.boot)}), [unknown] ${formatCount(r.unknown)} (${pct(r.unknown)})` +
        (r.unsymbolized_kernel ? `, [kernel] ${formatCount(r.unsymbolized_kernel)} (${pct(r.unsymbolized_kernel)})` : ''),
    ],
    [
      'resolution',
      info.resolution_rate === null
        ? 'no kernel-half pcs' + (info.symbols ? '' : ' resolved (no symbols)')
        : `${(info.resolution_rate * 100).toFixed(2)}% of ${formatCount(info.kernel_half_events)} kernel-half events resolve to a function`,
    ],
    [
      'KASLR slide',
      info.kaslr
        ? `${info.kaslr.slide} (${info.kaslr.method}${info.kaslr.confidence ? `, confidence ${info.kaslr.confidence}` : ''}${info.kaslr.votes ? `: ${info.kaslr.votes.hits} of ${info.kaslr.votes.voters} frequent pcs start a function under ${info.kaslr.votes.best}, ${info.kaslr.votes.without_slide} without a slide` : ''})`
        : 'n/a',
    ],
    ['other lines', formatCount(info.other_lines)],
    [
      'malformed lines',
      formatCount(info.malformed_lines) +
        (info.malformed_samples.length ? ' (' + info.malformed_samples.map((x) => `line ${x.line}: ${x.reason}: "${x.snippet}"`).join('; ') + ')' : ''),
    ],
  ];
  if (info.lost_events) lines.push(['lost events', `${formatCount(info.lost_events)} (the tracer's dropped-records count)`]);
  if (info.crlf_lines) lines.push(['CR LF lines', formatCount(info.crlf_lines)]);
  if (info.truncated) lines.push(['truncated', 'yes: the input is cut short (results up to its last complete line)']);
  const w = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${(k + ':').padEnd(w + 1)} ${v}`).join('\n') + '\n';
}

export async function infoCommand(trace: string | undefined, o: InfoOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, ['table', 'json'], 'info');
  const out = openOutput(o.output);
  const counts = new TraceCounts();
  const pcs = new DistinctPcs();
  const run = await runPipeline(inputOptions(trace, o), () => [counts, pcs]);
  const info = buildInfo(run, counts, pcs);
  for (const w of inputWarnings(run)) warn(w);
  await out.write(format === 'json' ? JSON.stringify(info, null, 1) + '\n' : infoText(info));
  await out.close();
}
