/**
 * What every analysis is: a pure loop over batches, fed in file order, then finished once by the
 * pipeline after the last batch; its results are read after that.
 */
import type { EventBatch } from '../model/batch.js';
import type { UnitMerge } from './unit-merge.js';
import { resized } from '../model/typed-array.js';

export interface Analysis {
  /** Consumes one symbolized batch (batch.sym filled). */
  consume(batch: EventBatch): void;
  /**
   * Called by the pipeline once, after the last batch, in the order the analyses were given: closes
   * what is still open at the end of the trace (call frames), flushes buffered output.
   */
  finish?(): void | Promise<void>;
  /**
   * Analyses that also run in the parse workers (analyze/unit-merge.ts): merges one work unit's
   * partial, in file order, instead of consuming that unit's batches; false (nothing merged): the
   * merge would not give exactly the event-by-event result, and the unit's batches are consumed.
   */
  mergeUnit?(m: UnitMerge): boolean;
  /**
   * Called instead of consume() for each batch of a unit whose merge this analysis accepted: what
   * the workers cannot fold, because the main thread fills it (the instructions of a `translated`
   * batch: model/translations.ts).
   */
  consumeMerged?(batch: EventBatch): void;
  /**
   * With `--user-elf`: true when the analysis shows user-space functions, i.e. reads the user stage's
   * names (ids from TraceInfo.userFirst) in `sym`/`off` where the others see [user]
   * (symbols/user-elf.ts).
   */
  readonly userFunctions?: boolean;
}

/** Grows a typed array to hold index `need`, doubling; returns the (possibly new) array. */
export function grow<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(a: T, need: number, fill = 0): T {
  if (need < a.length) return a;
  let len = Math.max(16, a.length);
  while (len <= need) len *= 2;
  return resized(a, len, fill);
}
