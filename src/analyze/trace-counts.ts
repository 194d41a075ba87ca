/**
 * Counts every command reports: events per vCPU and per region, the traced span, the gaps between a
 * vCPU's consecutive events (a histogram: exact below GAP_EXACT ns, by powers of two above), and the
 * instructions of translated batches.
 */
import type { EventBatch } from '../model/batch.js';
import { FIRST_FUNCTION } from '../model/names.js';
import { grow, type Analysis } from './analysis.js';

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
      if (gap >= 0) gaps[gap < GAP_EXACT ? gap : GAP_EXACT + 31 - Math.clz32(gap >= 4294967295 ? 4294967295 : gap)]++;
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
    if (batch.translated) {
      const ins = batch.insns;
      let sum = 0;
      for (let i = 0, n = batch.length; i < n; i++) sum += ins[i];
      this.insns += sum;
    }
    this.minTime = minT;
    this.maxTime = maxT;
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
