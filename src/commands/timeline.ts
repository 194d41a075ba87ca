/** `bootprof timeline`: first call of every function, boot milestones and phases. */
import { TraceCounts } from '../analyze/summary.js';
import { Timeline, type TimelineResult } from '../analyze/timeline.js';
import { BootprofError } from '../io/errors.js';
import { csvLine } from '../output/csv.js';
import { openOutput } from '../output/sink.js';
import { renderTable } from '../output/table.js';
import { formatSeconds } from '../output/timestamp.js';
import { formatDuration, sharePercent } from '../output/units.js';
import { runPipeline } from '../pipeline.js';
import { chooseFormat, inputOptions, warn, type CommonOptions } from './common.js';
import { buildSummary, inputWarnings, summaryText, type TraceSummary } from './summary.js';

export interface TimelineOptions extends CommonOptions {
  all?: boolean;
  grep?: string;
}

export const TIMELINE_CSV_HEADER = ['function', 'first_ns', 'cpu', 'milestone'] as const;

export function parseGrep(v: string | undefined): RegExp | undefined {
  if (v === undefined) return undefined;
  try {
    return new RegExp(v);
  } catch (err) {
    throw new BootprofError('E_USAGE', `--grep: invalid regular expression '${v}' (${(err as Error).message})`);
  }
}

export interface TimelineReport {
  result: TimelineResult;
  names: readonly string[];
  summary: TraceSummary;
}

function milestoneOf(r: TimelineResult, id: number): string {
  return r.milestoneLabels.get(id)?.join('; ') ?? '';
}

function functionRows(rep: TimelineReport, grep: RegExp | undefined): TimelineResult['functions'] {
  const { result, names } = rep;
  return grep ? result.functions.filter((f) => grep.test(names[f.id])) : result.functions;
}

export function timelineCsv(rep: TimelineReport, grep?: RegExp): string {
  let text = csvLine(TIMELINE_CSV_HEADER);
  for (const f of functionRows(rep, grep)) text += csvLine([rep.names[f.id], f.time, f.cpu, milestoneOf(rep.result, f.id)]);
  return text;
}

/** The JSON summary: the shared one plus the boot vCPU, where the trace starts and the VMM points. */
export function timelineSummary(rep: TimelineReport): Record<string, unknown> {
  const r = rep.result;
  return {
    ...rep.summary,
    boot_cpu: r.bootCpu,
    starts_in: r.startsIn,
    firmware_start: r.vmm.firmware_start,
    linux_start_kernel: r.vmm.linux_start_kernel,
    linux_start_user: r.vmm.linux_start_user,
    idle_ns: r.totalIdle,
    functions: r.functions.length,
  };
}

export function timelineJson(rep: TimelineReport, grep?: RegExp): string {
  return JSON.stringify(timelineObject(rep, grep), null, 1) + '\n';
}

/** The timeline as plain data: {summary, phases, milestones, functions}. */
export function timelineObject(rep: TimelineReport, grep?: RegExp): Record<string, unknown> {
  const r = rep.result;
  const names = rep.names;
  return {
    summary: timelineSummary(rep),
    phases: r.phases.map((p) => ({
      phase: p.key,
      label: p.label,
      from: p.from,
      start_ns: p.start,
      end_ns: p.end,
      duration_ns: p.duration,
      share: sharePercent(p.duration, r.span),
      idle_ns: p.idle,
      idle_share: sharePercent(p.idle, p.duration),
      idle_by_cpu: p.idleByCpu,
      partial: p.partial,
      ...(p.firmware !== undefined ? { firmware_ns: p.firmware, boot_ns: p.boot } : {}),
    })),
    milestones: r.milestones.map((m) => ({ milestone: m.key, label: m.label, function: names[m.id], time_ns: m.time, cpu: m.cpu })),
    functions: functionRows(rep, grep).map((f) => ({ function: names[f.id], first_ns: f.time, cpu: f.cpu, milestone: milestoneOf(r, f.id) || null })),
  };
}

