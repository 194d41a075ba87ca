/** Counts every command reports: events per vCPU and per region, and the traced span. */
import type { EventBatch } from '../model/batch.js';
import { FIRST_FUNCTION } from '../model/names.js';
import { grow, type Analysis } from './analysis.js';

export class TraceCounts implements Analysis {
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
    for (let i = 0, n = batch.length; i < n; i++) {
      const t = thread[i];
      if (t !== curT) {
        if (curT >= 0) te[curT] += run;
        if (t >= te.length) this.threadEvents = te = grow(te, t);
        curT = t;
        run = 0;
      }
      run++;
      const s = sym[i];
      if (s >= FIRST_FUNCTION) functions++;
      else regions[s]++;
      const now = time[i];
      if (now < minT) minT = now;
      if (now > maxT) maxT = now;
    }
    if (curT >= 0) te[curT] += run;
    regions[FIRST_FUNCTION] += functions;
    this.minTime = minT;
    this.maxTime = maxT;
  }

  get threads(): number {
    let k = 0;
    for (let t = 0; t < this.threadEvents.length; t++) if (this.threadEvents[t] > 0) k = t + 1;
    return k;
  }

  get span(): number {
    return this.maxTime >= this.minTime ? this.maxTime - this.minTime : 0;
  }
}
