/**
 * The symbol stage: fills batch.sym with name ids and batch.off with each pc's offset into its
 * function (NO_OFFSET for regions), once per event, in every path (JS, wasm, workers, pre-resolved
 * formats, any KASLR slide): analyses and writers read these columns and never resolve again.
 * Static codes come from the Resolver; the per-vCPU rule is applied here, in file order: a low pc is [user] once its vCPU has run a kernel virtual pc
 * that resolves to a function (or any kernel-half pc when no symbols are loaded), and before that it
 * is a physically-addressed kernel function, [firmware] or [boot].
 */
import { NO_OFFSET, SYMBOLIC_PC_HI, type EventBatch } from '../model/batch.js';
import { FIRST_FUNCTION, REGION_KERNEL, REGION_USER } from '../model/names.js';
import { LOW_FLAG, type Resolver } from './resolver.js';
import { FastResolver } from './resolver-fast.js';

/**
 * The per-vCPU rule for a low pc's static code (LOW_FLAG set): [user] once its vCPU has run a kernel
 * virtual pc, else the code itself (a physically-addressed kernel function, [firmware] or [boot]).
 */
export function finalLowCode(code: number, kernelSeen: boolean | number): number {
  return kernelSeen ? REGION_USER : code ^ LOW_FLAG;
}

export class Symbolizer {
  private kernelSeen = new Uint8Array(16);

  /**
   * The wasm twin of the resolver's static codes, when available (resolver-fast.ts); made on first
   * use, so a symbolizer that never computes codes (the main thread of a parallel run) reserves no
   * wasm memory.
   */
  private fastState: FastResolver | null | undefined;

  constructor(readonly resolver: Resolver) {}

  private get fast(): FastResolver | null {
    if (this.fastState === undefined) this.fastState = FastResolver.create(this.resolver);
    return this.fastState;
  }

  /** Static codes, no per-vCPU state (can run anywhere, e.g. in a worker). */
  codes(batch: EventBatch): void {
    const r = this.resolver;
    const hi = batch.pcHi;
    const lo = batch.pcLo;
    const sym = batch.sym;
    const off = batch.off;
    if (batch.presymbolized) {
      // Pre-resolved formats named their events already (pcHi = SYMBOLIC_PC_HI, pcLo = the offset);
      // only the ones they could not (-1) are resolved.
      let k = 0;
      let ok = 0;
      for (let i = 0, n = batch.length; i < n; i++) {
        const s = sym[i];
        if (s < 0) {
          sym[i] = r.code(hi[i], lo[i]);
          off[i] = r.off;
        } else off[i] = s >= FIRST_FUNCTION && hi[i] === SYMBOLIC_PC_HI ? lo[i] : NO_OFFSET;
        if (r.isKernel(hi[i], lo[i])) {
          k++;
          if (sym[i] >= FIRST_FUNCTION) ok++;
        }
      }
      batch.kernelEvents = k;
      batch.kernelResolved = ok;
      batch.finalizeEnd = -1;
      return;
    }
    const fast = this.fast;
    if (fast) {
      fast.codes(batch);
      return;
    }
    let k = 0;
    let ok = 0;
    for (let i = 0, n = batch.length; i < n; i++) {
      const h = hi[i];
      const c = r.code(h, lo[i]);
      sym[i] = c;
      off[i] = r.off;
      if (r.isKernel(h, lo[i])) {
        k++;
        if (c >= FIRST_FUNCTION) ok++;
      }
    }
    batch.kernelEvents = k;
    batch.kernelResolved = ok;
    batch.finalizeEnd = -1;
  }

  /**
   * The per-vCPU rule as far as one work unit can apply it (in a worker): after a vCPU's first kernel
   * virtual pc *in this unit* its low pcs are [user]; those before it depend on earlier units, so the
   * batch's finalizeEnd tells the main thread how far it still has to look. `seen` is per unit, indexed
   * by the unit's thread indexes; the threads it marks go to markSeen() on the main thread.
   */
  static partialFinalize(batch: EventBatch, seen: Uint8Array): void {
    const sym = batch.sym;
    const thread = batch.thread;
    let end = 0;
    for (let i = 0, n = batch.length; i < n; i++) {
      const t = thread[i];
      const c = sym[i];
      if (c & LOW_FLAG) {
        if (seen[t]) {
          sym[i] = REGION_USER;
          batch.off[i] = NO_OFFSET;
        } else end = i + 1;
      } else if (c >= FIRST_FUNCTION || c === REGION_KERNEL) seen[t] = 1;
    }
    batch.finalizeEnd = end;
  }

  /** Records that these vCPUs have run a kernel virtual pc (from a unit finalized in a worker). */
  markSeen(threads: Iterable<number>): void {
    for (const t of threads) {
      if (t >= this.kernelSeen.length) {
        const grown = new Uint8Array(Math.max(this.kernelSeen.length * 2, t + 1));
        grown.set(this.kernelSeen);
        this.kernelSeen = grown;
      }
      this.kernelSeen[t] = 1;
    }
  }

  /** Per entry of `threads` (vCPU indexes): 1 when that vCPU has run a kernel virtual pc so far. */
  seenFlags(threads: ArrayLike<number>): Uint8Array {
    const f = new Uint8Array(threads.length);
    for (let i = 0; i < threads.length; i++) f[i] = threads[i] < this.kernelSeen.length ? this.kernelSeen[threads[i]] : 0;
    return f;
  }

  /** Applies the per-vCPU rule to the static codes, in file order. */
  finalize(batch: EventBatch): void {
    const sym = batch.sym;
    const off = batch.off;
    const thread = batch.thread;
    let seen = this.kernelSeen;
    const n = batch.finalizeEnd >= 0 ? batch.finalizeEnd : batch.length;
    for (let i = 0; i < n; i++) {
      const t = thread[i];
      if (t >= seen.length) {
        const grown = new Uint8Array(Math.max(seen.length * 2, t + 1));
        grown.set(seen);
        this.kernelSeen = seen = grown;
      }
      const c = sym[i];
      if (c & LOW_FLAG) {
        sym[i] = finalLowCode(c, seen[t]);
        if (seen[t]) off[i] = NO_OFFSET;
      } else if (c >= FIRST_FUNCTION || c === REGION_KERNEL) seen[t] = 1;
    }
    if (batch.seenAfter) this.markSeen(batch.seenAfter);
  }

  apply(batch: EventBatch): void {
    this.codes(batch);
    this.finalize(batch);
  }
}
