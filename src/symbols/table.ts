/**
 * A symbol table in the Firefox Profiler's spirit: sorted addresses in one Float64Array, a parallel
 * array of name ids, and the names themselves stored once. Built from any source (System.map,
 * kallsyms, ELF) through SymbolTableBuilder.
 *
 * Resolution rule: a pc belongs to the symbol at the greatest address <= pc, provided a text symbol
 * stands at that address; otherwise it is no function. Where several text symbols share an address
 * the one perf would show wins: global (T) over weak (W, w) over local (t), then the fewest leading
 * underscores, then the shortest name, then the first in the file.
 */
import { FIRST_FUNCTION, REGION_LABELS } from '../model/names.js';

export function isTextType(t: string): boolean {
  return t === 'T' || t === 't' || t === 'W' || t === 'w';
}

function typeRank(t: string): number {
  return t === 'T' ? 0 : t === 'W' ? 1 : t === 'w' ? 2 : 3;
}

function leadingUnderscores(s: string): number {
  let k = 0;
  while (k < s.length && s.charCodeAt(k) === 0x5f) k++;
  return k;
}

/** Negative when symbol a is preferred over b at the same address. */
export function preferSymbol(aType: string, aName: string, aOrder: number, bType: string, bName: string, bOrder: number): number {
  return typeRank(aType) - typeRank(bType) || leadingUnderscores(aName) - leadingUnderscores(bName) || aName.length - bName.length || aOrder - bOrder;
}

export class SymbolTable {
  constructor(
    /** Sorted distinct symbol addresses (address keys, see address.ts). */
    readonly addrs: Float64Array,
    /** Name id of the preferred text symbol at addrs[i], or -1 when none of the symbols there is text. */
    readonly fnAt: Int32Array,
    /** Name id -> name. Ids below FIRST_FUNCTION are the region labels. */
    readonly names: readonly string[],
    /** Address keys of well-known symbols (NaN when absent). */
    readonly marks: Readonly<Record<string, number>>,
    readonly textSymbols: number,
  ) {}

  /** Name id of the function containing `key`, or -1. */
  lookup(key: number): number {
    const i = this.indexOf(key);
    return i < 0 ? -1 : this.fnAt[i];
  }

  /** Index into `addrs` of the greatest address <= key (-1 when none): where a pc's symbol starts. */
  indexOf(key: number): number {
    const a = this.addrs;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid] <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Address key where the preferred symbol named `name` starts (first found), or NaN. */
  addressOf(name: string): number {
    const id = this.names.indexOf(name);
    if (id < 0) return NaN;
    for (let i = 0; i < this.fnAt.length; i++) if (this.fnAt[i] === id) return this.addrs[i];
    return NaN;
  }
}

/** Symbol names whose addresses the resolver needs (kernel text bounds). */
export const MARK_NAMES = ['_text', '_stext', '_etext', '_sinittext', '_einittext'] as const;

export class SymbolTableBuilder {
  private keys: number[] = [];
  private types: string[] = [];
  private nameList: string[] = [];
  /** Symbol sizes in bytes (ELF st_size); 0 = unknown: the symbol extends to the next one. */
  private sizes: number[] = [];
  readonly marks: Record<string, number> = {};
  malformed = 0;

  add(key: number, type: string, name: string, size = 0): void {
    this.sizes.push(size);
    if (name.charCodeAt(0) === 0x5f && (MARK_NAMES as readonly string[]).includes(name) && !(name in this.marks)) this.marks[name] = key;
    this.keys.push(key);
    this.types.push(type);
    this.nameList.push(name);
  }

  get size(): number {
    return this.keys.length;
  }

  build(): SymbolTable {
    const n = this.keys.length;
    const keys = this.keys;
    // Array#sort is TimSort (stable, adaptive): System.map is sorted but for a few absolute symbols.
    const order: number[] = new Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((x, y) => keys[x] - keys[y]);
    const names: string[] = [...REGION_LABELS];
    const nameId = new Map<string, number>();
    const addrs: number[] = [];
    const fnAt: number[] = [];
    let textSymbols = 0;
    let i = 0;
    while (i < n) {
      const key = keys[order[i]];
      let best = -1;
      let j = i;
      for (; j < n && keys[order[j]] === key; j++) {
        const s = order[j];
        if (!isTextType(this.types[s])) continue;
        textSymbols++;
        if (best < 0 || preferSymbol(this.types[s], this.nameList[s], s, this.types[best], this.nameList[best], best) < 0) best = s;
      }
      let id = -1;
      // Sized symbols (ELF) bound their function: past its end lies no function, up to the next symbol.
      let extent = 0;
      if (best >= 0) {
        extent = this.sizes[best];
        for (let q = i; q < j && extent === 0; q++) if (isTextType(this.types[order[q]])) extent = Math.max(extent, this.sizes[order[q]]);
      }
      if (best >= 0) {
        const name = this.nameList[best];
        id = nameId.get(name) ?? -1;
        if (id < 0) {
          id = names.length;
          names.push(name);
          nameId.set(name, id);
        }
      }
      addrs.push(key);
      fnAt.push(id);
      if (extent > 0) {
        const endKey = key + extent;
        if (j >= n || keys[order[j]] > endKey) {
          addrs.push(endKey);
          fnAt.push(-1);
        }
      }
      i = j;
    }
    const marks: Record<string, number> = {};
    for (const m of MARK_NAMES) marks[m] = this.marks[m] ?? NaN;
    return new SymbolTable(Float64Array.from(addrs), Int32Array.from(fnAt), names, marks, textSymbols);
  }
}

export { FIRST_FUNCTION };
