/**
 * Timeline: the first call of every function, boot milestones and phases, in one pass.
 *
 * - First call: per name id, the time and vCPU of its earliest event over all vCPUs (lines of
 *   different vCPUs need not be in time order; on equal times the earlier line wins). Region labels
 *   get one too (their first event).
 * - Milestones (milestones.ts): calls of curated functions (events at offset 0 of the function, from
 *   the symbol stage's `off` column), tracked per vCPU in a slow path taken only by events of those
 *   functions, resolved (boot vCPU, before/after, fallbacks) by `result()`.
 * - Names: the name list may grow during the run (pre-resolved traces name functions as they are
 *   read); ids are classified as they appear, so a map and a trace's own names give the same result.
 * - Idle: per vCPU, the self time (next-event delta, the self-time rule) of events in idle-loop
 *   functions, kept as merged runs [start, end) so that any phase's idle time is exact once the
 *   phase boundaries are known at the end.
 * - [firmware] / [boot] self time per vCPU: the split of the first phase.
 */
import { SYMBOLIC_PC_HI, type EventBatch } from '../model/batch.js';
import { FIRST_FUNCTION, REGION_BOOT, REGION_FIRMWARE, REGION_KERNEL, REGION_USER } from '../model/names.js';
import type { SymbolTable } from '../symbols/table.js';
import { addressKey, KERNEL_HALF_HI } from '../symbols/address.js';
import { PHYSICAL_START } from '../symbols/regions.js';
import type { TraceInfo } from '../pipeline.js';
import type { Resolver } from '../symbols/resolver.js';
import { defineTable, sharePercent } from '../model/table.js';
import { grow, type Analysis } from './analysis.js';
import { clipped, overlaps, type TimeWindow } from './window.js';
import { BOOT_CPU_MILESTONE, IDLE_FUNCTIONS, MILESTONES, PHASES, VMM_POINTS, type MilestoneDef, type RegionName } from './milestones.js';

const IDLE = 1;
const REGION = 2;
const WATCH = 4;

const REGION_IDS: Record<RegionName, number> = { '[firmware]': REGION_FIRMWARE, '[boot]': REGION_BOOT, '[user]': REGION_USER };

/** First call of one milestone candidate function (all its name ids): over all vCPUs and per vCPU. */
interface Slot {
  anyTime: number;
  anyCpu: number;
  anyId: number;
  /** Instructions of all events before the `any` hit (traces with translation records). */
  anyInsns: number;
  byTime: Float64Array;
  byId: Int32Array;
  byInsns: Float64Array;
}

/** Merged idle runs of one vCPU, in time order. */
interface IdleRuns {
  start: Float64Array;
  end: Float64Array;
  n: number;
}

export interface MilestoneHit {
  key: string;
  label: string;
  /** ns since the trace's first event (event ordinal in untimed traces). */
  time: number;
  cpu: number;
  /** Name id of the function (or region) whose event it is. */
  id: number;
  /** Guest instructions of every event before it in the trace, all vCPUs (traces with translation records). */
  insns: number;
  /** Its name (filled by result()). */
  function?: string;
  /** Time since the previous milestone, or since the trace's start for the first (filled by result()). */
  sincePrev?: number;
}

export interface PhaseRow {
  key: string;
  label: string;
  /** Milestone key that starts it ('trace_start' for the first phase). */
  from: string;
  start: number;
  end: number;
  duration: number;
  /** The trace starts inside this phase (an excerpt): its true start is earlier. */
  partial: boolean;
  /** Idle time of the boot vCPU within the phase. */
  idle: number;
  /** Idle time of every vCPU within the phase, by vCPU index. */
  idleByCpu: number[];
  /** Guest instructions from its start to its end (positions of its milestones; traces with records). */
  insns: number;
  /** The position of its start: guest instructions of every event before it (not a column). */
  insnsStart: number;
  /** Cut by a time window at either end (not a column: the summary states the window). */
  cut?: boolean;
  /** First phase only: self time of the boot vCPU's [firmware] and [boot] events. */
  firmware?: number;
  boot?: number;
  /** duration as a percent of the span; idle as a percent of duration. */
  share: number;
  idleShare: number;
}

export interface FunctionRow {
  id: number;
  time: number;
  cpu: number;
  /** Its name and the labels of the milestones its first call is ("; "-joined), or null. */
  name: string;
  milestone: string | null;
}

