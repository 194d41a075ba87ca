/**
 * Counts every command reports: events per vCPU and per region, the traced span, the gaps between a
 * vCPU's consecutive events (a histogram: exact below GAP_EXACT ns, by powers of two above), and the
 * instructions of translated batches.
 */
import type { EventBatch } from '../model/batch.js';
import { FIRST_FUNCTION } from '../model/names.js';
import { grow, type Analysis } from './analysis.js';
import { LOW_FLAG } from '../symbols/resolver.js';
import { deferredKey, finalCode, SparseSums, type UnitMerge } from './unit-merge.js';

/** The gap histogram's bin of a gap in ns (GAP_EXACT + log2 above it). */
function gapBin(gap: number): number {
  return gap < GAP_EXACT ? gap : GAP_EXACT + 31 - Math.clz32(gap >= 4294967295 ? 4294967295 : gap);
}

/** Gaps below this many ns are counted exactly (one bin per ns); longer ones in power-of-two bins. */
export const GAP_EXACT = 1 << 16;

export class TraceCounts implements Analysis {
  /** Gaps between consecutive events of a vCPU: [0, GAP_EXACT) by ns, then one bin per power of two. */
  readonly gaps = new Float64Array(GAP_EXACT + 64);
  /** Per vCPU: time of its last event (NaN: none yet). */
  private lastTime = new Float64Array(16).fill(NaN);
  /** Instructions of the events of translated batches. */
  insns = 0;
  threadEvents = new Float64Array(16);
  /** Events per region id (< FIRST_FUNCTION); index FIRST_FUNCTION counts kernel-function events. */
  readonly regionEvents = new Float64Array(FIRST_FUNCTION + 1);
  minTime = Infinity;
  maxTime = -Infinity;

  consume(batch: EventBatch): void {
    const { time, thread, sym } = batch;
    const regions = this.regionEvents;
    let te = this.threadEvents;
    let minT = this.minTime;
    let maxT = this.maxTime;
    let curT = -1;
    let run = 0; // events of vCPU curT since the last switch
    let functions = 0;
    const gaps = this.gaps;
    let last = this.lastTime;
    let prev = NaN; // time of vCPU curT's previous event
    for (let i = 0, n = batch.length; i < n; i++) {
      const t = thread[i];
      if (t !== curT) {
        if (curT >= 0) {
          te[curT] += run;
          last[curT] = prev;
        }
        if (t >= te.length) this.threadEvents = te = grow(te, t);
        if (t >= last.length) this.lastTime = last = grow(last, t, NaN);
        curT = t;
        run = 0;
        prev = last[t];
      }
      run++;
      const now = time[i];
      const gap = now - prev; // NaN for a vCPU's first event: no bin
      if (gap >= 0) gaps[gapBin(gap)]++;
      prev = now;
      const s = sym[i];
      if (s >= FIRST_FUNCTION) functions++;
      else regions[s]++;
      if (now < minT) minT = now;
      if (now > maxT) maxT = now;
    }
    if (curT >= 0) {
      te[curT] += run;
      last[curT] = prev;
    }
    regions[FIRST_FUNCTION] += functions;
    if (batch.translated) this.addInsns(batch);
    this.minTime = minT;
    this.maxTime = maxT;
  }

  /** A merged unit's batch: its instructions (filled on the main thread), the rest came from the worker. */
  consumeMerged(batch: EventBatch): void {
    if (batch.translated) this.addInsns(batch);
  }

  private addInsns(batch: EventBatch): void {
    const ins = batch.insns;
    let sum = 0;
    for (let i = 0, n = batch.length; i < n; i++) sum += ins[i];
    this.insns += sum;
  }

  /** Merges a work unit's partial (CountsUnit, from a parse worker), in file order. */
  mergeUnit(m: UnitMerge): boolean {
    const p = m.partials.counts;
    const { threads, delta, seenBefore } = m;
    for (let t = 0; t < p.threadEvents.length; t++) {
      if (p.threadEvents[t] === 0) continue;
      const g = threads[t];
      if (g >= this.threadEvents.length) this.threadEvents = grow(this.threadEvents, g);
      if (g >= this.lastTime.length) this.lastTime = grow(this.lastTime, g, NaN);
      this.threadEvents[g] += p.threadEvents[t];
      const gap = p.first[t] + delta - this.lastTime[g];
      if (gap >= 0) this.gaps[gapBin(gap)]++;
      this.lastTime[g] = p.last[t] + delta;
    }
    for (let r = 0; r < p.regions.length; r++) this.regionEvents[r] += p.regions[r];
    for (let k = 0; k < p.deferredKeys.length; k++) {
      const id = finalCode(p.deferredKeys[k], seenBefore);
      this.regionEvents[id >= FIRST_FUNCTION ? FIRST_FUNCTION : id] += p.deferredEvents[k];
    }
    for (let k = 0; k < p.gapBins.length; k++) this.gaps[p.gapBins[k]] += p.gapCounts[k];
    if (p.minTime + delta < this.minTime) this.minTime = p.minTime + delta;
    if (p.maxTime + delta > this.maxTime) this.maxTime = p.maxTime + delta;
    return true;
  }

