/** Distinct pcs of a trace, in bounded memory (what `info` reports). */
import type { Analysis } from './analysis.js';
import { SYMBOLIC_PC_HI, type EventBatch } from '../model/batch.js';
import { PcHashMap } from '../model/pc-hash.js';

/** Distinct pcs counted exactly up to this many; beyond, estimated (HyperLogLog) in fixed memory. */
export const EXACT_DISTINCT_PCS = 1 << 20;
const HLL_BITS = 14;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Distinct pcs: an open-addressing set of (hi, lo) pairs while there are at most EXACT_DISTINCT_PCS
 * (~24 MB), then a HyperLogLog sketch of 16 KiB (error ~1%), so memory stays bounded whatever the
 * trace (10 million distinct user pcs would need ~300 MB as a set). Pre-resolved events count as
 * name+offset.
 */
export class DistinctPcs implements Analysis {
  /** The exact set, until it holds EXACT_DISTINCT_PCS pcs (then null). */
  private set: PcHashMap | null = new PcHashMap(12, false);
  /** HyperLogLog registers once the exact set is given up. */
  private registers: Uint8Array | null = null;

  /** True while `count` is exact. */
  get exact(): boolean {
    return this.registers === null;
  }

  /** Distinct pcs seen: exact, or (beyond EXACT_DISTINCT_PCS) an estimate. */
  get count(): number {
    return this.set !== null ? this.set.size : this.estimate();
  }

  /** Bytes held by the set or sketch. */
  bytes(): number {
    return this.set !== null ? this.set.bytes : this.registers!.length;
  }

  consume(batch: EventBatch): void {
    const { pcHi, pcLo, sym } = batch;
    for (let i = 0, n = batch.length; i < n; i++) {
      const h = pcHi[i];
      const hi = h === SYMBOLIC_PC_HI ? (SYMBOLIC_PC_HI + sym[i]) >>> 0 : h;
      const set = this.set;
      if (set === null) this.sketch(hi, pcLo[i]);
      else if (set.add(hi, pcLo[i]) && set.size >= EXACT_DISTINCT_PCS) this.toSketch(set);
    }
  }

  private toSketch(set: PcHashMap): void {
    this.registers = new Uint8Array(1 << HLL_BITS);
    set.forEach((hi, lo) => this.sketch(hi, lo));
    this.set = null;
  }

  private sketch(hi: number, lo: number): void {
    const h = fmix32(lo ^ fmix32(hi ^ 0x9e3779b9));
    const j = h >>> (32 - HLL_BITS);
    const rank = Math.min(Math.clz32((h << HLL_BITS) | (1 << (HLL_BITS - 1))) + 1, 32 - HLL_BITS + 1);
    const r = this.registers!;
    if (rank > r[j]) r[j] = rank;
  }

  private estimate(): number {
    const r = this.registers!;
    const m = r.length;
    let sum = 0;
    let zeros = 0;
    for (let j = 0; j < m; j++) {
      sum += 2 ** -r[j];
      if (r[j] === 0) zeros++;
    }
    let e = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
    if (e <= 2.5 * m && zeros > 0) e = m * Math.log(m / zeros);
    else if (e > 2 ** 32 / 30) e = -(2 ** 32) * Math.log(1 - e / 2 ** 32);
    return Math.max(EXACT_DISTINCT_PCS, Math.round(e));
  }
}
