/**
 * Self time: event i of a vCPU is charged t(next event of the same vCPU) - t(i); each vCPU's last
 * event gets 0; a negative difference (time going backwards) counts as 0 and is reported. In an
 * untimed trace every event weighs 1 (unit "events"). With translation records (model/translations.ts)
 * each function also sums the instruction counts of its events' blocks (`insns`).
 */
import type { EventBatch } from '../model/batch.js';
import type { TimeUnit } from '../formats/parser.js';
import { defineTable, sharePercent } from '../model/table.js';
import type { Weight } from '../model/weight.js';
import { grow, type Analysis } from './analysis.js';
import { LOW_FLAG } from '../symbols/resolver.js';
import { deferredKey, finalCode, finalOf, SparseSums, type UnitMerge } from './unit-merge.js';
import { clipped, type TimeWindow } from './window.js';

export interface SelfTimeRow {
  id: number;
  self: number;
  events: number;
  insns: number;
}

/** Sums below this are exact integers whatever the order of the additions (2^53). */
const EXACT = 2 ** 53;

export class SelfTime implements Analysis {
  /** With --user-elf: user-space functions by name (symbols/user-elf.ts). */
  readonly userFunctions = true;
  /** Per name id: summed self time (ns or events) and event count. */
  self = new Float64Array(1024);
  events = new Float64Array(1024);
  /** Per name id: instructions of its events' translated blocks (translated batches only). */
  insns = new Float64Array(1024);
  /** Per vCPU: time and name id of its pending (not yet charged) event; -1 = none yet. */
  private lastTime = new Float64Array(16);
  private lastSym = new Int32Array(16).fill(-1);
  negativeDeltas = 0;

  /**
   * `window`: only the part of each event's time inside it is charged, and only the events that start
   * inside it are counted (events and instructions).
   */
  constructor(
    readonly unit: TimeUnit,
    readonly window: TimeWindow | null = null,
  ) {}

  consume(batch: EventBatch): void {
    if (this.window) {
      this.consumeWindowed(batch, this.window);
      return;
    }
    if (batch.translated) this.addInsns(batch);
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
    let charged = 0;
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
        if (d >= 0) {
          self[curSym] += d;
          charged += d;
        } else negative++;
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
    this.charged += charged;
  }

  /** Summed self time so far (all functions): while it stays below EXACT, every sum is exact. */
  private charged = 0;

  /**
   * Merges a work unit's partial (SelfTimeUnit, computed in a parse worker), in file order: each of
   * its vCPUs' pending event is charged up to the vCPU's first event in the unit, then the unit's
   * own sums are added and its last events become the pending ones.
   */
  mergeUnit(m: UnitMerge): boolean {
    if (this.window) return false; // the workers fold whole units
    const p = m.partials.selfTime;
    const { threads, delta, seenBefore } = m;
    // Merged sums equal the event-by-event ones only while every sum is an exact integer: the seams'
    // time, the unit's and everything so far must stay below 2^53 (a hostile trace's times may not).
    let seams = 0;
    for (let t = 0; t < p.first.length; t++) {
      if (p.pendCode[t] < 0) continue;
      const g = threads[t];
      if (g < this.lastSym.length && this.lastSym[g] >= 0) {
        const d = p.first[t] + delta - this.lastTime[g];
        if (d > 0) seams += d;
      }
    }
    if (!(this.charged + p.charged + seams < EXACT)) return false;
    for (let t = 0; t < p.first.length; t++) {
      if (p.pendCode[t] < 0) continue;
      const g = threads[t];
      if (g >= this.lastSym.length) {
        this.lastSym = grow(this.lastSym, g, -1);
        this.lastTime = grow(this.lastTime, g);
      }
      const prev = this.lastSym[g];
      if (prev >= 0) {
        const d = p.first[t] + delta - this.lastTime[g];
        if (d >= 0) {
          this.self[prev] += d;
          this.charged += d;
        } else this.negativeDeltas++;
      }
      const last = finalOf(t, p.pendCode[t], seenBefore);
      if (last >= this.self.length) this.growNames(last);
      this.lastSym[g] = last;
      this.lastTime[g] = p.pendTime[t] + delta;
    }
    for (let k = 0; k < p.ids.length; k++) {
      const id = p.ids[k];
      if (id >= this.self.length) this.growNames(id);
      this.self[id] += p.self[k];
      this.events[id] += p.events[k];
    }
    for (let k = 0; k < p.deferredKeys.length; k++) {
      const id = finalCode(p.deferredKeys[k], seenBefore);
      if (id >= this.self.length) this.growNames(id);
      this.self[id] += p.deferredSelf[k];
      this.events[id] += p.deferredEvents[k];
    }
    this.negativeDeltas += p.negative;
    this.charged += p.charged;
    return true;
  }

