/**
 * `bootprof report`: self time, the timeline and system calls from ONE pass over the trace (the
 * analyses share the parse, the symbol stage and the worker threads), as a table or JSON.
 */
import { SelfTime } from '../analyze/self-time.js';
import { TraceCounts } from '../analyze/summary.js';
import { Syscalls, summarizeSyscalls } from '../analyze/syscalls.js';
import { Timeline } from '../analyze/timeline.js';
import { openOutput } from '../output/sink.js';
import { renderTable } from '../output/table.js';
import { formatCount, formatDuration, sharePercent } from '../output/units.js';
import { loadSymbols, runPipeline } from '../pipeline.js';
import { chooseFormat, inputOptions, parseTop, warn, type CommonOptions } from './common.js';
import { buildSummary, inputWarnings, summaryText } from './summary.js';
import { jsonStat, syscallSummaryTable, syscallTotals, syscallTotalsText } from './syscalls.js';
import { milestonesTable, phasesTable, timelineObject, timelineText, type TimelineReport } from './timeline.js';

export interface ReportOptions extends CommonOptions {
  top?: string;
}

export async function reportCommand(trace: string | undefined, o: ReportOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, ['table', 'json'], 'report');
  const top = parseTop(o.top) ?? 15;
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
  const summary = buildSummary(run, counts, { negativeDeltas: self.negativeDeltas });
  const rep: TimelineReport = { result: tl, names: run.names, summary };
  const rows = self.rows((id) => run.names[id]);
  const total = self.totalSelf();
  const calls = useSyscalls ? syscalls.rows() : [];
  const stats = useSyscalls ? summarizeSyscalls(calls) : [];
  const totals = useSyscalls ? syscallTotals(calls, syscalls, run) : null;
  for (const w of inputWarnings(run, self.negativeDeltas)) warn(w);
  const unit = summary.unit;

  if (format === 'json') {
    const t = timelineObject(rep);
    const json = {
      summary: { ...(t.summary as object), total_self: total, syscalls: totals },
      phases: t.phases,
      milestones: t.milestones,
      self_time: rows.slice(0, top).map((r) => ({ function: run.names[r.id], self_ns: r.self, share: sharePercent(r.self, total), events: r.events })),
      syscalls: stats.slice(0, top).map(jsonStat),
    };
    await out.write(JSON.stringify(json, null, 1) + '\n');
  } else {
    let text = 'Phases\n' + phasesTable(rep);
    text += '\nMilestones\n' + (tl.milestones.length ? milestonesTable(rep) : '(none found)\n');
    text += `\nSelf time (top ${Math.min(top, rows.length)} of ${rows.length})\n`;
    text += renderTable(
      [{ header: 'function' }, { header: 'self', align: 'right' }, { header: 'share', align: 'right' }, { header: 'events', align: 'right' }],
      rows.slice(0, top).map((r) => [run.names[r.id], formatDuration(r.self, unit), sharePercent(r.self, total).toFixed(2) + '%', formatCount(r.events)]),
    );
    if (useSyscalls) {
      const names = stats.length > top ? `top ${top} of ${stats.length} names` : `${stats.length} name${stats.length === 1 ? '' : 's'}`;
      text += `\nSystem calls (${formatCount(calls.length)}; ${names})\n` + (stats.length ? syscallSummaryTable(stats, unit, top) : '(none)\n');
    }
    const tail = [...summaryText(summary), ...timelineText(rep)];
    if (totals) tail.push(...syscallTotalsText(totals, unit));
    text += '\n' + tail.join('\n') + '\n';
    await out.write(text);
  }
  await out.close();
}
