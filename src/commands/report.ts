/**
 * `bootprof report`: self time, the timeline and system calls from ONE pass over the trace (the
 * analyses share the parse, the symbol stage and the worker threads), as a table or JSON; with
 * --stacks also inclusive time, the initcalls and the whole call tree. Its JSON is the saved profile
 * `bootprof diff` reads: JSON carries every function and system call name unless --top is given.
 */
import { groupByOption, groupResults, groupSummary, groupTitles, loadGrouper } from './group-by.js';
import type { Grouper } from '../symbols/groups.js';
import { callTreeTable } from '../analyze/call-tree-table.js';
import { InitcallCollector, INITCALL_CALLER, INITCALLS_TABLE, namedInitcalls } from '../analyze/initcalls.js';
import { FUNCTIONS_TABLE, functionColumns, functionCosts, SelfTime } from '../analyze/self-time.js';
import { StackReconstruction } from '../analyze/stacks.js';
import { TraceCounts } from '../analyze/trace-counts.js';
import { Syscalls, summarizeSyscalls } from '../analyze/syscalls.js';
import { Timeline } from '../analyze/timeline.js';
import { syscallTicksTable, VcpuSpans, vcpuLanesTable } from '../analyze/lanes.js';
import { makeTable, type ResultDocument, type Section, type Table } from '../model/table.js';
import type { Weight } from '../model/weight.js';
import { MULTI_TABLE_FORMATS, writeDocument } from '../output/document.js';
import { openOutput } from '../output/sink.js';
import { formatCount, formatDuration } from '../output/units.js';
import { loadSymbols, runPipeline, type InputOptions, type RunResult, type Symbols, type TraceInfo } from '../pipeline.js';
import type { Analysis } from '../analyze/analysis.js';
import { chooseFormat, inputOptions, parseTop, parseWeight, runWeight, statedWeight, warn, type CommonOptions } from './common.js';
import { readInitcallNames } from './initcalls.js';
import { buildSummary, inputWarnings, summaryText } from './summary.js';
import { syscallStatsTable, syscallTotals, syscallTotalsText } from './syscalls.js';
import { timelineSections, timelineSummaryFields, timelineTables, timelineText } from './timeline.js';
import { requireTimed, resolveWindowFor, windowField, windowOptions, withWindowLine } from './window-pass.js';
import type { TimeWindow, WindowOptions } from '../analyze/window.js';

export interface ReportOptions extends CommonOptions, WindowOptions {
  top?: string;
  /** Reconstruct call stacks: inclusive time, initcalls, the call tree. */
  stacks?: boolean;
}

/** What a report computes, before it is cut to --top and written: the single-boot side of a diff. */
export interface ReportResult {
  doc: ResultDocument;
  weight: Weight;
  run: RunResult;
}

/**
 * Runs the report's analyses over one trace. `top`: rows of functions and syscall names kept in
 * every format (undefined: all in JSON, `tableTop` in the terminal form).
 */
