/**
 * The summary every command prints (under a table, on stderr beside CSV, as `summary` in JSON), and
 * the stderr report of skipped lines.
 */
import { gzipCutText, type RunResult } from '../pipeline.js';
import type { TraceCounts } from '../analyze/trace-counts.js';
import { FIRST_FUNCTION, REGION_BOOT, REGION_FIRMWARE, REGION_KERNEL, REGION_UNKNOWN, REGION_USER } from '../model/names.js';
import type { TraceSummary } from '../output/format-spec.js';
import type { Weight } from '../model/weight.js';
import { countOf, formatCount, formatDuration } from '../output/units.js';

export type { TraceSummary };

/**
 * The summary of a run. `weight`: the weight the command used, stated when the trace has translation
 * records or the user chose one (else the summary is as it was before weights existed).
 */
export function buildSummary(run: RunResult, counts: TraceCounts, extra: { negativeDeltas?: number; weight?: Weight } = {}): TraceSummary {
  const st = run.parser.stats;
  const r = counts.regionEvents;
  const vcpus = run.parser.threadIds.map((tid, cpu) => ({ cpu, tid, events: counts.threadEvents[cpu] ?? 0 }));
  const s: TraceSummary = {
    input: run.inputName,
    format: run.parser.format,
    unit: run.parser.unit,
    symbols: run.symbols.mapPath,
    lines: st.lines,
    events: st.events,
    threads: run.parser.threadIds.length,
    vcpus,
    span_ns: run.parser.unit === 'events' ? st.events : counts.span,
    regions: {
      firmware: r[REGION_FIRMWARE],
      boot: r[REGION_BOOT],
      kernel: r[FIRST_FUNCTION],
      user: r[REGION_USER],
      unknown: r[REGION_UNKNOWN],
      unsymbolized_kernel: r[REGION_KERNEL],
    },
    other_lines: st.other,
    malformed_lines: st.malformed,
    crlf_lines: st.crlf,
    truncated: run.cut !== null,
  };
  if (run.parser.inputUnit) s.input_time_unit = run.parser.inputUnit;
  if (extra.negativeDeltas !== undefined) s.negative_deltas = extra.negativeDeltas;
  if (extra.weight !== undefined) s.weight = extra.weight;
  const tr = run.translations;
  if (tr.active) {
    s.translation = {
      records: st.records,
      record_lines: st.recordLines,
      unreadable_records: st.unreadableRecords,
      unbound_records: tr.unbound,
      dropped_records: tr.table.dropped,
      events_without_record: tr.withoutRecord,
      events_without_count: tr.uncounted,
      insns: counts.insns,
    };
    const res = run.parser.timeResolutionNs;
    const gap = counts.medianGap(2 * res);
    if (gap && run.parser.unit === 'ns') {
      s.timestamps = { resolution_ns: res, median_gap_ns: gap.ns, median_gap_exact: gap.exact, gaps_within_two_steps: Number(gap.share.toFixed(4)) };
    }
  }
  return s;
}