export interface TimelineResult {
  /** First and last event times; span = end - start. */
  start: number;
  end: number;
  span: number;
  bootCpu: number;
  /**
   * What the trace's first line runs: firmware, boot (loader / decompressor), kernel_entry (a
   * physically-addressed kernel function: a direct kernel boot), kernel (a virtual kernel pc: the
   * trace is an excerpt that starts mid-boot), other.
   */
  startsIn: 'firmware' | 'boot' | 'kernel_entry' | 'kernel' | 'other';
  milestones: MilestoneHit[];
  phases: PhaseRow[];
  /** Every name id that had events, by first time, then name. */
  functions: FunctionRow[];
  /** Milestone labels per name id, where the milestone is that function's first call. */
  milestoneLabels: Map<number, string[]>;
  /** The trace has translation records: milestones and phases carry instruction counts. */
  insns: boolean;
  vmm: Record<keyof typeof VMM_POINTS, number | null>;
  totalIdle: number;
  negativeDeltas: number;
}

/** A function name without compiler suffixes (`.isra.0`, `.constprop.0`); null for `.cold` parts. */
export function baseName(name: string): string | null {
  if (name.endsWith('.cold') || name.includes('.cold.')) return null;
  const dot = name.indexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

function newSlot(): Slot {
  return {
    anyTime: Infinity,
    anyCpu: -1,
    anyId: -1,
    anyInsns: 0,
    byTime: new Float64Array(16).fill(Infinity),
    byId: new Int32Array(16).fill(-1),
    byInsns: new Float64Array(16),
  };
}

export class Timeline implements Analysis {
  /** Per name id: time of its earliest event (+Infinity: none) and that event's vCPU. */
  firstTime: Float64Array;
  firstCpu: Int32Array;
  /** Per name id: instructions of every event before its first one (traces with translation records). */
  private firstInsns: Float64Array;
  /** Instructions of every event so far, in file order; whether any batch had records. */
  private insnsSoFar = 0;
  hasInsns = false;
  /** Per name id: IDLE | REGION | WATCH bits. */
  private cls: Uint8Array;
  /** Names classified so far (the list grows while a pre-resolved trace is read). */
  private known = 0;
  /** Per milestone (MILESTONES index): one slot per candidate function, in list order. */
  private readonly slots: Slot[][];
  /** Base name of a candidate function -> its [milestone index, candidate index] pairs. */
  private readonly candidates = new Map<string, [number, number][]>();
  private readonly idle = new Set(IDLE_FUNCTIONS);
  /** Name id -> [milestone index, candidate index] pairs (slow path only). */
  private readonly watchers = new Map<number, [number, number][]>();
  /** Name id -> 1 when every address of that name lies in .init.text, 0 when not (pre-resolved events). */
  private readonly initOnly = new Map<number, number>();
  private readonly keyIndex = new Map<string, number>();
  private readonly initText0: number;
  private readonly initText1: number;
  private readonly physDelta: number;

  private lastTime = new Float64Array(16);
  private lastSym = new Int32Array(16).fill(-1);
  /** Per vCPU x region id: self time of region events. */
  private regionSelf = new Float64Array(16 * FIRST_FUNCTION);
  /** Per vCPU, allocated at its first idle event (null before). */
  private idleRuns: (IdleRuns | null)[] = [];

  /**
   * A time window (--from/--to/--phase), set before the run: result() then lists the milestones and
   * first calls that fall inside it and cuts the phases to it (module doc of window.ts); the region
   * self time of the first phase is clipped to it while the trace is read.
   */
  window: TimeWindow | null = null;
  /** Instructions of every event before the first one (file order) at or after the window's start, and end. */
  private insnsAtFrom = NaN;
  private insnsAtTo = NaN;

  minTime = Infinity;
  maxTime = -Infinity;
  /** The trace's first line (file order): name id, pc upper half, vCPU; -1 before any event. */
  private firstSym = -1;
  private firstHi = 0;
  private firstKernel = false;
  private firstEventCpu = 0;
  /** First kernel pc (a function, or [kernel] without symbols). */
  private entryTime = Infinity;
  private entryCpu = -1;
  private entryId = -1;
  private entryInsns = 0;
  negativeDeltas = 0;

  /**
   * `names` is the run's name list (it may grow during the run: TraceInfo.names); `table` gives the
   * .init.text bounds, and `resolver` the KASLR slide (decided after the first batches).
   */
  constructor(
    readonly names: readonly string[],
    readonly table: SymbolTable | null,
    private readonly resolver: Pick<Resolver, 'slide' | 'isKernel'> | null = null,
  ) {
    this.firstTime = new Float64Array(FIRST_FUNCTION).fill(Infinity);
    this.firstCpu = new Int32Array(FIRST_FUNCTION).fill(-1);
    this.firstInsns = new Float64Array(FIRST_FUNCTION);
    this.cls = new Uint8Array(FIRST_FUNCTION);
    this.cls[REGION_FIRMWARE] |= REGION;
    this.cls[REGION_BOOT] |= REGION;
    this.slots = MILESTONES.map((def, m) => {
      this.keyIndex.set(def.key, m);
      if (!('functions' in def.match)) return [];
      return def.match.functions.map((fn, c) => {
        const list = this.candidates.get(fn);
        if (list) list.push([m, c]);
        else this.candidates.set(fn, [[m, c]]);
        return newSlot();
      });
    });
    const marks = table?.marks;
    this.initText0 = marks ? marks._sinittext : NaN;
    this.initText1 = marks ? marks._einittext : NaN;
    const text = marks ? (Number.isNaN(marks._text) ? marks._stext : marks._text) : NaN;
    this.physDelta = text - PHYSICAL_START;
    this.classify();
  }

  /** For a pipeline's setup: the run's names, the table and the resolver (KASLR slide). */
  static fromInfo(info: TraceInfo): Timeline {
    return new Timeline(info.names, info.resolver?.table ?? null, info.resolver ?? null);
  }

  /** Classifies the names added since the last call (all of them the first time). */
  private classify(): void {
    const names = this.names;
    const n = names.length;
    if (n <= this.known) return;
    if (n > this.cls.length) {
      this.cls = grow(this.cls, n - 1);
      this.firstTime = grow(this.firstTime, n - 1, Infinity);
      this.firstCpu = grow(this.firstCpu, n - 1, -1);
      this.firstInsns = grow(this.firstInsns, n - 1);
    }
    for (let id = Math.max(this.known, FIRST_FUNCTION); id < n; id++) {
      const base = baseName(names[id]);
      if (base === null) continue;
      if (this.idle.has(base)) this.cls[id] |= IDLE;
      const pairs = this.candidates.get(base);
      if (pairs) {
        this.cls[id] |= WATCH;
        this.watchers.set(id, pairs);
      }
    }
    this.known = n;
  }

  consume(batch: EventBatch): void {
    const n = batch.length;
    if (n === 0) return;
    if (this.names.length > this.known) this.classify();
    const { time, thread, sym, pcHi, pcLo, off } = batch;
    if (this.firstSym < 0) {
      this.firstSym = sym[0];
      this.firstHi = pcHi[0];
      this.firstKernel = this.isKernelPc(pcHi[0], pcLo[0]);
      this.firstEventCpu = thread[0];
    }
    const first = this.firstTime;
    const cls = this.cls;
    let lastTime = this.lastTime;
    let lastSym = this.lastSym;
    let minT = this.minTime;
    let maxT = this.maxTime;
    // instructions before each event (file order), for milestone positions: only with records
    const counts = batch.translated ? batch.insns : null;
    if (counts) this.hasInsns = true;
    let before = this.insnsSoFar;
    const w = this.window;
    // The current vCPU's last event (name id, time, class) in locals, stored back when the vCPU
    // changes: consecutive events mostly belong to one vCPU.
    let curT = -1;
    let curPrev = -1;
    let curThen = 0;
    let curPrevCls = 0;
    for (let i = 0; i < n; i++) {
      const t = thread[i];
      const s = sym[i];
      const now = time[i];
      if (i > 0 && counts !== null) before += counts[i - 1];
      if (t !== curT) {
        if (curT >= 0) {
          lastSym[curT] = curPrev;
          lastTime[curT] = curThen;
        }
        if (t >= lastSym.length) {
          this.lastSym = lastSym = grow(lastSym, t, -1);
          this.lastTime = lastTime = grow(lastTime, t);
          this.regionSelf = grow(this.regionSelf, (lastSym.length + 1) * FIRST_FUNCTION);
        }
        curT = t;
        curPrev = lastSym[t];
        curThen = lastTime[t];
        curPrevCls = curPrev >= 0 ? cls[curPrev] : 0;
      }
      if (now < minT) minT = now;
      if (now > maxT) maxT = now;
      if (now < first[s]) this.firstSeen(s, t, now, before);
      const c = cls[s];
      if (c & WATCH && off[i] === 0) this.watched(s, t, now, pcHi[i], pcLo[i], before);
      if (curPrev >= 0) {
        const d = now - curThen;
        if (d < 0) this.negativeDeltas++;
        else if (curPrevCls & IDLE) this.addIdle(t, curThen, now);
        else if (curPrevCls & REGION) this.regionSelf[t * FIRST_FUNCTION + curPrev] += w === null ? d : clipped(w, curThen, now);
      }
      curPrev = s;
      curThen = now;
      curPrevCls = c;
      if (w !== null && now >= w.from && Number.isNaN(this.insnsAtFrom)) this.insnsAtFrom = before;
      if (w !== null && now >= w.to && Number.isNaN(this.insnsAtTo)) this.insnsAtTo = before;
    }
    if (curT >= 0) {
      lastSym[curT] = curPrev;
      lastTime[curT] = curThen;
    }
    this.minTime = minT;
    this.maxTime = maxT;
    if (counts !== null) this.insnsSoFar = before + counts[n - 1];
  }

  private firstSeen(s: number, t: number, now: number, insns: number): void {
    this.firstTime[s] = now;
    this.firstCpu[s] = t;
    this.firstInsns[s] = insns;
    if ((s >= FIRST_FUNCTION || s === REGION_KERNEL) && now < this.entryTime) {
      this.entryTime = now;
      this.entryCpu = t;
      this.entryId = s;
      this.entryInsns = insns;
    }
  }

  private addIdle(t: number, from: number, to: number): void {
    let runs = this.idleRuns[t];
    if (!runs) {
      while (this.idleRuns.length <= t) this.idleRuns.push(null);
      runs = this.idleRuns[t] = { start: new Float64Array(8), end: new Float64Array(8), n: 0 };
    }
    const k = runs.n;
    if (k > 0 && runs.end[k - 1] === from) {
      runs.end[k - 1] = to;
      return;
    }
    if (k >= runs.start.length) {
      runs.start = grow(runs.start, k);
      runs.end = grow(runs.end, k);
    }
    runs.start[k] = from;
    runs.end[k] = to;
    runs.n = k + 1;
  }

  /**
   * Is this call (offset 0) in .init.text? From the pc as its System.map address (the KASLR slide
   * taken off, physically-addressed startup code mapped up); a pre-resolved event carries no address:
   * then only when every address of that name lies in .init.text (false without a table).
   */
  private inInitText(s: number, hi: number, lo: number): boolean {
    if (hi === SYMBOLIC_PC_HI) {
      let v = this.initOnly.get(s);
      if (v === undefined) {
        v = 0;
        const t = this.table;
        if (t !== null && s < t.names.length) {
          let any = false;
          let all = true;
          for (let k = 0; k < t.fnAt.length; k++) {
            if (t.fnAt[k] !== s) continue;
            any = true;
            if (!(t.addrs[k] >= this.initText0 && t.addrs[k] < this.initText1)) all = false;
          }
          v = any && all ? 1 : 0;
        }
        this.initOnly.set(s, v);
      }
      return v === 1;
    }
    const key = addressKey(hi, lo);
    const k = this.isKernelPc(hi, lo) ? key - (this.resolver?.slide ?? 0) : key + this.physDelta;
    return k >= this.initText0 && k < this.initText1;
  }

  /** Slow path: a call (an event at offset 0) of a milestone candidate function. */
  private watched(s: number, t: number, now: number, hi: number, lo: number, insns: number): void {
    for (const [m, c] of this.watchers.get(s)!) {
      const when = MILESTONES[m].when;
      if (when?.initText && !this.inInitText(s, hi, lo)) continue;
      if (when?.after !== undefined && !(this.rawTime(when.after) <= now)) continue;
      const slot = this.slots[m][c];
      if (now < slot.anyTime) {
        slot.anyTime = now;
        slot.anyCpu = t;
        slot.anyId = s;
        slot.anyInsns = insns;
      }
      if (t >= slot.byTime.length) {
        slot.byTime = grow(slot.byTime, t, Infinity);
        slot.byId = grow(slot.byId, t, -1);
        slot.byInsns = grow(slot.byInsns, t);
      }
      if (now < slot.byTime[t]) {
        slot.byTime[t] = now;
        slot.byId[t] = s;
        slot.byInsns[t] = insns;
      }
    }
  }

  private isKernelPc(hi: number, lo: number): boolean {
    return this.resolver ? this.resolver.isKernel(hi, lo) : hi >= KERNEL_HALF_HI;
  }

  /** The first event is a virtual kernel pc (a pre-resolved function name counts as one). */
  private startsInKernel(): boolean {
    const fs = this.firstSym;
    return fs >= 0 && (this.firstKernel || (this.firstHi === SYMBOLIC_PC_HI && (fs >= FIRST_FUNCTION || fs === REGION_KERNEL)));
  }

  /** A milestone's time over all vCPUs, before `when.cpu` and `before` apply (Infinity: none yet). */
  private rawTime(key: string): number {
    const m = this.keyIndex.get(key);
    if (m === undefined) return Infinity;
    const hit = this.pick(MILESTONES[m], m, -1);
    return hit ? hit.time : Infinity;
  }

  /** The hit of milestone m on vCPU `cpu` (-1: any vCPU), before `before` applies. */
  private pick(def: MilestoneDef, m: number, cpu: number): { time: number; cpu: number; id: number; insns: number } | null {
    const match = def.match;
    if ('region' in match) {
      const r = REGION_IDS[match.region];
      const time = this.firstTime[r];
      if (def.when?.notFirst && this.firstSym === r) return null;
      return time < Infinity ? { time, cpu: this.firstCpu[r], id: r, insns: this.firstInsns[r] } : null;
    }
    if ('kernelEntry' in match) {
      if (this.entryTime === Infinity || this.startsInKernel()) return null;
      return { time: this.entryTime, cpu: this.entryCpu, id: this.entryId, insns: this.entryInsns };
    }
    let best: { time: number; cpu: number; id: number; insns: number } | null = null;
    for (const slot of this.slots[m]) {
      const time = cpu < 0 ? slot.anyTime : cpu < slot.byTime.length ? slot.byTime[cpu] : Infinity;
      if (time === Infinity) continue;
      if (best === null || time < best.time)
        best = cpu < 0 ? { time, cpu: slot.anyCpu, id: slot.anyId, insns: slot.anyInsns } : { time, cpu, id: slot.byId[cpu], insns: slot.byInsns[cpu] };
      if (def.pick === 'listed') break;
    }
    return best;
  }

  /** vCPUs that had events. */
  get threads(): number {
    let k = 0;
    for (let t = 0; t < this.lastSym.length; t++) if (this.lastSym[t] >= 0) k = t + 1;
    return k;
  }

  private bootCpu(): number {
    const m = this.keyIndex.get(BOOT_CPU_MILESTONE);
    const hit = m === undefined ? null : this.pick(MILESTONES[m], m, -1);
    if (hit) return hit.cpu;
    if (this.entryCpu >= 0) return this.entryCpu;
    return this.firstSym >= 0 ? this.firstEventCpu : 0;
  }

  private milestones(bootCpu: number): MilestoneHit[] {
    const threads = this.threads;
    const raw: (MilestoneHit | null)[] = [];
    const hits: { hit: MilestoneHit; order: number }[] = [];
    MILESTONES.forEach((def, m) => {
      const cpuMode = def.when?.cpu ?? 'any';
      if (cpuMode === 'each-ap') {
        raw.push(null);
        for (let c = 0; c < threads; c++) {
          if (c === bootCpu) continue;
          const h = this.pick(def, m, c);
          if (h) hits.push({ hit: { key: def.key, label: def.label, ...h }, order: m });
        }
        return;
      }
      const h = this.pick(def, m, cpuMode === 'boot' ? bootCpu : -1);
      const hit = h ? { key: def.key, label: def.label, ...h } : null;
      raw.push(hit);
    });
    MILESTONES.forEach((def, m) => {
      const hit = raw[m];
      if (!hit) return;
      const before = def.when?.before;
      if (before !== undefined) {
        const ref = raw[this.keyIndex.get(before) ?? -1];
        if (ref && !(hit.time < ref.time)) return;
      }
      hits.push({ hit, order: m });
    });
    hits.sort((a, b) => a.hit.time - b.hit.time || a.order - b.order || a.hit.cpu - b.hit.cpu);
    return hits.map((h) => h.hit);
  }

  /** Idle time of vCPU t within [a, b). */
  idleIn(t: number, a: number, b: number): number {
    const runs = this.idleRuns[t];
    if (!runs) return 0;
    let sum = 0;
    for (let k = 0; k < runs.n; k++) {
      const s = runs.start[k] > a ? runs.start[k] : a;
      const e = runs.end[k] < b ? runs.end[k] : b;
      if (e > s) sum += e - s;
    }
    return sum;
  }

  private phases(hits: MilestoneHit[], bootCpu: number): PhaseRow[] {
    const start = this.minTime;
    const end = this.maxTime;
    if (!(end >= start)) return [];
    const at = new Map<string, number>();
    const pos = new Map<string, number>();
    for (const h of hits)
      if (!at.has(h.key)) {
        at.set(h.key, h.time);
        pos.set(h.key, h.insns);
      }
    // Present phase starts, in table order, kept only while monotonic.
    const bounds: { p: number; time: number; insns: number }[] = [];
    PHASES.forEach((def, p) => {
      const time = def.start === 'trace_start' ? (this.startsInKernel() || this.firstSym < 0 ? undefined : start) : at.get(def.start);
      if (time === undefined) return;
      if (bounds.length > 0 && time < bounds[bounds.length - 1].time) return;
      bounds.push({ p, time, insns: def.start === 'trace_start' ? 0 : pos.get(def.start)! });
    });
    const allInsns = this.insnsSoFar;
    const rows: PhaseRow[] = [];
    const threads = this.threads;
    const make = (key: string, label: string, from: string, a: number, b: number, partial: boolean, insns: number, insnsStart: number): PhaseRow => {
      const idleByCpu: number[] = [];
      for (let c = 0; c < threads; c++) idleByCpu.push(this.idleIn(c, a, b));
      const idle = idleByCpu[bootCpu] ?? 0;
      const share = sharePercent(b - a, end - start);
      return { key, label, from, start: a, end: b, duration: b - a, partial, idle, idleByCpu, share, idleShare: sharePercent(idle, b - a), insns, insnsStart };
    };
    if (bounds.length === 0 || bounds[0].time > start) {
      // The trace starts inside a phase: the one before the first present start, else a guess.
      const firstP = bounds.length > 0 ? bounds[0].p : PHASES.length;
      let def = firstP > 0 ? PHASES[firstP - 1] : null;
      if (bounds.length === 0) def = this.firstTime[REGION_USER] < Infinity ? PHASES[PHASES.length - 1] : null;
      const b = bounds.length > 0 ? bounds[0].time : end;
      rows.push(make(def?.key ?? 'trace', def?.label ?? '(trace start)', 'trace_start', start, b, true, bounds.length > 0 ? bounds[0].insns : allInsns, 0));
    }
    bounds.forEach((bd, k) => {
      const def = PHASES[bd.p];
      const b = k + 1 < bounds.length ? bounds[k + 1].time : end;
      const bi = k + 1 < bounds.length ? bounds[k + 1].insns : allInsns;
      const row = make(def.key, def.label, def.start, bd.time, b, def.start === 'trace_start' && this.firstSym !== REGION_FIRMWARE, bi - bd.insns, bd.insns);
      if (def.start === 'trace_start') {
        row.firmware = this.regionSelf[bootCpu * FIRST_FUNCTION + REGION_FIRMWARE];
        row.boot = this.regionSelf[bootCpu * FIRST_FUNCTION + REGION_BOOT];
      }
      rows.push(row);
    });
    return rows;
  }

  result(): TimelineResult {
    const whole = this.wholeResult();
    return this.window ? this.windowed(whole, this.window) : whole;
  }

  /**
   * The result within a window: the milestones and first calls inside it (a first call is still the
   * function's first over the whole trace: a function that ran before the window is not listed), the
   * phases that overlap it cut to it (start, end, duration, idle time and instructions of the part
   * inside; `cut` when the window cuts it), the idle total inside it.
   */
  private windowed(r: TimelineResult, w: TimeWindow): TimelineResult {
    const inside = (t: number): boolean => t >= w.from && t < w.to;
    const milestones = r.milestones.filter((h) => inside(h.time));
    const from = w.from > r.start ? w.from : r.start;
    const to = w.to < r.end ? w.to : r.end;
    let prev = from;
    for (const h of milestones) {
      h.sincePrev = h.time - prev;
      prev = h.time;
    }
    const all = this.insnsSoFar;
    const atFrom = Number.isNaN(this.insnsAtFrom) ? all : this.insnsAtFrom;
    const atTo = Number.isNaN(this.insnsAtTo) ? all : this.insnsAtTo;
    const span = to > from ? to - from : 0;
    const phases: PhaseRow[] = [];
    for (const p of r.phases) {
      if (!overlaps(w, p.start, p.end)) continue;
      const a = p.start > w.from ? p.start : w.from;
      const b = p.end < w.to ? p.end : w.to;
      const cut = a !== p.start || b !== p.end;
      const idleByCpu = p.idleByCpu.map((_, c) => this.idleIn(c, a, b));
      const idle = idleByCpu[r.bootCpu] ?? 0;
      // instructions: the positions of its edges (a milestone's, or the window's)
      const ia = a === p.start ? p.insnsStart : atFrom;
      const ib = b === p.end ? p.insnsStart + p.insns : atTo;
      phases.push({
        ...p,
        start: a,
        end: b,
        duration: b - a,
        cut,
        idle,
        idleByCpu,
        insns: ib - ia,
        share: sharePercent(b - a, span),
        idleShare: sharePercent(idle, b - a),
      });
    }
    let totalIdle = 0;
    for (let t = 0; t < this.idleRuns.length; t++) totalIdle += this.idleIn(t, w.from, w.to);
    return { ...r, milestones, phases, functions: r.functions.filter((f) => inside(f.time)), totalIdle };
  }

  private wholeResult(): TimelineResult {
    const bootCpu = this.bootCpu();
    const milestones = this.milestones(bootCpu);
    const phases = this.phases(milestones, bootCpu);
    const names = this.names;
    const functions: FunctionRow[] = [];
    const milestoneLabels = new Map<number, string[]>();
    for (const h of milestones) {
      if (this.firstTime[h.id] !== h.time || this.firstCpu[h.id] !== h.cpu) continue;
      const l = milestoneLabels.get(h.id);
      if (l) l.push(h.label);
      else milestoneLabels.set(h.id, [h.label]);
    }
    for (let id = 0; id < this.firstTime.length; id++) {
      if (this.firstTime[id] < Infinity)
        functions.push({ id, time: this.firstTime[id], cpu: this.firstCpu[id], name: names[id], milestone: milestoneLabels.get(id)?.join('; ') ?? null });
    }
    functions.sort((a, b) => a.time - b.time || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const timeOf = (key: string): number | null => milestones.find((h) => h.key === key)?.time ?? null;
    const vmm = {
      firmware_start: timeOf(VMM_POINTS.firmware_start),
      linux_start_kernel: timeOf(VMM_POINTS.linux_start_kernel),
      linux_start_user: timeOf(VMM_POINTS.linux_start_user),
    };
    let totalIdle = 0;
    for (let t = 0; t < this.idleRuns.length; t++) totalIdle += this.idleIn(t, -Infinity, Infinity);
    const fs = this.firstSym;
    const startsIn = this.startsInKernel()
      ? 'kernel'
      : fs === REGION_FIRMWARE
        ? 'firmware'
        : fs === REGION_BOOT
          ? 'boot'
          : fs >= FIRST_FUNCTION
            ? 'kernel_entry'
            : 'other';
    const start = this.minTime <= this.maxTime ? this.minTime : 0;
    const end = this.minTime <= this.maxTime ? this.maxTime : 0;
    let prev = start;
    for (const h of milestones) {
      h.function = names[h.id];
      h.sincePrev = h.time - prev;
      prev = h.time;
    }
    return {
      start,
      end,
      span: end - start,
      bootCpu,
      startsIn,
      milestones,
      phases,
      functions,
      milestoneLabels,
      insns: this.hasInsns,
      vmm,
      totalIdle,
      negativeDeltas: this.negativeDeltas,
    };
  }
}

export const PHASES_TABLE = defineTable<PhaseRow>({
  name: 'phases',
  doc: 'The boot cut at its milestones: each phase from one present milestone to the next; the durations add up to the traced span.',
  columns: [
    { key: 'phase', kind: 'text', doc: 'Phase key: firmware, early_kernel, start_kernel, initcalls, user.', get: (r) => r.key },
    { key: 'label', kind: 'text', title: 'phase', doc: 'Its name for people.', get: (r) => r.label },
    { key: 'from', kind: 'text', doc: 'The milestone that starts it (trace_start for the first phase).', get: (r) => r.from },
    { key: 'start_ns', kind: 'time', title: 'start (s)', titleEvents: 'start', doc: "Start, since the trace's first event.", get: (r) => r.start },
    { key: 'end_ns', kind: 'time', title: 'end (s)', titleEvents: 'end', doc: 'End.', get: (r) => r.end },
    { key: 'duration_ns', kind: 'duration', title: 'duration', doc: 'end_ns - start_ns.', get: (r) => r.duration },
    { key: 'share', kind: 'percent', doc: 'duration_ns as a percent of the traced span.', get: (r) => r.share },
    { key: 'idle_ns', kind: 'duration', title: 'idle', doc: 'Idle-loop time of the boot vCPU within the phase.', get: (r) => r.idle },
    { key: 'idle_share', kind: 'percent', doc: 'idle_ns as a percent of duration_ns.', get: (r) => r.idleShare },
    { key: 'partial', kind: 'flag', doc: 'The trace starts inside this phase (an excerpt): its true start is earlier.', get: (r) => r.partial },
    {
      key: 'insns',
      kind: 'count',
      optional: true,
      doc: 'Guest instructions of the events between its starting milestone and the next (file order, all vCPUs; traces with -d in_asm records).',
      get: (r) => r.insns,
    },
    {
      key: 'firmware_ns',
      kind: 'duration',
      nullable: true,
      doc: "First phase only: self time of the boot vCPU's [firmware] events.",
      get: (r) => r.firmware ?? null,
    },
    { key: 'boot_ns', kind: 'duration', nullable: true, doc: "First phase only: self time of the boot vCPU's [boot] events.", get: (r) => r.boot ?? null },
  ],
  view: [
    'label',
    'start_ns',
    'duration_ns',
    'share',
    'insns',
    {
      key: 'idle',
      title: 'idle',
      align: 'right',
      cell: (r, f) => `${f.duration(r.idle)} ${('(' + f.percent(r.idleShare, 1) + ')').padStart(8)}`,
    },
    {
      title: 'note',
      cell: (r, f) => {
        const notes: string[] = [];
        if (r.partial) notes.push('partial: the trace starts inside it');
        if (r.cut) notes.push('cut to the window');
        if (r.firmware !== undefined) notes.push(`[firmware] ${f.duration(r.firmware)}, [boot] ${f.duration(r.boot ?? 0)}`);
        return notes.join('; ');
      },
    },
  ],
});

/** Idle time per phase and vCPU. */
export interface PhaseIdle {
  phase: string;
  cpu: number;
  idle: number;
}

export const PHASE_IDLE_TABLE = defineTable<PhaseIdle>({
  name: 'phase_idle',
  doc: 'Idle-loop time of every vCPU in every phase.',
  columns: [
    { key: 'phase', kind: 'text', doc: 'Phase key.', get: (r) => r.phase },
    { key: 'cpu', kind: 'index', title: 'vCPU', doc: 'vCPU index.', get: (r) => r.cpu },
    { key: 'idle_ns', kind: 'duration', title: 'idle', doc: 'Idle-loop time of that vCPU within the phase.', get: (r) => r.idle },
  ],
});

export function phaseIdleRows(phases: readonly PhaseRow[]): PhaseIdle[] {
  return phases.flatMap((p) => p.idleByCpu.map((idle, cpu) => ({ phase: p.key, cpu, idle })));
}

export const MILESTONES_TABLE = defineTable<MilestoneHit>({
  name: 'milestones',
  doc: "Boot milestones found, by time: the first call of one of each milestone's functions.",
  columns: [
    { key: 'milestone', kind: 'text', doc: 'Milestone key (kernel_entry, start_kernel, init_exec, first_user, ...).', get: (r) => r.key },
    { key: 'label', kind: 'text', title: 'milestone', doc: 'Its name for people.', get: (r) => r.label },
    { key: 'function', kind: 'text', doc: 'The function (or region) whose event it is.', get: (r) => r.function ?? '' },
    { key: 'time_ns', kind: 'time', title: 'time (s)', titleEvents: 'time', doc: "Time since the trace's first event.", get: (r) => r.time },
    { key: 'cpu', kind: 'index', title: 'vCPU', doc: 'vCPU index.', get: (r) => r.cpu },
    {
      key: 'insns',
      kind: 'count',
      optional: true,
      doc: 'Guest instructions of every event before it in the trace (all vCPUs; traces with -d in_asm records): its position in guest work.',
      get: (r) => r.insns,
    },
  ],
  view: ['time_ns', { title: '+prev', align: 'right', cell: (r, f) => f.duration(r.sincePrev ?? 0) }, 'label', 'function', 'cpu', 'insns'],
});

export const FIRST_CALLS_TABLE = defineTable<FunctionRow>({
  name: 'first_calls',
  doc: 'The first event of every function and region over all vCPUs, by time, then name.',
  columns: [
    { key: 'function', kind: 'text', doc: 'Function name or region label.', get: (r) => r.name },
    { key: 'first_ns', kind: 'time', title: 'first (s)', titleEvents: 'first', doc: 'Time of its first event.', get: (r) => r.time },
    { key: 'cpu', kind: 'index', title: 'vCPU', doc: 'vCPU of that event.', get: (r) => r.cpu },
    { key: 'milestone', kind: 'text', nullable: true, doc: 'Labels of the milestones this first call is ("; "-joined), or null.', get: (r) => r.milestone },
  ],
  view: ['first_ns', 'function', 'cpu', 'milestone'],
});
