/**
 * Self time: event i of a vCPU is charged t(next event of the same vCPU) - t(i); each vCPU's last
 * event gets 0; a negative difference (time going backwards) counts as 0 and is reported. In an
 * untimed trace every event weighs 1 (unit "events").
 */
import type { EventBatch } from '../model/batch.js';
import type { TimeUnit } from '../formats/parser.js';
import { defineTable, sharePercent } from '../model/table.js';
import { grow, type Analysis } from './analysis.js';

export interface SelfTimeRow {
  id: number;
  self: number;
  events: number;
}

export class SelfTime implements Analysis {
  /** Per name id: summed self time (ns or events) and event count. */
  self = new Float64Array(1024);
  events = new Float64Array(1024);
  /** Per vCPU: time and name id of its pending (not yet charged) event; -1 = none yet. */
  private lastTime = new Float64Array(16);
  private lastSym = new Int32Array(16).fill(-1);
  negativeDeltas = 0;

  constructor(readonly unit: TimeUnit) {}

  consume(batch: EventBatch): void {
    const n = batch.length;
    const time = batch.time;
    const thread = batch.thread;
    const sym = batch.sym;
    let self = this.self;
    let events = this.events;
    if (this.unit === 'events') {
      for (let i = 0; i < n; i++) {
        const s = sym[i];
        if (s >= self.length) {
          this.self = self = grow(self, s);
          this.events = events = grow(events, s);
        }
        self[s] += 1;
        events[s]++;
      }
      return;
    }
    // The pending event of the vCPU of the current run of events is kept in locals: consecutive
    // events mostly belong to the same vCPU, so the per-vCPU arrays are touched only at switches.
    let lastTime = this.lastTime;
    let lastSym = this.lastSym;
    let negative = 0;
    let curT = -1;
    let curSym = -1;
    let curTime = 0;
    for (let i = 0; i < n; i++) {
      const t = thread[i];
      const s = sym[i];
      const now = time[i];
      if (s >= self.length) {
        this.self = self = grow(self, s);
        this.events = events = grow(events, s);
      }
      if (t !== curT) {
        if (curT >= 0) {
          lastSym[curT] = curSym;
          lastTime[curT] = curTime;
        }
        if (t >= lastSym.length) {
          this.lastSym = lastSym = grow(lastSym, t, -1);
          this.lastTime = lastTime = grow(lastTime, t);
        }
        curT = t;
        curSym = lastSym[t];
        curTime = lastTime[t];
      }
      if (curSym >= 0) {
        const d = now - curTime;
        if (d >= 0) self[curSym] += d;
        else negative++;
      }
      curSym = s;
      curTime = now;
      events[s]++;
    }
    if (curT >= 0) {
      lastSym[curT] = curSym;
      lastTime[curT] = curTime;
    }
    this.negativeDeltas += negative;
  }

  /** Rows for every name id that had events, sorted by self time, then events, then `nameOf`. */
  rows(nameOf: (id: number) => string): SelfTimeRow[] {
    const rows: SelfTimeRow[] = [];
    for (let id = 0; id < this.events.length; id++) {
      if (this.events[id] > 0) rows.push({ id, self: this.self[id], events: this.events[id] });
    }
    rows.sort((a, b) => b.self - a.self || b.events - a.events || (nameOf(a.id) < nameOf(b.id) ? -1 : nameOf(a.id) > nameOf(b.id) ? 1 : 0));
    return rows;
  }

  totalSelf(): number {
    let s = 0;
    for (let i = 0; i < this.self.length; i++) s += this.self[i];
    return s;
  }
}

/** A function's (or region's) row of the functions table. */
export interface FunctionCost {
  function: string;
  self: number;
  /** Inclusive time from the reconstructed stacks (--stacks), else 0. */
  total: number;
  share: number;
  events: number;
}

export const FUNCTIONS_TABLE = defineTable<FunctionCost>({
  name: 'functions',
  doc: 'Self time per function or region label, most first (then events, then name).',
  columns: [
    { key: 'function', kind: 'text', doc: 'Function name, or a region label ([user], [firmware], [boot], [unknown], [kernel]).', get: (r) => r.function },
    {
      key: 'self_ns',
      kind: 'duration',
      title: 'self',
      titleEvents: 'self (events)',
      doc: 'Time charged to its events: each event until the next event of its vCPU.',
      get: (r) => r.self,
    },
    {
      key: 'total_ns',
      kind: 'duration',
      title: 'total',
      titleEvents: 'total (events)',
      optional: true,
      doc: 'Inclusive time from the reconstructed call stacks (--stacks); a recursive function counts once per stack.',
      get: (r) => r.total,
    },
    { key: 'share', kind: 'percent', doc: 'self_ns as a percent of the summed self time.', get: (r) => r.share },
    { key: 'events', kind: 'count', doc: 'Events (translated blocks executed) of the function.', get: (r) => r.events },
  ],
});

/** The functions table's rows: names resolved, shares of the summed self time, totals when stacks were rebuilt. */
export function functionCosts(st: SelfTime, names: readonly string[], totals: Float64Array | null = null, top?: number): FunctionCost[] {
  const rows = st.rows((id) => names[id]);
  const total = st.totalSelf();
  const shown = top === undefined ? rows : rows.slice(0, top);
  return shown.map((r) => ({ function: names[r.id], self: r.self, total: totals ? totals[r.id] : 0, share: sharePercent(r.self, total), events: r.events }));
}
