/** `bootprof syscalls`: every system call user space made, one row per call or summarised per name. */
import { TraceCounts } from '../analyze/summary.js';
import { classifySyscallNames, Syscalls, callsPerCpu, summarizeSyscalls, type SyscallRow, type SyscallStat } from '../analyze/syscalls.js';
import { COMPAT_ENTRIES, NATIVE_ENTRIES } from '../analyze/syscall-names.js';
import { BootprofError } from '../io/errors.js';
import { csvLine } from '../output/csv.js';
import { openOutput } from '../output/sink.js';
import { renderTable } from '../output/table.js';
import { formatCount, formatDuration } from '../output/units.js';
import { loadSymbols, runPipeline, type RunResult, type Symbols } from '../pipeline.js';
import { chooseFormat, inputOptions, needsSymbolsError, warn, type CommonOptions } from './common.js';
import { buildSummary, inputWarnings, minMax, summaryText, type TraceSummary } from './summary.js';

export interface SyscallsOptions extends CommonOptions {
  summary?: boolean;
}

export const SYSCALLS_CSV_HEADER = ['ts_ns', 'name', 'cpu', 'duration_ns', 'unfinished', 'compat'] as const;
export const SYSCALL_SUMMARY_CSV_HEADER = ['name', 'compat', 'count', 'total_ns', 'min_ns', 'mean_ns', 'max_ns', 'share', 'unfinished'] as const;

/** What the syscalls command adds to the trace summary. */
export interface SyscallTotals {
  calls: number;
  unfinished: number;
  unknown: number;
  compat: number;
  /** Time of the first call (ns since the trace's first event), null when there is none. */
  first_ts_ns: number | null;
  per_vcpu: { cpu: number; tid: number; calls: number }[];
  /** Entry symbols the System.map has. */
  entry_symbols: string[];
}

export function syscallTotals(rows: readonly SyscallRow[], an: Syscalls, run: RunResult): SyscallTotals {
  const tids = run.parser.threadIds;
  const per = callsPerCpu(rows, tids.length);
  return {
    calls: rows.length,
    unfinished: rows.filter((r) => r.unfinished).length,
    unknown: rows.filter((r) => r.name === 'unknown').length,
    compat: rows.filter((r) => r.compat).length,
    first_ts_ns: rows.length ? rows[0].ts : null,
    per_vcpu: per.map((calls, cpu) => ({ cpu, tid: tids[cpu] ?? 0, calls })),
    entry_symbols: an.classes.entries,
  };
}

/** Seconds with 6 decimals (the trace's own resolution): a timestamp, not a duration. */
export function formatTimestamp(ns: number, unit: 'ns' | 'events'): string {
  return unit === 'events' ? formatCount(ns) : (ns / 1e9).toFixed(6);
}

export function syscallTotalsText(t: SyscallTotals, unit: 'ns' | 'events'): string[] {
  const notes: string[] = [];
  if (t.unfinished) notes.push(`${formatCount(t.unfinished)} unfinished`);
  if (t.unknown) notes.push(`${formatCount(t.unknown)} unknown`);
  if (t.compat) notes.push(`${formatCount(t.compat)} compat`);
  if (t.first_ts_ns === null) return ['system calls: none (no syscall entry event reached from user space)'];
  const first = unit === 'ns' ? `first at ${formatTimestamp(t.first_ts_ns, unit)} s` : `first at event ${formatTimestamp(t.first_ts_ns, unit)}`;
  // many vCPUs are summarised, as in summaryText
  let per = t.per_vcpu
    .slice(0, 8)
    .map((v) => `${v.cpu}=${formatCount(v.calls)}`)
    .join(' ');
  if (t.per_vcpu.length > 8) {
    const [min, max] = minMax(t.per_vcpu.map((v) => v.calls));
    per += ` ... (${t.per_vcpu.length} vCPUs, min ${formatCount(min)}, max ${formatCount(max)})`;
  }
  return [`system calls: ${formatCount(t.calls)}${notes.length ? ` (${notes.join(', ')})` : ''}, ${first}; per vCPU: ${per}`];
}

export function syscallsCsv(rows: readonly SyscallRow[]): string {
  let text = csvLine(SYSCALLS_CSV_HEADER);
  for (const r of rows) text += csvLine([r.ts, r.name, r.cpu, r.duration, r.unfinished ? 1 : 0, r.compat ? 1 : 0]);
  return text;
}

export function syscallSummaryCsv(stats: readonly SyscallStat[]): string {
  let text = csvLine(SYSCALL_SUMMARY_CSV_HEADER);
  for (const s of stats) text += csvLine([s.name, s.compat ? 1 : 0, s.count, s.total, s.min, Math.round(s.mean), s.max, s.share, s.unfinished]);
  return text;
}

function displayName(name: string, compat: boolean): string {
  return compat ? `${name} (compat)` : name;
}