  private growNames(id: number): void {
    this.self = grow(this.self, id);
    this.events = grow(this.events, id);
  }

  /** consume() within a window: each event charged the part of [its time, its vCPU's next event) inside it. */
  private consumeWindowed(batch: EventBatch, w: TimeWindow): void {
    const { time, thread, sym } = batch;
    const translated = batch.translated;
    const counts = batch.insns;
    for (let i = 0, n = batch.length; i < n; i++) {
      const t = thread[i];
      const s = sym[i];
      const now = time[i];
      if (s >= this.self.length) this.growNames(s);
      if (t >= this.lastSym.length) {
        this.lastSym = grow(this.lastSym, t, -1);
        this.lastTime = grow(this.lastTime, t);
      }
      const prev = this.lastSym[t];
      if (prev >= 0) {
        const from = this.lastTime[t];
        if (now < from) this.negativeDeltas++;
        else {
          const d = clipped(w, from, now);
          this.self[prev] += d;
          this.charged += d;
        }
      }
      this.lastSym[t] = s;
      this.lastTime[t] = now;
      if (now >= w.from && now < w.to) {
        this.events[s]++;
        if (translated && counts[i] !== 0) {
          if (s >= this.insns.length) this.insns = grow(this.insns, s);
          this.insns[s] += counts[i];
        }
      }
    }
  }

  /** Adds each event's block instructions to its function (a record without a count adds nothing). */
  /** A merged unit's batch: its instructions (filled on the main thread), the rest came from the worker. */
  consumeMerged(batch: EventBatch): void {
    if (batch.translated) this.addInsns(batch);
  }

  private addInsns(batch: EventBatch): void {
    const { sym } = batch;
    const counts = batch.insns;
    let insns = this.insns;
    for (let i = 0, n = batch.length; i < n; i++) {
      const c = counts[i];
      if (c === 0) continue;
      const s = sym[i];
      if (s >= insns.length) this.insns = insns = grow(insns, s);
      insns[s] += c;
    }
  }

  /**
   * Rows for every name id that had events, sorted by the weight (self time, instructions or events),
   * then by events, self time, and `nameOf`.
   */
  rows(nameOf: (id: number) => string, weight: Weight = 'time'): SelfTimeRow[] {
    const rows: SelfTimeRow[] = [];
    for (let id = 0; id < this.events.length; id++) {
      // (in a window a function may have time and no event: its event started before the window)
      if (this.events[id] > 0 || this.self[id] > 0)
        rows.push({ id, self: this.self[id], events: this.events[id], insns: id < this.insns.length ? this.insns[id] : 0 });
    }
    const key = weight === 'insns' ? (r: SelfTimeRow) => r.insns : weight === 'events' ? (r: SelfTimeRow) => r.events : (r: SelfTimeRow) => r.self;
    rows.sort((a, b) => key(b) - key(a) || b.events - a.events || b.self - a.self || (nameOf(a.id) < nameOf(b.id) ? -1 : nameOf(a.id) > nameOf(b.id) ? 1 : 0));
    return rows;
  }

  totalInsns(): number {
    let s = 0;
    for (let i = 0; i < this.insns.length; i++) s += this.insns[i];
    return s;
  }