export async function analyzeReport(
  input: InputOptions,
  symbols: Symbols,
  o: {
    weight?: Weight;
    stacks?: boolean;
    top?: number;
    tableTop?: number;
    lanes?: boolean;
    more?: (info: TraceInfo) => Analysis[];
    /** --from/--to/--phase: every analysis cut to it (the stacks still rebuilt from every event). */
    window?: TimeWindow | null;
    grouper?: Grouper | null;
  },
): Promise<ReportResult> {
  const window = o.window ?? null;
  const counts = new TraceCounts();
  const spans = o.lanes ? new VcpuSpans() : null;
  let timeline!: Timeline;
  let syscalls!: Syscalls;
  let self!: SelfTime;
  let sr: StackReconstruction | null = null;
  let ic: InitcallCollector | null = null;
  const table = symbols.table;
  const initcalls = !!o.stacks && !!table && table.names.includes(INITCALL_CALLER);
  const initcallNames = new Set<string>();
  if (initcalls)
    for (const path of new Set([...(input.maps ?? []), ...(symbols.mapPath ? [symbols.mapPath] : [])]))
      for (const n of readInitcallNames(path)) initcallNames.add(n);
  const run = await runPipeline(
    input,
    (info) => {
      requireTimed(window, info);
      self = new SelfTime(info.unit, window);
      timeline = Timeline.fromInfo(info);
      timeline.window = window;
      syscalls = new Syscalls(info.names, window);
      const base: Analysis[] = [counts, self, timeline, syscalls, ...(spans ? [spans] : []), ...(o.more?.(info) ?? [])];
      if (!o.stacks) return base;
      sr = StackReconstruction.fromInfo(info);
      sr.window = window;
      if (initcalls) {
        ic = new InitcallCollector(sr.tree, sr.names, false, initcallNames);
        ic.window = window;
        sr.callSink = ic;
      }
      return [...base, sr];
    },
    symbols,
  );
  const rec = sr as StackReconstruction | null;
  const coll = ic as InitcallCollector | null;
  const full = rec?.treeLimitNote();
  if (full) warn(full);
  // no entry symbol among the names (no map, or not a kernel's): no syscalls section
  const useSyscalls = syscalls.classes.entries.length > 0;
  const tl = timeline.result();
  const insns = run.translations.active;

  const weight = runWeight(o.weight, run);
  const tree = rec?.tree;
  const nodeTotals = tree ? tree.totals() : null;
  const nodeInsns = tree && insns ? tree.totals(tree.insns) : null;
  const totals = tree ? tree.functionTotals(run.names.length, nodeTotals!) : null;
  const totalsInsns = tree && nodeInsns ? tree.functionTotals(run.names.length, nodeInsns) : null;
  const grouper = o.grouper ?? null;
  const grouped = groupResults(grouper, run, functionCosts(self, run.nameOf, weight, totals, totalsInsns), weight, tree ?? null, insns);
  const rows = grouped.rows;
  const summary = buildSummary(run, counts, { negativeDeltas: self.negativeDeltas, weight: statedWeight(o.weight, weight, run) });
  const calls = useSyscalls ? syscalls.rows() : [];
  const stats = useSyscalls ? summarizeSyscalls(calls, weight) : [];
  const sysTotals = useSyscalls ? syscallTotals(calls, syscalls, run) : null;
  for (const w of inputWarnings(run, self.negativeDeltas)) warn(w);
  const unit = summary.unit;
  const keep = <T>(a: T[]): T[] => (o.top === undefined ? a : a.slice(0, o.top));
  const shownTop = o.top ?? o.tableTop ?? rows.length;
  const fnShown = Math.min(shownTop, rows.length);
  const layout: Section[] = [...timelineSections(), { title: `Self time (top ${fnShown} of ${rows.length})`, table: 'functions' }];
  if (useSyscalls) {
    const names = stats.length > shownTop ? `top ${shownTop} of ${stats.length} names` : `${stats.length} name${stats.length === 1 ? '' : 's'}`;
    layout.push({ title: `System calls (${formatCount(calls.length)}; ${names})`, table: 'syscalls', empty: '(none)' });
  }
  const lines = [...withWindowLine(summaryText(summary), window, summary.span_ns), ...timelineText(tl, unit)];
  if (sysTotals) lines.push(...syscallTotalsText(sysTotals, unit));
  const tables: Table[] = [
    ...timelineTables(tl),
    makeTable(FUNCTIONS_TABLE, keep(rows), { include: functionColumns(totals !== null, insns), titles: groupTitles(grouper) }),
    syscallStatsTable(stats, unit, o.top ?? stats.length, insns),
  ];
  let initcallSummary: object = {};
  if (coll && tree) {
    const all = namedInitcalls(coll.sorted('start'), run.names);
    const open = all.filter((r) => !r.returned).length;
    const sum = all.reduce((s, r) => s + r.duration, 0);
    const sumInsns = all.reduce((s, r) => s + r.insns, 0);
    initcallSummary = { initcalls: all.length, initcalls_unfinished: open, initcalls_total_ns: sum, ...(insns ? { initcalls_total_insns: sumInsns } : {}) };
    tables.push(makeTable(INITCALLS_TABLE, all, { include: insns ? ['insns'] : [] }));
    const byDuration = [...all].sort((a, b) => b.duration - a.duration);
    layout.push({
      title: `Initcalls (${formatCount(all.length)}; longest ${Math.min(shownTop, all.length)})`,
      table: 'initcalls_shown',
      empty: '(none)',
    });
    tables.push(makeTable({ ...INITCALLS_TABLE, name: 'initcalls_shown' }, byDuration.slice(0, shownTop), { include: insns ? ['insns'] : [] }));
    lines.push(`initcalls: ${formatCount(all.length)}${open ? ` (${formatCount(open)} unfinished)` : ''}, ${formatDuration(sum, unit)} in total`);
  }
  if (spans) tables.push(vcpuLanesTable(spans, run.parser.threadIds, counts.threadEvents, window), syscallTicksTable(calls, summary.span_ns ?? 0));
  const gt = grouped.tree;
  if (gt && nodeTotals)
    tables.push(
      callTreeTable({
        tree: gt,
        names: grouped.names(),
        totals: gt === tree ? nodeTotals : gt.totals(),
        insnsTotals: gt === tree || !nodeInsns ? nodeInsns : gt.totals(gt.insns),
      }),
    );
  const doc: ResultDocument = {
    kind: 'report',
    summary: {
      ...summary,
      ...timelineSummaryFields(tl),
      total_self_ns: self.totalSelf(),
      ...groupSummary(grouper),
      ...(insns ? { total_insns: self.totalInsns() } : {}),
      syscalls: sysTotals,
      ...(gt ? { stacks: true, call_nodes: gt.count - 1 } : {}),
      ...initcallSummary,
      ...windowField(window),
    },
    tables,
    lines,
    layout,
  };
  return { doc, weight, run };
}

/** Tables a format writes: the terminal's shortened initcall list only in the table, the lanes only in HTML. */
export function reportTables(doc: ResultDocument, format: string): readonly Table[] {
  const drop = new Set(format === 'table' ? [] : format === 'html' ? ['initcalls_shown'] : ['initcalls_shown', 'vcpu_lanes', 'syscall_ticks']);
  return doc.tables.filter((t) => !drop.has(t.spec.name));
}

export async function reportCommand(trace: string | undefined, o: ReportOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, MULTI_TABLE_FORMATS, 'report');
  const top = parseTop(o.top);
  const asked = parseWeight(o.weight);
  const groupBy = groupByOption(o);
  const out = openOutput(o.output, format);
  const input = inputOptions(trace, o);
  const windowed = windowOptions(o, input);
  const symbols = await loadSymbols(input);
  const grouper = await loadGrouper(groupBy, o, symbols);
  const window = windowed ? await resolveWindowFor(windowed, input, symbols) : null;
  // the page draws the call tree, the initcalls and per-vCPU lanes: HTML always reconstructs stacks
  const html = format === 'html';
  const { doc } = await analyzeReport(input, symbols, {
    weight: asked,
    stacks: o.stacks || html,
    lanes: html,
    top: format === 'table' ? (top ?? 15) : top,
    tableTop: 15,
    window,
    grouper,
  });
  await writeDocument(format, { ...doc, tables: reportTables(doc, format) }, out, { quiet: o.quiet, label: o.label });
}