export function syscallsTable(rows: readonly SyscallRow[], unit: 'ns' | 'events'): string {
  return renderTable(
    [
      { header: unit === 'ns' ? 'time (s)' : 'time (event)', align: 'right' },
      { header: 'syscall' },
      { header: 'cpu', align: 'right' },
      { header: 'duration', align: 'right' },
      { header: 'note' },
    ],
    rows.map((r) => [
      formatTimestamp(r.ts, unit),
      displayName(r.name, r.compat),
      String(r.cpu),
      formatDuration(r.duration, unit),
      r.unfinished ? 'unfinished' : '',
    ]),
  );
}

/** One row per name (the first `top` names when given); the total row always counts every call. */
export function syscallSummaryTable(stats: readonly SyscallStat[], unit: 'ns' | 'events', top?: number): string {
  const d = (v: number): string => formatDuration(v, unit);
  const rows = (top === undefined ? stats : stats.slice(0, top)).map((s) => [
    displayName(s.name, s.compat),
    formatCount(s.count),
    d(s.total),
    s.share.toFixed(2) + '%',
    d(s.min),
    d(s.mean),
    d(s.max),
    s.unfinished ? formatCount(s.unfinished) : '',
  ]);
  const count = stats.reduce((a, s) => a + s.count, 0);
  const total = stats.reduce((a, s) => a + s.total, 0);
  const unfinished = stats.reduce((a, s) => a + s.unfinished, 0);
  if (stats.length > 1) rows.push(['total', formatCount(count), d(total), '100.00%', '', '', '', unfinished ? formatCount(unfinished) : '']);
  return renderTable(
    [
      { header: 'syscall' },
      { header: 'calls', align: 'right' },
      { header: 'total', align: 'right' },
      { header: 'share', align: 'right' },
      { header: 'min', align: 'right' },
      { header: 'mean', align: 'right' },
      { header: 'max', align: 'right' },
      { header: 'unfinished', align: 'right' },
    ],
    rows,
  );
}

function jsonRow(r: SyscallRow): Record<string, unknown> {
  return { ts_ns: r.ts, name: r.name, cpu: r.cpu, duration_ns: r.duration, unfinished: r.unfinished, compat: r.compat };
}

export function jsonStat(s: SyscallStat): Record<string, unknown> {
  return {
    name: s.name,
    compat: s.compat,
    count: s.count,
    total_ns: s.total,
    min_ns: s.min,
    mean_ns: Math.round(s.mean),
    max_ns: s.max,
    share: s.share,
    unfinished: s.unfinished,
  };
}

export async function syscallsCommand(trace: string | undefined, o: SyscallsOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, undefined, 'syscalls');
  const input = inputOptions(trace, o);
  // opened before the symbols are loaded, so that no map can be the output (io/outputs.ts)
  const out = openOutput(o.output);
  const entryList = [...NATIVE_ENTRIES, ...COMPAT_ENTRIES].join(', ');
  let symbols: Symbols;
  try {
    symbols = await loadSymbols(input);
    if (symbols.table && classifySyscallNames(symbols.table.names).entries.length === 0) {
      throw new BootprofError('E_SYMBOLS', `${symbols.mapPath}: no system call entry symbol (${entryList}): is it the guest kernel's System.map?`);
    }
  } catch (err) {
    out.discard();
    throw err;
  }
  const needsMap = (): BootprofError => needsSymbolsError('syscalls', "the guest kernel's symbols with its system call entry points", symbols.note);
  const counts = new TraceCounts();
  let analysis!: Syscalls;
  let run: RunResult;
  try {
    run = await runPipeline(
      input,
      (info) => {
        // without a map, only a pre-resolved trace names the entry symbols itself
        if (!symbols.table && !info.parser?.symbolic) throw needsMap();
        return [counts, (analysis = new Syscalls(info.names))];
      },
      symbols,
    );
    if (analysis.classes.entries.length === 0) {
      throw new BootprofError(
        'E_SYMBOLS',
        `${run.inputName}: the trace names no system call entry symbol (${entryList}): pass the guest kernel's System.map (--map FILE)`,
      );
    }
  } catch (err) {
    out.discard();
    throw err;
  }
  const rows = analysis.rows();
  const summary: TraceSummary = buildSummary(run, counts);
  const totals = syscallTotals(rows, analysis, run);
  for (const w of inputWarnings(run, analysis.negativeDurations)) warn(w);
  const unit = summary.unit;
  const stats = o.summary ? summarizeSyscalls(rows) : null;

  if (format === 'csv') {
    await out.write(stats ? syscallSummaryCsv(stats) : syscallsCsv(rows));
    if (!o.quiet) for (const line of [...summaryText(summary), ...syscallTotalsText(totals, unit)]) process.stderr.write(line + '\n');
  } else if (format === 'json') {
    const json = stats
      ? { summary: { ...summary, syscalls: totals }, syscalls: stats.map(jsonStat) }
      : { summary: { ...summary, syscalls: totals }, calls: rows.map(jsonRow) };
    await out.write(JSON.stringify(json, null, 1) + '\n');
  } else {
    let text = stats ? syscallSummaryTable(stats, unit) : syscallsTable(rows, unit);
    text += '\n' + [...summaryText(summary), ...syscallTotalsText(totals, unit)].join('\n') + '\n';
    await out.write(text);
  }
  await out.close();
}