  totalSelf(): number {
    let s = 0;
    for (let i = 0; i < this.self.length; i++) s += this.self[i];
    return s;
  }
}

/** A unit's self time, as a parse worker folds it (SelfTimeUnit) for SelfTime.mergeUnit. */
export interface SelfTimePartial {
  /** Name ids the unit's final codes touched, with their summed self time and events. */
  ids: Int32Array;
  self: Float64Array;
  events: Float64Array;
  /** Low codes the unit could not classify alone (unit thread, code: deferredKey), with their sums. */
  deferredKeys: Float64Array;
  deferredSelf: Float64Array;
  deferredEvents: Float64Array;
  /** Per unit thread index: time of its first event, code and time of its last (-1: no event). */
  first: Float64Array;
  pendCode: Int32Array;
  pendTime: Float64Array;
  /** Times going backwards within the unit. */
  negative: number;
  /** The unit's summed self time (all functions). */
  charged: number;
}

/**
 * The worker's side of SelfTime: the unit's events, by unit thread index, charged within the unit
 * only (an event's time runs to the next event of its vCPU in the same unit; the last one stays
 * pending for the main thread). One instance per worker, reused (take() resets it).
 */
export class SelfTimeUnit {
  private self = new Float64Array(1024);
  private events = new Float64Array(1024);
  private touched: number[] = [];
  private deferredSelf = new SparseSums();
  private deferredEvents = new SparseSums();
  private first = new Float64Array(16);
  private pendCode = new Int32Array(16).fill(-1);
  private pendTime = new Float64Array(16);
  private threads = 0;
  private negative = 0;
  private charged = 0;

  consume(batch: EventBatch): void {
    const { time, thread, sym } = batch;
    let self = this.self;
    let events = this.events;
    const touched = this.touched;
    const deferredSelf = this.deferredSelf;
    const deferredEvents = this.deferredEvents;
    let first = this.first;
    let pendCode = this.pendCode;
    let pendTime = this.pendTime;
    let negative = 0;
    let charged = this.charged;
    // The pending event of the vCPU of the current run of events is kept in locals (as SelfTime does):
    // the per-vCPU arrays are touched only when the vCPU changes.
    let curT = -1;
    let curCode = -1;
    let curTime = 0;
    for (let i = 0, n = batch.length; i < n; i++) {
      const t = thread[i];
      const code = sym[i];
      const now = time[i];
      if (t !== curT) {
        if (curT >= 0) {
          pendCode[curT] = curCode;
          pendTime[curT] = curTime;
        }
        if (t >= this.threads) {
          if (t >= pendCode.length) {
            this.first = first = grow(first, t);
            this.pendCode = pendCode = grow(pendCode, t, -1);
            this.pendTime = pendTime = grow(pendTime, t);
          }
          this.threads = t + 1;
        }
        curT = t;
        curCode = pendCode[t];
        curTime = pendTime[t];
      }
      if (curCode < 0) first[t] = now;
      else {
        const d = now - curTime;
        if (d < 0) negative++;
        else {
          charged += d;
          if (curCode & LOW_FLAG) deferredSelf.add(deferredKey(t, curCode), d);
          else self[curCode] += d;
        }
      }
      if (code & LOW_FLAG) {
        deferredEvents.add(deferredKey(t, code), 1);
        deferredSelf.add(deferredKey(t, code), 0);
      } else {
        if (code >= events.length) {
          this.self = self = grow(self, code);
          this.events = events = grow(events, code);
        }
        if (events[code] === 0) touched.push(code);
        events[code]++;
      }
      curCode = code;
      curTime = now;
    }
    if (curT >= 0) {
      pendCode[curT] = curCode;
      pendTime[curT] = curTime;
    }
    this.negative += negative;
    this.charged = charged;
  }

