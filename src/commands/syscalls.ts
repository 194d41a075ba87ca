/** `bootprof syscalls`: every system call user space made, one row per call or summarised per name. */
import { TraceCounts } from '../analyze/trace-counts.js';
import {
  CALLS_TABLE,
  classifySyscallNames,
  Syscalls,
  SYSCALL_STATS_TABLE,
  callsPerCpu,
  summarizeSyscalls,
  type SyscallRow,
  type SyscallStat,
} from '../analyze/syscalls.js';
import { COMPAT_ENTRIES, NATIVE_ENTRIES } from '../analyze/syscall-names.js';
import { BootprofError } from '../io/errors.js';
import { makeTable, type Table } from '../model/table.js';
import { writeDocument } from '../output/document.js';
import type { SyscallTotals } from '../output/format-spec.js';
import { humanFormat } from '../output/human.js';
import { openOutput } from '../output/sink.js';
import { formatSeconds } from '../output/timestamp.js';
import { formatCount } from '../output/units.js';
import { loadSymbols, runPipeline, type RunResult, type Symbols } from '../pipeline.js';
import { chooseFormat, inputOptions, needsSymbolsError, parseWeight, runWeight, statedWeight, warn, type CommonOptions } from './common.js';
import { buildSummary, inputWarnings, minMax, summaryText, type TraceSummary } from './summary.js';
import { requireTimed, resolveWindowFor, windowField, windowOptions, withWindowLine } from './window-pass.js';
import type { TimeWindow, WindowOptions } from '../analyze/window.js';

export type { SyscallTotals };

export interface SyscallsOptions extends CommonOptions, WindowOptions {
  summary?: boolean;
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

export function syscallTotalsText(t: SyscallTotals, unit: 'ns' | 'events'): string[] {
  const notes: string[] = [];
  if (t.unfinished) notes.push(`${formatCount(t.unfinished)} unfinished`);
  if (t.unknown) notes.push(`${formatCount(t.unknown)} unknown`);
  if (t.compat) notes.push(`${formatCount(t.compat)} compat`);
  if (t.first_ts_ns === null) return ['system calls: none (no syscall entry event reached from user space)'];
  const first = unit === 'ns' ? `first at ${formatSeconds(t.first_ts_ns, unit)} s` : `first at event ${formatSeconds(t.first_ts_ns, unit)}`;
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

/**
 * The per-name table (the first `top` names when given), with a total row over every call on a
 * terminal; `insns`: the trace has translation records (an instructions column).
 */
export function syscallStatsTable(stats: readonly SyscallStat[], unit: 'ns' | 'events', top?: number, insns = false): Table<SyscallStat> {
  const f = humanFormat(unit);
  let footer: string[] | undefined;
  if (stats.length > 1) {
    const count = stats.reduce((a, s) => a + s.count, 0);
    const total = stats.reduce((a, s) => a + s.total, 0);
    const unfinished = stats.reduce((a, s) => a + s.unfinished, 0);
    const ins = insns ? [f.count(stats.reduce((a, s) => a + s.insns, 0))] : [];
    footer = ['total', f.count(count), f.duration(total), '100.00%', '', '', '', ...ins, unfinished ? f.count(unfinished) : ''];
  }
  return makeTable(SYSCALL_STATS_TABLE, top === undefined ? stats : stats.slice(0, top), { footer, include: insns ? ['total_insns'] : [] });
}

export async function syscallsCommand(trace: string | undefined, o: SyscallsOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, undefined, 'syscalls');
  const asked = parseWeight(o.weight);
  const input = inputOptions(trace, o);
  const windowed = windowOptions(o, input);
  // opened before the symbols are loaded, so that no map can be the output (io/outputs.ts)
  const out = openOutput(o.output, format);
  const entryList = [...NATIVE_ENTRIES, ...COMPAT_ENTRIES].join(', ');
  let symbols: Symbols;
  let window: TimeWindow | null = null;
  try {
    symbols = await loadSymbols(input);
    if (symbols.table && classifySyscallNames(symbols.table.names).entries.length === 0) {
      throw new BootprofError('E_SYMBOLS', `${symbols.mapPath}: no system call entry symbol (${entryList}): is it the guest kernel's System.map?`);
    }
    if (windowed) window = await resolveWindowFor(windowed, input, symbols);
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
        requireTimed(window, info);
        return [counts, (analysis = new Syscalls(info.names, window))];
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
  const weight = runWeight(asked, run);
  const insns = run.translations.active;
  const summary: TraceSummary = buildSummary(run, counts, { weight: statedWeight(asked, weight, run) });
  const totals = syscallTotals(rows, analysis, run);
  for (const w of inputWarnings(run, analysis.negativeDurations)) warn(w);
  const unit = summary.unit;
  const table = o.summary
    ? syscallStatsTable(summarizeSyscalls(rows, weight), unit, undefined, insns)
    : makeTable(CALLS_TABLE, rows, { include: insns ? ['insns'] : [] });
  await writeDocument(
    format,
    {
      kind: 'syscalls',
      summary: { ...summary, syscalls: totals, ...windowField(window) },
      tables: [table],
      lines: [...withWindowLine(summaryText(summary), window, summary.span_ns), ...syscallTotalsText(totals, unit)],
    },
    out,
    { quiet: o.quiet, label: o.label },
  );
}
