/**
 * `bootprof report`: self time, the timeline and system calls from ONE pass over the trace (the
 * analyses share the parse, the symbol stage and the worker threads), as a table or JSON.
 */
import { FUNCTIONS_TABLE, functionColumns, functionCosts, SelfTime } from '../analyze/self-time.js';
import { TraceCounts } from '../analyze/trace-counts.js';
import { Syscalls, summarizeSyscalls } from '../analyze/syscalls.js';
import { Timeline } from '../analyze/timeline.js';
import { makeTable, type ResultDocument, type Section } from '../model/table.js';
import { MULTI_TABLE_FORMATS, writeDocument } from '../output/document.js';
import { openOutput } from '../output/sink.js';
import { formatCount } from '../output/units.js';
import { loadSymbols, runPipeline } from '../pipeline.js';
import { chooseFormat, inputOptions, parseTop, parseWeight, runWeight, statedWeight, warn, type CommonOptions } from './common.js';
import { buildSummary, inputWarnings, summaryText } from './summary.js';
import { syscallStatsTable, syscallTotals, syscallTotalsText } from './syscalls.js';
import { timelineSections, timelineSummaryFields, timelineTables, timelineText } from './timeline.js';

export interface ReportOptions extends CommonOptions {
  top?: string;
}

export async function reportCommand(trace: string | undefined, o: ReportOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, MULTI_TABLE_FORMATS, 'report');
  const top = parseTop(o.top) ?? 15;
  const asked = parseWeight(o.weight);
  const out = openOutput(o.output);
  const input = inputOptions(trace, o);
  const symbols = await loadSymbols(input);
  const counts = new TraceCounts();
  let timeline!: Timeline;
  let syscalls!: Syscalls;
  let self!: SelfTime;
  const run = await runPipeline(
    input,
    (info) => {
      self = new SelfTime(info.unit);
      timeline = Timeline.fromInfo(info);
      syscalls = new Syscalls(info.names);
      return [counts, self, timeline, syscalls];
    },
    symbols,
  );
  // no entry symbol among the names (no map, or not a kernel's): no syscalls section
  const useSyscalls = syscalls.classes.entries.length > 0;
  const tl = timeline.result();

  const weight = runWeight(asked, run);
  const rows = functionCosts(self, run.names, weight);
  const summary = buildSummary(run, counts, { negativeDeltas: self.negativeDeltas, weight: statedWeight(asked, weight, run) });
  const calls = useSyscalls ? syscalls.rows() : [];
  const stats = useSyscalls ? summarizeSyscalls(calls, weight) : [];
  const totals = useSyscalls ? syscallTotals(calls, syscalls, run) : null;
  for (const w of inputWarnings(run, self.negativeDeltas)) warn(w);
  const unit = summary.unit;
  const layout: Section[] = [...timelineSections(), { title: `Self time (top ${Math.min(top, rows.length)} of ${rows.length})`, table: 'functions' }];
  if (useSyscalls) {
    const names = stats.length > top ? `top ${top} of ${stats.length} names` : `${stats.length} name${stats.length === 1 ? '' : 's'}`;
    layout.push({ title: `System calls (${formatCount(calls.length)}; ${names})`, table: 'syscalls', empty: '(none)' });
  }
  const lines = [...summaryText(summary), ...timelineText(tl, unit)];
  if (totals) lines.push(...syscallTotalsText(totals, unit));
  const doc: ResultDocument = {
    kind: 'report',
    summary: { ...summary, ...timelineSummaryFields(tl), total_self_ns: self.totalSelf(), syscalls: totals },
    tables: [
      ...timelineTables(tl),
      makeTable(FUNCTIONS_TABLE, rows.slice(0, top), { include: functionColumns(false, run.translations.active) }),
      syscallStatsTable(stats, unit, top, run.translations.active),
    ],
    lines,
    layout,
  };
  await writeDocument(format, doc, out, { quiet: o.quiet });
}