  /** The unit's partial; the instance is empty again for the next unit. */
  take(): SelfTimePartial {
    const ids = Int32Array.from(this.touched);
    const self = new Float64Array(ids.length);
    const events = new Float64Array(ids.length);
    for (let k = 0; k < ids.length; k++) {
      self[k] = this.self[ids[k]];
      events[k] = this.events[ids[k]];
      this.self[ids[k]] = 0;
      this.events[ids[k]] = 0;
    }
    const ds = this.deferredSelf.take();
    const de = this.deferredEvents.take();
    const n = this.threads;
    const p: SelfTimePartial = {
      ids,
      self,
      events,
      deferredKeys: ds.keys,
      deferredSelf: ds.values,
      deferredEvents: de.values,
      first: this.first.slice(0, n),
      pendCode: this.pendCode.slice(0, n),
      pendTime: this.pendTime.slice(0, n),
      negative: this.negative,
      charged: this.charged,
    };
    this.touched = [];
    this.pendCode.fill(-1);
    this.threads = 0;
    this.negative = 0;
    this.charged = 0;
    return p;
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
  /** Instructions of its blocks, inclusive ones (--stacks), and their share (traces with translation records). */
  selfInsns: number;
  totalInsns: number;
  insnsShare: number;
}

export const FUNCTIONS_TABLE = defineTable<FunctionCost>({
  name: 'functions',
  doc: "Self time (and instructions) per function or region label, by the run's weight (then events, self time, name).",
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
    {
      key: 'self_insns',
      kind: 'count',
      title: 'self insns',
      optional: true,
      doc: "Guest instructions of its events: each event counts its translated block's instructions (traces with -d in_asm records).",
      get: (r) => r.selfInsns,
    },
    {
      key: 'total_insns',
      kind: 'count',
      title: 'total insns',
      optional: true,
      doc: 'Inclusive instructions from the reconstructed call stacks (--stacks, traces with records).',
      get: (r) => r.totalInsns,
    },
    {
      key: 'insns_share',
      kind: 'percent',
      title: 'insns share',
      optional: true,
      doc: 'self_insns as a percent of all instructions.',
      get: (r) => r.insnsShare,
    },
  ],
});

/** Which optional functions-table columns a run fills: inclusive ones with stacks, instructions with records. */
export function functionColumns(stacks: boolean, insns: boolean): string[] {
  const c: string[] = [];
  if (stacks) c.push('total_ns');
  if (insns) c.push('self_insns', 'insns_share', ...(stacks ? ['total_insns'] : []));
  return c;
}

/**
 * The functions table's rows, by `weight`: names resolved (`nameOf`: RunResult.nameOf, which makes
 * only the names it is asked for), shares, totals when stacks were rebuilt.
 */
export function functionCosts(
  st: SelfTime,
  nameOf: (id: number) => string,
  weight: Weight = 'time',
  totals: Float64Array | null = null,
  totalsInsns: Float64Array | null = null,
): FunctionCost[] {
  const rows = st.rows(nameOf, weight);
  if (totals) {
    // in a time window a caller may have inclusive time and no event or self time of its own there: last, by name
    const listed = new Set(rows.map((r) => r.id));
    const extra: SelfTimeRow[] = [];
    for (let id = 0; id < totals.length; id++)
      if (!listed.has(id) && (totals[id] > 0 || (totalsInsns !== null && totalsInsns[id] > 0))) extra.push({ id, self: 0, events: 0, insns: 0 });
    extra.sort((a, b) => (nameOf(a.id) < nameOf(b.id) ? -1 : nameOf(a.id) > nameOf(b.id) ? 1 : 0));
    rows.push(...extra);
  }
  const total = st.totalSelf();
  const allInsns = st.totalInsns();
  return rows.map((r) => ({
    function: nameOf(r.id),
    self: r.self,
    total: totals ? totals[r.id] : 0,
    share: sharePercent(r.self, total),
    events: r.events,
    selfInsns: r.insns,
    totalInsns: totalsInsns ? totalsInsns[r.id] : 0,
    insnsShare: sharePercent(r.insns, allInsns),
  }));
}
