/**
 * What `bootprof record` shows while the guest boots: events so far and the milestones as they are
 * reached (the first event of a milestone's function or region, in file order). A milestone's
 * final time and its conditions (boot vCPU, before/after) are the timeline's, written at the end;
 * this is the running view, one typed-array lookup per event.
 */
import type { Analysis } from './analysis.js';
import { MILESTONES } from './milestones.js';
import type { EventBatch } from '../model/batch.js';

export interface Reached {
  label: string;
  /** ns since the trace's first event. */
  time: number;
  /** Events before it. */
  events: number;
}

export class LiveStatus implements Analysis {
  events = 0;
  private known = 0;
  /** Per name id: index + 1 into MILESTONES of the milestone it starts (0: none). */
  private marks = new Int32Array(0);
  /** Per MILESTONES index + 1: reached. */
  private readonly done = new Uint8Array(MILESTONES.length + 1);
  private lastReport = 0;

  constructor(
    private readonly names: readonly string[],
    /** Called with milestones just reached, and every `everyMs` with the running count. */
    private readonly report: (reached: Reached[], events: number) => void,
    private readonly everyMs = 500,
  ) {}

  /** Maps names added since the last call (a pre-resolved trace's list grows while it is read). */
  private classify(): void {
    const n = this.names.length;
    if (n <= this.known) return;
    const marks = new Int32Array(n);
    marks.set(this.marks);
    const byName = new Map<string, number>();
    MILESTONES.forEach((m, i) => {
      const names = 'functions' in m.match ? m.match.functions : 'region' in m.match ? [m.match.region] : [];
      for (const name of names) if (!byName.has(name)) byName.set(name, i + 1);
    });
    for (let id = this.known; id < n; id++) marks[id] = byName.get(this.names[id]) ?? 0;
    this.marks = marks;
    this.known = n;
  }

  consume(b: EventBatch): void {
    this.classify();
    const { sym, time } = b;
    const marks = this.marks;
    let reached: Reached[] | null = null;
    for (let i = 0; i < b.length; i++) {
      const id = sym[i];
      const m = id >= 0 && id < marks.length ? marks[id] : 0;
      if (m === 0 || this.done[m]) continue;
      this.done[m] = 1;
      (reached ??= []).push({ label: MILESTONES[m - 1].label, time: time[i], events: this.events + i });
    }
    this.events += b.length;
    const now = Date.now();
    if (reached || now - this.lastReport >= this.everyMs) {
      this.lastReport = now;
      this.report(reached ?? [], this.events);
    }
  }
}
