/**
 * The window of a command's `--from/--to/--phase` (analyze/window.ts): times are taken as given;
 * milestone keys, function names and phases come from the trace's timeline, which a first pass over
 * the trace computes (so a window by name needs a file, which can be read twice).
 */
import { Timeline, type TimelineResult } from '../analyze/timeline.js';
import { checkWindowOptions, resolveWindow, windowNeedsTimeline, windowSummary, type TimeWindow, type WindowOptions } from '../analyze/window.js';
import { BootprofError } from '../io/errors.js';
import { formatSeconds } from '../output/timestamp.js';
import { formatDuration } from '../output/units.js';
import type { WindowSummary } from '../output/format-spec.js';
import { runPipeline, type InputOptions, type Symbols, type TraceInfo } from '../pipeline.js';

/** Checked before any read: the window options (null: none) and whether they need a first pass. */
export function windowOptions(o: WindowOptions, input: InputOptions): WindowOptions | null {
  const w = checkWindowOptions(o);
  if (w && windowNeedsTimeline(w) && (!input.trace || input.trace === '-'))
    throw new BootprofError(
      'E_USAGE',
      'a window by milestone, function or phase reads the trace twice (first to find the times): give a trace file, not standard input, or the edges in seconds (--from 0.5 --to 1.25s)',
    );
  return w;
}

/** Resolves the window, reading the trace once first when it names milestones, functions or a phase. */
export async function resolveWindowFor(w: WindowOptions, input: InputOptions, symbols: Symbols): Promise<TimeWindow> {
  let tl: TimelineResult | null = null;
  if (windowNeedsTimeline(w)) {
    let timeline!: Timeline;
    // its own copy of the symbols: the run appends its KASLR note to them
    await runPipeline({ ...input, progress: false }, (info) => [(timeline = Timeline.fromInfo(info))], { ...symbols });
    tl = timeline.result();
  }
  return resolveWindow(w, tl);
}

/** A window's edges as lines state them: "0.030988 s (start_kernel) to the end". */
export function windowEdges(w: WindowSummary): string {
  const edge = (ns: number | null, label: string, open: string): string =>
    ns === null ? open : `${formatSeconds(ns)} s${/^[\d.]/.test(label) ? '' : ` (${label})`}`;
  return `${edge(w.from_ns, w.from, 'the start')} to ${edge(w.to_ns, w.to, 'the end')}`;
}

/** The summary line of a window: "window: 0.030988 s (start_kernel) to the end, 164.8 ms". */
export function windowLine(w: TimeWindow, end: number): string {
  const from = Number.isFinite(w.from) ? w.from : 0;
  const to = Number.isFinite(w.to) ? Math.min(w.to, end) : end;
  return `window: ${windowEdges(windowSummary(w))}, ${formatDuration(Math.max(0, to - from))}`;
}

/** In a pipeline's setup: a window needs a timed trace (an untimed one counts events, not time). */
export function requireTimed(w: TimeWindow | null, info: TraceInfo): void {
  if (w && info.unit !== 'ns') throw new BootprofError('E_USAGE', `--from/--to/--phase need a timed trace; ${info.format} here has no times`);
}

/** The summary's `window` key (none without a window). */
export function windowField(w: TimeWindow | null): { window?: WindowSummary } {
  return w ? { window: windowSummary(w) } : {};
}

/** The summary lines with the window's line after them. */
export function withWindowLine(lines: string[], w: TimeWindow | null, end: number | null | undefined): string[] {
  return w ? [...lines, windowLine(w, end ?? 0)] : lines;
}
