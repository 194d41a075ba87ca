/**
 * The symbol stage: fills batch.sym with name ids. Static codes come from the Resolver; the per-vCPU
 * rule is applied here, in file order: a low pc is [user] once its vCPU has run a kernel virtual pc
 * that resolves to a function (or any kernel-half pc when no symbols are loaded), and before that it
 * is a physically-addressed kernel function, [firmware] or [boot].
 */
import type { EventBatch } from '../model/batch.js';
import { FIRST_FUNCTION, REGION_KERNEL, REGION_USER } from '../model/names.js';
import { LOW_FLAG, type Resolver } from './resolver.js';

export class Symbolizer {
  private kernelSeen = new Uint8Array(16);

  constructor(readonly resolver: Resolver) {}

  /** Static codes, no per-vCPU state (can run anywhere, e.g. in a worker). */
  codes(batch: EventBatch): void {
    const r = this.resolver;
    const hi = batch.pcHi;
    const lo = batch.pcLo;
    const sym = batch.sym;
    if (batch.presymbolized) {
      // Pre-resolved formats named their events already; only the ones they could not (-1) are resolved.
      for (let i = 0, n = batch.length; i < n; i++) if (sym[i] < 0) sym[i] = r.code(hi[i], lo[i]);
      return;
    }
    for (let i = 0, n = batch.length; i < n; i++) sym[i] = r.code(hi[i], lo[i]);
  }

  /** Applies the per-vCPU rule to the static codes, in file order. */
  finalize(batch: EventBatch): void {
    const sym = batch.sym;
    const thread = batch.thread;
    let seen = this.kernelSeen;
    for (let i = 0, n = batch.length; i < n; i++) {
      const t = thread[i];
      if (t >= seen.length) {
        const grown = new Uint8Array(Math.max(seen.length * 2, t + 1));
        grown.set(seen);
        this.kernelSeen = seen = grown;
      }
      const c = sym[i];
      if (c & LOW_FLAG) sym[i] = seen[t] ? REGION_USER : c ^ LOW_FLAG;
      else if (c >= FIRST_FUNCTION || c === REGION_KERNEL) seen[t] = 1;
    }
  }

  apply(batch: EventBatch): void {
    this.codes(batch);
    this.finalize(batch);
  }
}
