/**
 * The WebAssembly twin of Resolver.code() over whole batches (source: asm/resolve.ts, built to
 * dist/wasm/resolve.wasm). Same rules and the same exact-double address comparisons as the JS
 * resolver, so the codes are identical (tests compare them); only the cache differs (direct-mapped,
 * 64 Ki entries, in wasm memory). Used by Symbolizer.codes when the module is available and a symbol
 * table is loaded; BOOTPROF_NO_WASM=1 turns it off.
 */
import { wasmMemory, wasmModule } from '../wasm/load.js';
import type { EventBatch } from '../model/batch.js';
import type { Resolver } from './resolver.js';

interface Exports {
  resolve(
    n: number,
    hiP: number,
    loP: number,
    symP: number,
    offP: number,
    cacheP: number,
    cacheMask: number,
    addrs: number,
    fns: number,
    nsyms: number,
    slide: number,
    physDelta: number,
    text0: number,
    text1: number,
    init0: number,
    init1: number,
    k32: number,
  ): number;
  getKernelEvents(): number;
}

const PAGE = 65536;
const CAP = 1 << 16;
const HI = PAGE;
const LO = HI + CAP * 4;
const SYM = LO + CAP * 4;
const OFF = SYM + CAP * 4;
const CACHE = OFF + CAP * 8;
const CACHE_ENTRIES = 1 << 16;
const CACHE_ENTRY = 32;
const ADDRS = CACHE + CACHE_ENTRIES * CACHE_ENTRY;

export class FastResolver {
  private readonly ex: Exports;
  private readonly u8: Uint8Array;
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly sym: Int32Array;
  private readonly off: Float64Array;
  private readonly fns: number;
  private readonly nsyms: number;
  private slide = 0;

  private constructor(
    module: WebAssembly.Module,
    private readonly resolver: Resolver,
    memory: WebAssembly.Memory,
  ) {
    const table = resolver.table!;
    const n = table.addrs.length;
    const fns = ADDRS + n * 8;
    const inst = new WebAssembly.Instance(module, {
      env: {
        memory,
        abort: () => {
          throw new Error('resolve.wasm aborted');
        },
      },
    });
    this.ex = inst.exports as unknown as Exports;
    const b = memory.buffer;
    this.u8 = new Uint8Array(b);
    this.hi = new Uint32Array(b, HI, CAP);
    this.lo = new Uint32Array(b, LO, CAP);
    this.sym = new Int32Array(b, SYM, CAP);
    this.off = new Float64Array(b, OFF, CAP);
    new Float64Array(b, ADDRS, n).set(table.addrs);
    new Int32Array(b, fns, n).set(table.fnAt);
    this.fns = fns;
    this.nsyms = n;
  }

  /**
   * A fast resolver for `resolver`'s table, or null (no table, no module, BOOTPROF_NO_WASM=1, no wasm
   * memory to be had: wasm/load.ts). Its memory never grows: `maximum` is its size.
   */
  static create(resolver: Resolver): FastResolver | null {
    if (!resolver.table || resolver.table.addrs.length === 0) return null;
    const m = wasmModule('resolve');
    if (!m) return null;
    const n = resolver.table.addrs.length;
    const pages = Math.ceil((ADDRS + n * 8 + n * 4 + 16) / PAGE);
    const memory = wasmMemory(pages, pages);
    return memory ? new FastResolver(m, resolver, memory) : null;
  }

  /** Static codes and offsets for every event of the batch; sets kernelEvents / kernelResolved. */
  codes(batch: EventBatch): void {
    const r = this.resolver;
    if (r.slide !== this.slide) {
      this.u8.fill(0, CACHE, CACHE + CACHE_ENTRIES * CACHE_ENTRY); // cached codes were for another slide
      this.slide = r.slide;
    }
    let k = 0;
    let ok = 0;
    for (let at = 0; at < batch.length; at += CAP) {
      const n = Math.min(CAP, batch.length - at);
      this.hi.set(batch.pcHi.subarray(at, at + n));
      this.lo.set(batch.pcLo.subarray(at, at + n));
      ok += this.ex.resolve(
        n,
        HI,
        LO,
        SYM,
        OFF,
        CACHE,
        CACHE_ENTRIES - 1,
        ADDRS,
        this.fns,
        this.nsyms,
        r.slide,
        r.physDelta,
        r.text0,
        r.text1,
        r.init0,
        r.init1,
        r.k32,
      );
      k += this.ex.getKernelEvents();
      batch.sym.set(this.sym.subarray(0, n), at);
      batch.off.set(this.off.subarray(0, n), at);
    }
    batch.kernelEvents = k;
    batch.kernelResolved = ok;
    batch.finalizeEnd = -1;
  }
}
