/**
 * Analyses that run in the parse workers: a worker folds its work unit's events into a small
 * partial state (per unit thread index, per name id touched), and the main thread merges the
 * partials in unit order, fixing what crosses a seam (each vCPU's pending event at the unit's start)
 * and what only the main thread knows (the vCPU indexes, a time shift, and the per-vCPU rule for
 * the low pcs a unit could not classify alone: [user] when the vCPU ran kernel code before the unit,
 * else their own code). The result is exactly that of consuming every event on the main thread:
 * every sum is of integers below 2^53, so the order of the additions does not matter.
 */
import { LOW_FLAG } from '../symbols/resolver.js';
import { finalLowCode } from '../symbols/symbolize.js';
import type { SelfTimePartial } from './self-time.js';
import type { CountsPartial } from './trace-counts.js';

/** What a worker computes for its unit (parallel/unit.ts), posted with its batches. */
export interface UnitPartials {
  selfTime: SelfTimePartial;
  counts: CountsPartial;
}

/** A unit's partials with what the main thread adds to merge them, in file order. */
export interface UnitMerge {
  partials: UnitPartials;
  /** Unit thread index -> vCPU index. */
  threads: Uint32Array;
  /** Added to the unit's times (0 when the run's origin was known up front). */
  delta: number;
  /** Per unit thread index: its vCPU had run kernel code before the unit (the per-vCPU rule). */
  seenBefore: Uint8Array;
}

/** Key of a deferred (unit thread, low code) pair. */
export function deferredKey(t: number, code: number): number {
  return t * 0x100000000 + (code >>> 0);
}

/** The final name id of a (unit thread, code) pair: the code itself unless it is a low code (the per-vCPU rule). */
export function finalOf(t: number, code: number, seenBefore: Uint8Array): number {
  return code & LOW_FLAG ? finalLowCode(code, seenBefore[t]) : code;
}

/** The final name id of a deferred key's code. */
export function finalCode(key: number, seenBefore: Uint8Array): number {
  return finalOf(Math.floor(key / 0x100000000), key % 0x100000000, seenBefore);
}

/** Sums a value per key, remembering the keys in first-touch order (small, sparse, reset per unit). */
export class SparseSums {
  private readonly index = new Map<number, number>();
  keys: number[] = [];
  values: number[] = [];

  /** The last key added and its slot: runs of one key (a vCPU's events in user space) skip the map. */
  private lastKey = -1;
  private lastSlot = -1;

  add(key: number, v: number): void {
    if (key === this.lastKey) {
      this.values[this.lastSlot] += v;
      return;
    }
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.keys.length;
      this.index.set(key, i);
      this.keys.push(key);
      this.values.push(v);
    } else this.values[i] += v;
    this.lastKey = key;
    this.lastSlot = i;
  }

  take(): { keys: Float64Array; values: Float64Array } {
    const r = { keys: Float64Array.from(this.keys), values: Float64Array.from(this.values) };
    this.index.clear();
    this.lastKey = -1;
    this.lastSlot = -1;
    this.keys = [];
    this.values = [];
    return r;
  }
}