export function phasesTable(rep: TimelineReport): string {
  const r = rep.result;
  const unit = rep.summary.unit;
  return renderTable(
    [
      { header: 'phase' },
      { header: unit === 'ns' ? 'start (s)' : 'start', align: 'right' },
      { header: 'duration', align: 'right' },
      { header: 'share', align: 'right' },
      { header: `idle (vCPU ${r.bootCpu})`, align: 'right' },
      { header: 'note' },
    ],
    r.phases.map((p) => {
      const notes: string[] = [];
      if (p.partial) notes.push('partial: the trace starts inside it');
      if (p.firmware !== undefined) notes.push(`[firmware] ${formatDuration(p.firmware, unit)}, [boot] ${formatDuration(p.boot ?? 0, unit)}`);
      return [
        p.label,
        formatSeconds(p.start, unit),
        formatDuration(p.duration, unit),
        sharePercent(p.duration, r.span).toFixed(2) + '%',
        `${formatDuration(p.idle, unit)} ${('(' + sharePercent(p.idle, p.duration).toFixed(1) + '%)').padStart(8)}`,
        notes.join('; '),
      ];
    }),
  );
}

export function milestonesTable(rep: TimelineReport): string {
  const r = rep.result;
  const unit = rep.summary.unit;
  let prev = r.start;
  return renderTable(
    [
      { header: unit === 'ns' ? 'time (s)' : 'time', align: 'right' },
      { header: '+prev', align: 'right' },
      { header: 'milestone' },
      { header: 'function' },
      { header: 'vCPU', align: 'right' },
    ],
    r.milestones.map((m) => {
      const row = [formatSeconds(m.time, unit), formatDuration(m.time - prev, unit), m.label, rep.names[m.id], String(m.cpu)];
      prev = m.time;
      return row;
    }),
  );
}

export function functionsTable(rep: TimelineReport, grep?: RegExp): string {
  const unit = rep.summary.unit;
  return renderTable(
    [{ header: unit === 'ns' ? 'first (s)' : 'first', align: 'right' }, { header: 'function' }, { header: 'vCPU', align: 'right' }, { header: 'milestone' }],
    functionRows(rep, grep).map((f) => [formatSeconds(f.time, unit), rep.names[f.id], String(f.cpu), milestoneOf(rep.result, f.id)]),
  );
}

/** Lines under the table (and on stderr beside CSV): boot vCPU and the VMM points. */
export function timelineText(rep: TimelineReport): string[] {
  const r = rep.result;
  const unit = rep.summary.unit;
  const point = (v: number | null): string => (v === null ? 'absent' : formatSeconds(v, unit) + (unit === 'ns' ? ' s' : ''));
  const lines = [
    `boot vCPU: ${r.bootCpu}, trace starts in: ${r.startsIn}${r.startsIn === 'kernel' ? ' (an excerpt: first-seen is not first call for what was already running)' : ''}`,
    `firmware_start ${point(r.vmm.firmware_start)}, linux_start_kernel ${point(r.vmm.linux_start_kernel)}, linux_start_user ${point(r.vmm.linux_start_user)}`,
  ];
  return lines;
}

export function timelineTableText(rep: TimelineReport, o: { all?: boolean; grep?: RegExp } = {}): string {
  let text = 'Phases\n' + phasesTable(rep);
  text += '\nMilestones\n' + (rep.result.milestones.length ? milestonesTable(rep) : '(none found)\n');
  if (o.all || o.grep) {
    const rows = functionRows(rep, o.grep);
    text += `\nFirst call of ${o.grep ? `functions matching /${o.grep.source}/ (${rows.length})` : `every function (${rows.length})`}\n`;
    text += functionsTable(rep, o.grep);
  } else {
    text += `\n${rep.result.functions.length} functions and regions seen: --all lists the first call of each, --grep REGEX some\n`;
  }
  text += '\n' + [...summaryText(rep.summary), ...timelineText(rep)].join('\n') + '\n';
  return text;
}

export async function timelineCommand(trace: string | undefined, o: TimelineOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, undefined, 'timeline');
  const grep = parseGrep(o.grep);
  const out = openOutput(o.output);
  const input = inputOptions(trace, o);
  const counts = new TraceCounts();
  let tl!: Timeline;
  const run = await runPipeline(input, (info) => [counts, (tl = Timeline.fromInfo(info))]);
  const result = tl.result();
  const summary = buildSummary(run, counts, { negativeDeltas: result.negativeDeltas });
  const rep: TimelineReport = { result, names: run.names, summary };
  for (const w of inputWarnings(run, result.negativeDeltas)) warn(w);

  if (format === 'csv') {
    await out.write(timelineCsv(rep, grep));
    if (!o.quiet) process.stderr.write([...summaryText(summary), ...timelineText(rep)].join('\n') + '\n' + phasesTable(rep));
  } else if (format === 'json') {
    await out.write(timelineJson(rep, grep));
  } else {
    await out.write(timelineTableText(rep, { all: o.all, grep }));
  }
  await out.close();
}
