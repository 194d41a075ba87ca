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
import { lastAtOrBelow, resized } from '../model/typed-array.js';

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

/**
 * Names kept in the bytes they were read from (a cache file, cache.ts): one is made into a string
 * when it is asked for, all of them when the list is. 45,000 names as strings cost a short run
 * ~25 ms (their allocation and the scavenges that copy them), and a self-time table needs a few.
 */
export interface NameSource {
  /** The name of one id. */
  name(id: number): string;
  /** Every name, by id. */
  all(): string[];
}

export class SymbolTable {
  private list: readonly string[] | null;
  private readonly source: NameSource | null;

  constructor(
    /** Sorted distinct symbol addresses (address keys, see address.ts). */
    readonly addrs: Float64Array,
    /** Name id of the preferred text symbol at addrs[i], or -1 when none of the symbols there is text. */
    readonly fnAt: Int32Array,
    /** Name id -> name (see `names`), or where to take them from when asked. */
    names: readonly string[] | NameSource,
    /** Address keys of well-known symbols (NaN when absent). */
    readonly marks: Readonly<Record<string, number>>,
    readonly textSymbols: number,
  ) {
    const list = Array.isArray(names);
    this.list = list ? (names as readonly string[]) : null;
    this.source = list ? null : (names as NameSource);
  }

  /** Name id -> name. Ids below FIRST_FUNCTION are the region labels. */
  get names(): readonly string[] {
    return (this.list ??= this.source!.all());
  }

  /** The name of one id, without making every name a string when they are not yet (NameSource). */
  nameOf(id: number): string {
    return this.list !== null ? this.list[id] : this.source!.name(id);
  }

  /** Name id of the function containing `key`, or -1. */
  lookup(key: number): number {
    const i = this.indexOf(key);
    return i < 0 ? -1 : this.fnAt[i];
  }

  /** Index into `addrs` of the greatest address <= key (-1 when none): where a pc's symbol starts. */
  indexOf(key: number): number {
    return lastAtOrBelow(this.addrs, key);
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
  // parallel columns, grown by doubling (plain arrays of 87,000 pushes each made loading a System.map
  // cost ~60 ms here, measured)
  private keys = new Float64Array(1024);
  private types = new Uint8Array(1024);
  /** Symbol sizes in bytes (ELF st_size); 0 = unknown: the symbol extends to the next one. */
  private sizes = new Float64Array(1024);
  private nameList: string[] = [];
  private n = 0;
  readonly marks: Record<string, number> = {};
  malformed = 0;

  add(key: number, type: string, name: string, size = 0): void {
    const i = this.n;
    if (i === this.keys.length) {
      this.keys = resized(this.keys, i * 2);
      this.types = resized(this.types, i * 2);
      this.sizes = resized(this.sizes, i * 2);
    }
    if (name.charCodeAt(0) === 0x5f && (MARK_NAMES as readonly string[]).includes(name) && !(name in this.marks)) this.marks[name] = key;
    this.keys[i] = key;
    this.types[i] = type.charCodeAt(0);
    this.sizes[i] = size;
    this.nameList.push(name);
    this.n = i + 1;
  }

  get size(): number {
    return this.n;
  }

  build(): SymbolTable {
    const n = this.n;
    const keys = this.keys;
    const types = this.types;
    const order = new Int32Array(n);
    let sorted = true;
    for (let i = 0; i < n; i++) {
      order[i] = i;
      if (i > 0 && keys[i] < keys[i - 1]) sorted = false;
    }
    // stable: equal addresses keep their file order (preferSymbol's last tie-break)
    if (!sorted) order.sort((x, y) => keys[x] - keys[y] || x - y);
    const names: string[] = [...REGION_LABELS];
    const nameId = new Map<string, number>();
    const addrs = new Float64Array(n * 2);
    const fnAt = new Int32Array(n * 2);
    let out = 0;
    let textSymbols = 0;
    let i = 0;
    while (i < n) {
      const key = keys[order[i]];
      let best = -1;
      let j = i;
      for (; j < n && keys[order[j]] === key; j++) {
        const s = order[j];
        if (!isTextCode(types[s])) continue;
        textSymbols++;
        if (best < 0 || preferSymbol(String.fromCharCode(types[s]), this.nameList[s], s, String.fromCharCode(types[best]), this.nameList[best], best) < 0)
          best = s;
      }
      let id = -1;
      // Sized symbols (ELF) bound their function: past its end lies no function, up to the next symbol.
      let extent = 0;
      if (best >= 0) {
        extent = this.sizes[best];
        for (let q = i; q < j && extent === 0; q++) if (isTextCode(types[order[q]])) extent = Math.max(extent, this.sizes[order[q]]);
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
      addrs[out] = key;
      fnAt[out++] = id;
      if (extent > 0) {
        const endKey = key + extent;
        if (j >= n || keys[order[j]] > endKey) {
          addrs[out] = endKey;
          fnAt[out++] = -1;
        }
      }
      i = j;
    }
    const marks: Record<string, number> = {};
    for (const m of MARK_NAMES) marks[m] = this.marks[m] ?? NaN;
    return new SymbolTable(addrs.slice(0, out), fnAt.slice(0, out), names, marks, textSymbols);
  }
}

/** isTextType for a type letter's char code (T, t, W, w). */
function isTextCode(c: number): boolean {
  return c === 0x54 || c === 0x74 || c === 0x57 || c === 0x77;
}

export { FIRST_FUNCTION };
