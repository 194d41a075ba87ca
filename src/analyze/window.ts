/**
 * Time windows (`--from X --to Y`, `--phase NAME`): a half-open span [from, to) of the trace, in ns
 * since its first event. An edge is a time (seconds from the trace's start: `0.25`, `250ms`, `1.5s`,
 * `800us`, `1000ns`), a milestone key (`start_kernel`, `init_exec`, ...: its time) or a function
 * name (its first call over all vCPUs); a phase (a timeline phase's key or label) is the window from
 * its milestone to the next one's, the last phase to the end. Names need the timeline of the trace,
 * which a first pass over it gives (commands/window-pass.ts).
 */
import { BootprofError } from '../io/errors.js';
import type { TimelineResult } from './timeline.js';

export interface TimeWindow {
  /** ns since the first event; the window holds [from, to). */
  from: number;
  /** Infinity: to the end of the trace. */
  to: number;
  /** What the user gave for each edge (the trace's start and end: "start", "end"). */
  fromLabel: string;
  toLabel: string;
}

export interface WindowOptions {
  from?: string;
  to?: string;
  phase?: string;
}

const UNITS: Record<string, number> = { s: 1e9, ms: 1e6, us: 1e3, µs: 1e3, ns: 1 };

/** A time edge in ns (rounded to the ns), or null when `v` is not a time. */
export function timeEdge(v: string): number | null {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(s|ms|us|µs|ns)?$/.exec(v.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 's']);
}

/** Whether resolving the window needs the trace's timeline (a name or a phase): a first pass. */
export function windowNeedsTimeline(o: WindowOptions): boolean {
  if (o.phase !== undefined) return true;
  return [o.from, o.to].some((e) => e !== undefined && timeEdge(e) === null);
}

/** Checks the options before any read: a phase excludes --from/--to. Null: no window. */
export function checkWindowOptions(o: WindowOptions): WindowOptions | null {
  if (o.phase !== undefined && (o.from !== undefined || o.to !== undefined))
    throw new BootprofError('E_USAGE', '--phase is a window of its own: give it alone, or --from/--to');
  if (o.phase === undefined && o.from === undefined && o.to === undefined) return null;
  for (const [opt, v] of [
    ['--from', o.from],
    ['--to', o.to],
    ['--phase', o.phase],
  ] as const)
    if (v !== undefined && v.trim() === '') throw new BootprofError('E_USAGE', `${opt} needs a value`);
  return o;
}

/** The time of a named edge: a milestone key, else a function's first call. */
function namedEdge(name: string, tl: TimelineResult, opt: string): number {
  const m = tl.milestones.find((h) => h.key === name);
  if (m) return m.time;
  const f = tl.functions.find((r) => r.name === name);
  if (f) return f.time;
  const keys = tl.milestones.map((h) => h.key).join(', ');
  throw new BootprofError(
    'E_USAGE',
    `${opt} ${name}: no milestone of that key and no function of that name ran in this trace${keys ? ` (its milestones: ${keys})` : ''}; or give seconds from the trace's start (0.25, 250ms)`,
  );
}

/** The window the options name; `tl` is the trace's timeline (needed for names and phases). */
export function resolveWindow(o: WindowOptions, tl: TimelineResult | null): TimeWindow {
  if (o.phase !== undefined) {
    const phases = tl!.phases;
    const i = phases.findIndex((p) => p.key === o.phase || p.label === o.phase);
    if (i < 0) throw new BootprofError('E_USAGE', `--phase ${o.phase}: this trace's phases are ${phases.map((p) => p.key).join(', ') || 'none'}`);
    const p = phases[i];
    const last = i === phases.length - 1;
    return {
      from: i === 0 ? -Infinity : p.start,
      to: last ? Infinity : phases[i + 1].start,
      fromLabel: i === 0 ? 'start' : p.from,
      toLabel: last ? 'end' : phases[i + 1].from,
    };
  }
  const edge = (v: string | undefined, opt: string, dflt: number): number => {
    if (v === undefined) return dflt;
    return timeEdge(v) ?? namedEdge(v, tl!, opt);
  };
  const from = edge(o.from, '--from', -Infinity);
  const to = edge(o.to, '--to', Infinity);
  if (!(from < to)) throw new BootprofError('E_USAGE', `the window is empty: --from ${o.from} is not before --to ${o.to}`);
  return { from, to, fromLabel: o.from ?? 'start', toLabel: o.to ?? 'end' };
}

/** The part of [start, end) inside the window (0 when none). */
export function clipped(w: TimeWindow, start: number, end: number): number {
  const a = start > w.from ? start : w.from;
  const b = end < w.to ? end : w.to;
  return b > a ? b - a : 0;
}

/** Whether [start, end) has a part inside the window, or starts inside it (an instant, or a span of 0). */
export function overlaps(w: TimeWindow, start: number, end: number): boolean {
  return (start >= w.from && start < w.to) || clipped(w, start, end) > 0;
}

/** The window as the JSON summary states it: its edges as given and in ns (null: the trace's start or end). */
export function windowSummary(w: TimeWindow): { from: string; to: string; from_ns: number | null; to_ns: number | null } {
  return {
    from: w.fromLabel,
    to: w.toLabel,
    from_ns: Number.isFinite(w.from) ? w.from : null,
    to_ns: Number.isFinite(w.to) ? w.to : null,
  };
}
