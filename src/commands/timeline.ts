/** `bootprof timeline`: first call of every function, boot milestones and phases. */
import { TraceCounts } from '../analyze/trace-counts.js';
import { FIRST_CALLS_TABLE, MILESTONES_TABLE, PHASE_IDLE_TABLE, PHASES_TABLE, phaseIdleRows, Timeline, type TimelineResult } from '../analyze/timeline.js';
import { BootprofError } from '../io/errors.js';
import { makeTable, tableOf, type ResultDocument, type Section, type Table } from '../model/table.js';
import { csvText } from '../output/csv.js';
import { documentText, writeDocument } from '../output/document.js';
import type { TimelineSummaryFields } from '../output/format-spec.js';
import { documentJson } from '../output/json.js';
import { openOutput } from '../output/sink.js';
import { formatSeconds } from '../output/timestamp.js';
import { loadSymbols, runPipeline } from '../pipeline.js';
import { chooseFormat, inputOptions, warn, type CommonOptions } from './common.js';
import { buildSummary, inputWarnings, summaryText, type TraceSummary } from './summary.js';
import { requireTimed, resolveWindowFor, windowField, windowOptions, withWindowLine } from './window-pass.js';
import type { TimeWindow, WindowOptions } from '../analyze/window.js';

export interface TimelineOptions extends CommonOptions, WindowOptions {
  all?: boolean;
  grep?: string;
}

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
  /** --from/--to/--phase: the result is cut to it (Timeline.window). */
  window?: TimeWindow | null;
}

/** What the timeline adds to the trace summary: the boot vCPU, where the trace starts and the VMM points. */
export function timelineSummaryFields(r: TimelineResult): TimelineSummaryFields {
  return {
    boot_cpu: r.bootCpu,
    starts_in: r.startsIn,
    firmware_start_ns: r.vmm.firmware_start,
    linux_start_kernel_ns: r.vmm.linux_start_kernel,
    linux_start_user_ns: r.vmm.linux_start_user,
    idle_ns: r.totalIdle,
    functions: r.functions.length,
  };
}

/** The phases, their idle time per vCPU and the milestones: tables timeline and report share. */
export function timelineTables(r: TimelineResult): Table[] {
  return [
    makeTable(PHASES_TABLE, r.phases, { titles: { idle: `idle (vCPU ${r.bootCpu})` }, include: r.insns ? ['insns'] : [] }),
    makeTable(PHASE_IDLE_TABLE, phaseIdleRows(r.phases)),
    makeTable(MILESTONES_TABLE, r.milestones, { include: r.insns ? ['insns'] : [] }),
  ];
}

/** The terminal sections of phases and milestones. */
export function timelineSections(): Section[] {
  return [
    { title: 'Phases', table: 'phases' },
    { title: 'Milestones', table: 'milestones', empty: '(none found)' },
  ];
}

/** Lines under the table (and on stderr beside CSV): boot vCPU and the VMM points. */
export function timelineText(r: TimelineResult, unit: 'ns' | 'events'): string[] {
  const point = (v: number | null): string => (v === null ? 'absent' : formatSeconds(v, unit) + (unit === 'ns' ? ' s' : ''));
  return [
    `boot vCPU: ${r.bootCpu}, trace starts in: ${r.startsIn}${r.startsIn === 'kernel' ? ' (an excerpt: first-seen is not first call for what was already running)' : ''}`,
    `firmware_start ${point(r.vmm.firmware_start)}, linux_start_kernel ${point(r.vmm.linux_start_kernel)}, linux_start_user ${point(r.vmm.linux_start_user)}`,
  ];
}

export function timelineDocument(rep: TimelineReport, o: { all?: boolean; grep?: RegExp } = {}): ResultDocument {
  const r = rep.result;
  const grep = o.grep;
  const rows = grep ? r.functions.filter((f) => grep.test(f.name)) : r.functions;
  const layout: Section[] = timelineSections();
  if (o.all || grep) {
    layout.push({
      title: `First call of ${grep ? `functions matching /${grep.source}/ (${rows.length})` : `every function (${rows.length})`}`,
      table: 'first_calls',
    });
  } else {
    layout.push({ notes: [`${r.functions.length} functions and regions seen: --all lists the first call of each, --grep REGEX some`] });
  }
  const window = rep.window ?? null;
  return {
    kind: 'timeline',
    summary: { ...rep.summary, ...timelineSummaryFields(r), ...windowField(window) },
    tables: [...timelineTables(r), makeTable(FIRST_CALLS_TABLE, rows)],
    lines: [...withWindowLine(summaryText(rep.summary), window, rep.summary.span_ns), ...timelineText(r, rep.summary.unit)],
    layout,
    csv: 'first_calls',
    besideCsv: ['phases'],
  };
}

export function timelineCsv(rep: TimelineReport, grep?: RegExp): string {
  return csvText(tableOf(timelineDocument(rep, { grep }), 'first_calls'));
}

export function timelineJson(rep: TimelineReport, grep?: RegExp): string {
  return documentJson(timelineDocument(rep, { grep }));
}

export function timelineTableText(rep: TimelineReport, o: { all?: boolean; grep?: RegExp } = {}): string {
  return documentText(timelineDocument(rep, o));
}

export async function timelineCommand(trace: string | undefined, o: TimelineOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, undefined, 'timeline');
  const grep = parseGrep(o.grep);
  const out = openOutput(o.output, format);
  const input = inputOptions(trace, o);
  const windowed = windowOptions(o, input);
  const symbols = windowed ? await loadSymbols(input) : undefined;
  const window = windowed ? await resolveWindowFor(windowed, input, symbols!) : null;
  const counts = new TraceCounts();
  let tl!: Timeline;
  const run = await runPipeline(
    input,
    (info) => {
      requireTimed(window, info);
      tl = Timeline.fromInfo(info);
      tl.window = window;
      return [counts, tl];
    },
    symbols,
  );
  const result = tl.result();
  const summary = buildSummary(run, counts, { negativeDeltas: result.negativeDeltas });
  for (const w of inputWarnings(run, result.negativeDeltas)) warn(w);
  await writeDocument(format, timelineDocument({ result, names: run.names, summary, window }, { all: o.all, grep }), out, {
    quiet: o.quiet,
    label: o.label,
  });
}
