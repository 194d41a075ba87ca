/**
 * What the HTML report draws in its per-vCPU lanes besides initcalls: when each vCPU ran (its first
 * and last event: the boot CPU from the start, application processors from their bring-up) and its
 * system calls as ticks. Aggregates only: a page stays small whatever the trace's size.
 */
import type { Analysis } from './analysis.js';
import { grow } from './analysis.js';
import type { EventBatch } from '../model/batch.js';
import { defineTable, makeTable, type Table } from '../model/table.js';
import type { SyscallRow } from './syscalls.js';
import type { TimeWindow } from './window.js';

/** Per vCPU index: first and last event time (bounded by the vCPU cap; events per vCPU are TraceCounts'). */
export class VcpuSpans implements Analysis {
  first = new Float64Array(16).fill(NaN);
  last = new Float64Array(16).fill(NaN);
  /** vCPUs seen (highest index + 1). */
  count = 0;

  consume(b: EventBatch): void {
    const { time, thread } = b;
    for (let i = 0; i < b.length; i++) {
      const t = thread[i];
      if (t >= this.count) {
        this.first = grow(this.first, t, NaN);
        this.last = grow(this.last, t, NaN);
        this.count = t + 1;
      }
      const now = time[i];
      if (Number.isNaN(this.first[t])) this.first[t] = now;
      this.last[t] = now;
    }
  }
}

export interface LaneRow {
  cpu: number;
  tid: number;
  first: number;
  last: number;
  events: number;
}

export const VCPU_LANES_TABLE = defineTable<LaneRow>({
  name: 'vcpu_lanes',
  doc: 'One row per vCPU: when it ran its first and last event (an application processor starts at its bring-up).',
  columns: [
    { key: 'cpu', kind: 'index', doc: 'vCPU index, in order of first appearance.', get: (r) => r.cpu },
    { key: 'tid', kind: 'index', doc: "The vCPU thread's id in the trace.", get: (r) => r.tid },
    { key: 'first_ns', kind: 'time', doc: 'Its first event.', get: (r) => r.first },
    { key: 'last_ns', kind: 'time', doc: 'Its last event.', get: (r) => r.last },
    { key: 'events', kind: 'count', doc: 'Its events.', get: (r) => r.events },
  ],
});

/**
 * `events`: events per vCPU index (TraceCounts.threadEvents). `window`: each vCPU's span cut to it
 * (vCPUs that ran nothing in it left out; events stay the whole run's).
 */
export function vcpuLanesTable(spans: VcpuSpans, tids: readonly number[], events: ArrayLike<number>, window: TimeWindow | null = null): Table<LaneRow> {
  const rows: LaneRow[] = [];
  for (let c = 0; c < spans.count; c++) {
    if (Number.isNaN(spans.first[c])) continue;
    let first = spans.first[c];
    let last = spans.last[c];
    if (window) {
      if (last < window.from || first >= window.to) continue;
      if (first < window.from) first = window.from;
      if (last >= window.to) last = window.to;
    }
    rows.push({ cpu: c, tid: tids[c] ?? -1, first, last, events: events[c] ?? 0 });
  }
  return makeTable(VCPU_LANES_TABLE, rows);
}

export interface TickRow {
  cpu: number;
  start: number;
  duration: number;
  calls: number;
  name: string;
}

export const SYSCALL_TICKS_TABLE = defineTable<TickRow>({
  name: 'syscall_ticks',
  doc: 'System calls for the per-vCPU lanes: one row per call when a trace has at most 20,000, else one per vCPU and time bin of 1/2,000 of the span (calls counts them).',
  columns: [
    { key: 'cpu', kind: 'index', doc: 'vCPU index.', get: (r) => r.cpu },
    { key: 'start_ns', kind: 'time', doc: "The call's entry (a bin's start).", get: (r) => r.start },
    { key: 'duration_ns', kind: 'duration', doc: "The call's duration (a bin's width).", get: (r) => r.duration },
    { key: 'calls', kind: 'count', doc: 'Calls in the row: 1 for a call, more for a bin.', get: (r) => r.calls },
    { key: 'name', kind: 'text', doc: "The call's name (empty for a bin of several).", get: (r) => r.name },
  ],
});

/** Calls drawn one by one up to this many; beyond, binned. */
export const MAX_TICK_CALLS = 20_000;
/** Bins per vCPU over the traced span when binned. */
export const TICK_BINS = 2_000;

export function syscallTicksTable(calls: readonly SyscallRow[], span: number): Table<TickRow> {
  if (calls.length <= MAX_TICK_CALLS)
    return makeTable(
      SYSCALL_TICKS_TABLE,
      calls.map((c) => ({ cpu: c.cpu, start: c.ts, duration: c.duration, calls: 1, name: c.compat ? `${c.name} (compat)` : c.name })),
    );
  const width = Math.max(1, Math.ceil((span + 1) / TICK_BINS));
  const bins = new Map<number, TickRow>();
  for (const c of calls) {
    const bin = Math.min(TICK_BINS - 1, Math.floor(c.ts / width));
    const key = c.cpu * TICK_BINS + bin;
    const r = bins.get(key);
    if (r) r.calls++;
    else bins.set(key, { cpu: c.cpu, start: bin * width, duration: width, calls: 1, name: '' });
  }
  const rows = [...bins.values()].sort((a, b) => a.cpu - b.cpu || a.start - b.start);
  return makeTable(SYSCALL_TICKS_TABLE, rows);
}
