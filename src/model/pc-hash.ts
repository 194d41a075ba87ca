/**
 * A hash table keyed by guest pcs, each given as its two exact 32-bit halves (as EventBatch holds
 * them), with an int32 value per pc (a set stores 0): open addressing with linear probing over typed
 * arrays, no object or string per pc. Two policies:
 *   bounded  a cache of a fixed number of slots, emptied when 3/4 full (`clears` counts it), so memory
 *            never grows with the number of distinct pcs (the resolver's code cache, the stack
 *            reconstruction's return blocks); its arrays are allocated once, for life;
 *   growing  doubles when more than half full (a set of distinct pcs).
 * The value array doubles as the occupancy mark (-1: a free slot), so a hit reads three arrays at one
 * index. A caller that keeps more per pc (the resolver: an offset) stores it in its own typed array
 * indexed by slot: `find` gives the slot of a pc or where it would go, `insert` puts the pc there and
 * returns the slot it landed in. Slots move only when an insert empties a bounded table (everything
 * is forgotten then) or grows a growing one, so values by slot suit bounded tables.
 *
 * A per-event lookup that needs two values out of a hit may walk the slots itself (the resolver
 * does: as an inlined find() followed by two loads it measured ~8% slower): start at home(hi, lo),
 * step to (slot + 1) & mask, stop at a slot whose value is negative.
 */

export class PcHashMap {
  /** The pcs by slot, valid where `val[slot] >= 0` (forEach walks them). */
  hi: Uint32Array;
  lo: Uint32Array;
  /** Each slot's value, -1 where the slot is free: values are 0 and up. */
  val: Int32Array;
  /** slots - 1. */
  mask: number;
  /** Pcs held. */
  size = 0;
  /** Times a bounded table was emptied because it was full. */
  clears = 0;
  private shift: number;

  /** A table of 2^bits slots (to start with, when growing); bits 2..30. */
  constructor(
    bits: number,
    readonly bounded: boolean,
  ) {
    this.hi = new Uint32Array(1 << bits);
    this.lo = new Uint32Array(1 << bits);
    this.val = new Int32Array(1 << bits).fill(-1);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
  }

  get slots(): number {
    return this.val.length;
  }

  /** Bytes held by the slots (12 each). */
  get bytes(): number {
    return this.val.length * 12;
  }

  /** The slot where the probe for a pc starts: the top bits of a multiplicative hash. */
  home(hi: number, lo: number): number {
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  /** The slot holding the pc, or, when it is not held, ~ the free slot where it would go (negative). */
  find(hi: number, lo: number): number {
    const val = this.val;
    let s = this.home(hi, lo);
    while (val[s] >= 0) {
      if (this.lo[s] === lo && this.hi[s] === hi) return s;
      s = (s + 1) & this.mask;
    }
    return ~s;
  }

  /** The pc's value, or -1 when it is not held. */
  get(hi: number, lo: number): number {
    const s = this.find(hi, lo);
    return s >= 0 ? this.val[s] : -1;
  }

  has(hi: number, lo: number): boolean {
    return this.find(hi, lo) >= 0;
  }

  /**
   * Adds a pc that `find` just reported missing (`missing`: its negative answer, with no insert since)
   * with `value` (0 and up). Returns the pc's slot: where find said, unless a full bounded table was
   * emptied or a growing one grew.
   */
  insert(hi: number, lo: number, missing: number, value: number): number {
    let s = ~missing;
    if (this.bounded && this.size >= ((this.mask + 1) * 3) >>> 2) {
      this.clear();
      this.clears++;
      s = this.home(hi, lo);
    }
    this.hi[s] = hi;
    this.lo[s] = lo;
    this.val[s] = value;
    this.size++;
    if (!this.bounded && this.size * 2 > this.mask + 1) {
      this.grow();
      s = this.find(hi, lo);
    }
    return s;
  }

  /** Adds a pc with `value` (a set: 0) unless it is held (then its value stays); true when it was not. */
  add(hi: number, lo: number, value = 0): boolean {
    const s = this.find(hi, lo);
    if (s >= 0) return false;
    this.insert(hi, lo, s, value);
    return true;
  }

  /** Forgets every pc (the slots stay). */
  clear(): void {
    this.val.fill(-1);
    this.size = 0;
  }

  /** Calls fn for each pc held and its value, in slot order. */
  forEach(fn: (hi: number, lo: number, value: number) => void): void {
    const { hi, lo, val } = this;
    for (let s = 0; s < val.length; s++) if (val[s] >= 0) fn(hi[s], lo[s], val[s]);
  }

  private grow(): void {
    const { hi, lo, val } = this;
    const size = val.length * 2;
    this.hi = new Uint32Array(size);
    this.lo = new Uint32Array(size);
    this.val = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    this.shift--;
    for (let s = 0; s < val.length; s++) {
      if (val[s] < 0) continue;
      const at = ~this.find(hi[s], lo[s]);
      this.hi[at] = hi[s];
      this.lo[at] = lo[s];
      this.val[at] = val[s];
    }
  }
}
