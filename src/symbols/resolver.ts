/**
 * pc -> static code, with a per-pc cache. The code of a kernel-half pc is a name id (a function, or
 * [unknown] / [kernel] without symbols). The code of a low pc carries LOW_FLAG and the name id it has
 * *before* its vCPU reaches the kernel (a physically-addressed kernel function, [firmware] or [boot]);
 * after that every low pc is [user]. symbolize.ts applies that per-vCPU rule.
 *
 * Each call also leaves the pc's offset into its function in `off` (NO_OFFSET for a region): the
 * symbol stage stores both, so nothing downstream resolves again.
 *
 * The cache is a bounded PcHashMap (model/pc-hash.ts) of kernel-half pc -> code, with each cached pc's
 * offset in an array by slot: when it is 3/4 full it is emptied, so memory never grows with the
 * number of distinct pcs. Low pcs skip it (their code is a couple of range checks).
 */
import { NO_OFFSET } from '../model/batch.js';
import { FIRST_FUNCTION, REGION_KERNEL, REGION_UNKNOWN } from '../model/names.js';
import { PcHashMap } from '../model/pc-hash.js';
import { addressKey, KERNEL_HALF_HI } from './address.js';
import { earlyRegion, FIRMWARE_TOP, isFirmwarePc, kernel32Base, PHYSICAL_START } from './regions.js';
import type { SymbolTable } from './table.js';

export const LOW_FLAG = 1 << 30;

export class Resolver {
  /**
   * Kernel-half pc -> code (bounded: its arrays never move, so kernel() holds them), and offsets by
   * slot. Made by the first kernel() call: a run whose codes come from the wasm resolver never
   * touches it (5 MB, ~5 ms of a short run to allocate and mark free, measured).
   */
  private cache: PcHashMap | null = null;
  private cacheHi: Uint32Array = new Uint32Array(0);
  private cacheLo: Uint32Array = new Uint32Array(0);
  private cacheCode: Int32Array = new Int32Array(0);
  private cacheOff: Float64Array = new Float64Array(0);
  /** virt(_text) - PHYSICAL_START, NaN without a table. */
  readonly physDelta: number;
  readonly text0: number;
  readonly text1: number;
  readonly init0: number;
  readonly init1: number;
  /** A 32-bit kernel's map: its lowest kernel pc (regions.ts kernel32Base); NaN for a 64-bit one. */
  readonly k32: number;
  lookups = 0;
  /**
   * KASLR slide (address key delta, a multiple of 2 MiB): kernel-half pcs are looked up at pc - slide.
   * Set before the first lookup (symbols/kaslr.ts decides it from the trace's head); the cache holds
   * codes of raw pcs, so it must not change afterwards.
   */
  slide = 0;
  /** Offset of the last pc given to kernel(), early() or code() into its function; NO_OFFSET for a region. */
  off = NO_OFFSET;

  constructor(
    readonly table: SymbolTable | null,
    private readonly cacheBits = 18,
  ) {
    const m = table?.marks;
    const text = m ? (Number.isNaN(m._text) ? m._stext : m._text) : NaN;
    this.physDelta = text - PHYSICAL_START;
    this.text0 = text;
    this.text1 = m ? m._etext : NaN;
    this.init0 = m ? m._sinittext : NaN;
    this.init1 = m ? m._einittext : NaN;
    this.k32 = kernel32Base(m);
  }

  /** Times the code cache was emptied because it was full. */
  get cacheClears(): number {
    return this.cache?.clears ?? 0;
  }

  private makeCache(): PcHashMap {
    const cache = new PcHashMap(this.cacheBits, true);
    this.cacheHi = cache.hi;
    this.cacheLo = cache.lo;
    this.cacheCode = cache.val;
    this.cacheOff = new Float64Array(cache.slots);
    return (this.cache = cache);
  }

  /**
   * Is this pc in the kernel half? x86-64 and other 64-bit kernels: 0xffff800000000000 and up; a
   * 32-bit kernel's map (text above 0xc0000000, say) defines its half as [PAGE_OFFSET, 4 GiB) less
   * the firmware's top 256 KiB.
   */
  isKernel(hi: number, lo: number): boolean {
    return hi >= KERNEL_HALF_HI || (hi === 0 && lo >= this.k32 && lo < FIRMWARE_TOP);
  }

  /** Name id of a kernel-half pc (cached). */
  kernel(hi: number, lo: number): number {
    const table = this.table;
    this.off = NO_OFFSET;
    if (table === null) return REGION_KERNEL;
    // The cache's slots, walked here rather than through cache.find(): this runs once per event and
    // takes two values out of a hit (see model/pc-hash.ts).
    const cache = this.cache ?? this.makeCache();
    const codes = this.cacheCode;
    let s = cache.home(hi, lo);
    for (;;) {
      const c = codes[s];
      if (c < 0) break;
      if (this.cacheLo[s] === lo && this.cacheHi[s] === hi) {
        this.off = this.cacheOff[s];
        return c;
      }
      s = (s + 1) & cache.mask;
    }
    this.lookups++;
    const key = addressKey(hi, lo) - this.slide;
    const at = table.indexOf(key);
    const fn = at >= 0 ? table.fnAt[at] : -1;
    const code = fn >= 0 ? fn : REGION_UNKNOWN;
    const off = fn >= 0 ? key - table.addrs[at] : NO_OFFSET;
    this.off = off;
    this.cacheOff[cache.insert(hi, lo, ~s, code)] = off;
    return code;
  }

  /** Name id a low pc has before its vCPU's first kernel virtual pc. */
  early(hi: number, lo: number): number {
    this.off = NO_OFFSET;
    if (isFirmwarePc(hi, lo)) return earlyRegion(hi, lo);
    const table = this.table;
    if (table !== null) {
      const v = addressKey(hi, lo) + this.physDelta;
      if ((v >= this.text0 && v < this.text1) || (v >= this.init0 && v < this.init1)) {
        const at = table.indexOf(v);
        const fn = at >= 0 ? table.fnAt[at] : -1;
        if (fn >= FIRST_FUNCTION) {
          this.off = v - table.addrs[at];
          return fn;
        }
      }
    }
    return earlyRegion(hi, lo);
  }

  /** Static code of a pc (see the file comment). */
  code(hi: number, lo: number): number {
    if (this.isKernel(hi, lo)) return this.kernel(hi, lo);
    if (hi >= 0x80000000) {
      this.off = NO_OFFSET; // non-canonical
      return REGION_UNKNOWN;
    }
    return LOW_FLAG | this.early(hi, lo);
  }
}