/** Smallest and largest value, by a loop (Math.min(...v) throws past ~100k values: many vCPUs). */
export function minMax(values: readonly number[]): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** Human summary lines (no trailing newline on each). Many vCPUs are summarised, not listed. */
export function summaryText(s: TraceSummary): string[] {
  const pct = (n: number): string => (s.events > 0 ? ((n / s.events) * 100).toFixed(1) + '%' : '0%');
  const lines = [
    `input: ${s.input} (${s.format}), unit: ${s.unit === 'ns' ? 'nanoseconds' : 'events (the trace has no timestamps; each event weighs 1)'}${s.input_time_unit ? ` (input times in ${s.input_time_unit})` : ''}`,
    `symbols: ${s.symbols ?? 'none'}`,
    `events: ${formatCount(s.events)} in ${countOf(s.lines, 'line')}, vCPUs: ${s.threads}, traced span: ${formatDuration(s.span_ns, s.unit)}`,
  ];
  const reg = s.regions;
  const parts = [
    `kernel ${formatCount(reg.kernel)} (${pct(reg.kernel)})`,
    `[user] ${formatCount(reg.user)} (${pct(reg.user)})`,
    `[firmware] ${formatCount(reg.firmware)} (${pct(reg.firmware)})`,
    `[boot] ${formatCount(reg.boot)} (${pct(reg.boot)})`,
    `[unknown] ${formatCount(reg.unknown)} (${pct(reg.unknown)})`,
  ];
  if (reg.unsymbolized_kernel > 0) parts.push(`[kernel] ${formatCount(reg.unsymbolized_kernel)} (${pct(reg.unsymbolized_kernel)})`);
  lines.push('regions: ' + parts.join(', '));
  if (s.threads > 1) {
    const [min, max] = minMax(s.vcpus.map((v) => v.events));
    const shown = s.vcpus.slice(0, 8).map((v) => `${v.cpu}=${formatCount(v.events)}`);
    lines.push(`events per vCPU: ${shown.join(' ')}${s.threads > 8 ? ` ... (${s.threads} vCPUs, min ${formatCount(min)}, max ${formatCount(max)})` : ''}`);
  }
  const tr = s.translation;
  if (tr) {
    const without = [
      tr.events_without_record ? `${countOf(tr.events_without_record, 'event')} without a translation record` : '',
      tr.events_without_count ? `${countOf(tr.events_without_count, 'event')} whose record has no instruction list` : '',
    ].filter((x) => x);
    lines.push(
      `weight: ${s.weight === 'insns' ? 'guest instructions' : s.weight === 'events' ? 'events' : 'host time'}; ${formatCount(tr.insns)} instructions from ${countOf(tr.records, 'translation record')}${without.length ? ` (${without.join(', ')}: they weigh 0)` : ''}`,
    );
  }
  const ts = s.timestamps;
  if (ts) {
    const step = ts.resolution_ns ? formatDuration(ts.resolution_ns, 'ns') : 'unknown';
    const host = ts.gaps_within_two_steps >= 0.5 ? ': host time here mostly measures the tracing itself' : '';
    lines.push(
      `timestamps: ${step} resolution; median gap between a vCPU's events ${ts.median_gap_exact ? '' : '~'}${formatDuration(ts.median_gap_ns, 'ns')}, ${(ts.gaps_within_two_steps * 100).toFixed(1)}% of gaps within two steps${host}`,
    );
  }
  const skipped: string[] = [];
  if (s.other_lines) skipped.push(`${countOf(s.other_lines, 'other line')} skipped`);
  if (s.malformed_lines) skipped.push(`${countOf(s.malformed_lines, 'malformed line')} skipped`);
  if (s.crlf_lines) skipped.push(`${countOf(s.crlf_lines, 'line')} ended in CR LF (accepted)`);
  if (s.negative_deltas) skipped.push(`${countOf(s.negative_deltas, 'time')} went backwards (counted as 0)`);
  if (s.truncated) skipped.push('input cut short (results up to its last complete line)');
  if (skipped.length) lines.push(skipped.join(', '));
  return lines;
}

/** One stderr line per problem with the input, with the first line numbers and snippets. */
export function inputWarnings(run: RunResult, negativeDeltas = 0): string[] {
  const out: string[] = [];
  const st = run.parser.stats;
  if (run.symbols.note) out.push(run.symbols.note);
  const w = cutWarning(run);
  if (w) out.push(w);
  if (st.malformed > 0) {
    const where = st.samples.map((x) => `line ${x.line}: ${x.reason}: "${x.snippet}"`).join('; ');
    out.push(
      `${st.malformed} malformed line${st.malformed > 1 ? 's' : ''} skipped (${where}${st.malformed > st.samples.length ? '; ...' : ''}); --strict makes this fatal`,
    );
  }
  if (negativeDeltas > 0) out.push(`time went backwards ${negativeDeltas} time${negativeDeltas > 1 ? 's' : ''} within a vCPU: those deltas count as 0`);
  return out;
}

/** The one warning for an input cut short, or null. */
export function cutWarning(run: RunResult): string | null {
  const c = run.cut;
  if (!c) return null;
  const what = run.parser.readBlocks ? 'record' : 'line';
  if (c.gzip) {
    const last = c.lastLine >= 0 ? ` (the incomplete last ${what}, at decompressed byte ${c.lastLine}, is skipped)` : '';
    return `${run.inputName}: ${gzipCutText(c.gzip)}; results cover it up to its last complete ${what}${last}; --strict makes this fatal`;
  }
  return `${run.inputName}: input cut short: its last ${what}, at byte ${c.lastLine}, has no end (no newline) and is skipped; results cover the ${what}s before it; --strict makes this fatal`;
}