  get threads(): number {
    let k = 0;
    for (let t = 0; t < this.threadEvents.length; t++) if (this.threadEvents[t] > 0) k = t + 1;
    return k;
  }

  /**
   * The median gap between a vCPU's consecutive events, in ns, and whether it is exact (below
   * GAP_EXACT); null without gaps. `share` gives the fraction of gaps at most `atMost` ns too.
   */
  medianGap(atMost = 0): { ns: number; exact: boolean; share: number } | null {
    const g = this.gaps;
    let all = 0;
    for (let k = 0; k < g.length; k++) all += g[k];
    if (all === 0) return null;
    let below = 0;
    for (let k = 0; k <= Math.min(atMost, GAP_EXACT - 1); k++) below += g[k];
    let seen = 0;
    for (let k = 0; k < g.length; k++) {
      seen += g[k];
      if (seen * 2 >= all) {
        const exact = k < GAP_EXACT;
        return { ns: exact ? k : 2 ** (k - GAP_EXACT), exact, share: below / all };
      }
    }
    return null;
  }

  get span(): number {
    return this.maxTime >= this.minTime ? this.maxTime - this.minTime : 0;
  }
}

/** A unit's counts, as a parse worker folds them (CountsUnit) for TraceCounts.mergeUnit. */
export interface CountsPartial {
  /** Per unit thread index: its events, first and last event time. */
  threadEvents: Float64Array;
  first: Float64Array;
  last: Float64Array;
  /** Events per final region id; index FIRST_FUNCTION counts kernel-function events. */
  regions: Float64Array;
  /** Low codes the unit could not classify alone (deferredKey), with their events. */
  deferredKeys: Float64Array;
  deferredEvents: Float64Array;
  /** Gaps within the unit: the bins touched and their counts. */
  gapBins: Int32Array;
  gapCounts: Float64Array;
  minTime: number;
  maxTime: number;
}

/** The worker's side of TraceCounts; one per worker, reused (take() resets it). */
export class CountsUnit {
  private threadEvents = new Float64Array(16);
  private first = new Float64Array(16);
  private last = new Float64Array(16);
  private threads = 0;
  private regions = new Float64Array(FIRST_FUNCTION + 1);
  private deferred = new SparseSums();
  private gaps = new Float64Array(GAP_EXACT + 64);
  private touchedGaps: number[] = [];
  private minTime = Infinity;
  private maxTime = -Infinity;

  consume(batch: EventBatch): void {
    const { time, thread, sym } = batch;
    const regions = this.regions;
    const gaps = this.gaps;
    const touchedGaps = this.touchedGaps;
    const deferred = this.deferred;
    let te = this.threadEvents;
    let first = this.first;
    let last = this.last;
    let functions = 0;
    let minT = this.minTime;
    let maxT = this.maxTime;
    // the current vCPU's event count and last time in locals (as TraceCounts does), stored back when it changes
    let curT = -1;
    let curEvents = 0;
    let prev = 0;
    for (let i = 0, n = batch.length; i < n; i++) {
      const t = thread[i];
      const now = time[i];
      if (t !== curT) {
        if (curT >= 0) {
          te[curT] = curEvents;
          last[curT] = prev;
        }
        if (t >= this.threads) {
          if (t >= te.length) {
            this.threadEvents = te = grow(te, t);
            this.first = first = grow(first, t);
            this.last = last = grow(last, t);
          }
          this.threads = t + 1;
        }
        curT = t;
        curEvents = te[t];
        prev = last[t];
      }
      if (curEvents === 0) first[t] = now;
      else {
        const gap = now - prev;
        if (gap >= 0) {
          const b = gapBin(gap);
          if (gaps[b] === 0) touchedGaps.push(b);
          gaps[b]++;
        }
      }
      curEvents++;
      prev = now;
      const s = sym[i];
      if (s & LOW_FLAG) deferred.add(deferredKey(t, s), 1);
      else if (s >= FIRST_FUNCTION) functions++;
      else regions[s]++;
      if (now < minT) minT = now;
      if (now > maxT) maxT = now;
    }
    if (curT >= 0) {
      te[curT] = curEvents;
      last[curT] = prev;
    }
    regions[FIRST_FUNCTION] += functions;
    this.minTime = minT;
    this.maxTime = maxT;
  }

  take(): CountsPartial {
    const n = this.threads;
    const gapBins = Int32Array.from(this.touchedGaps);
    const gapCounts = new Float64Array(gapBins.length);
    for (let k = 0; k < gapBins.length; k++) {
      gapCounts[k] = this.gaps[gapBins[k]];
      this.gaps[gapBins[k]] = 0;
    }
    const d = this.deferred.take();
    const p: CountsPartial = {
      threadEvents: this.threadEvents.slice(0, n),
      first: this.first.slice(0, n),
      last: this.last.slice(0, n),
      regions: this.regions.slice(),
      deferredKeys: d.keys,
      deferredEvents: d.values,
      gapBins,
      gapCounts,
      minTime: this.minTime,
      maxTime: this.maxTime,
    };
    this.threadEvents.fill(0);
    this.regions.fill(0);
    this.touchedGaps = [];
    this.threads = 0;
    this.minTime = Infinity;
    this.maxTime = -Infinity;
    return p;
  }
}
