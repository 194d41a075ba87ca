// AssemblyScript: the symbol stage's static codes for a batch of pcs (src/symbols/resolver-fast.ts).
// It computes exactly what Resolver.code() computes in JS (src/symbols/resolver.ts), with a
// direct-mapped cache of kernel pcs, so the results never depend on the cache:
//  - kernel half (pc >= 0xffff8000_00000000, or for a 32-bit kernel's map k32 <= pc < 0xfffc0000):
//    the function at the greatest symbol address <= pc - slide
//    when a text symbol stands there, else [unknown]; [kernel] when no table is loaded;
//  - non-canonical high pcs: [unknown];
//  - low pcs: LOW_FLAG | ([firmware] for the BIOS ranges, else the physically-addressed kernel
//    function when pc + physDelta falls in the kernel's text, else [boot]).
// Addresses are compared as the same exact doubles as in JS (src/symbols/address.ts).
// Beside each code it writes the pc's offset into its function (f64, exact), or -1 for a region.

const FIRMWARE: i32 = 0;
const BOOT: i32 = 1;
const UNKNOWN: i32 = 3;
const KERNEL: i32 = 4;
const FIRST_FUNCTION: i32 = 5;
const LOW_FLAG: i32 = 1 << 30;
const TWO32: f64 = 4294967296.0;

let kernelEvents: i32 = 0;

export function getKernelEvents(): i32 {
  return kernelEvents;
}

const NO_OFFSET: f64 = -1.0;

// @ts-ignore: decorator
@inline
function indexOf(addrs: usize, n: i32, key: f64): i32 {
  let lo: i32 = 0;
  let hi: i32 = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<f64>(addrs + (<usize>mid << 3)) <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Fills sym[0, n) and off[0, n) from hi/lo; returns how many kernel-half pcs resolved to a function. */
export function resolve(
  n: i32,
  hiP: usize,
  loP: usize,
  symP: usize,
  offP: usize,
  cacheP: usize,
  cacheMask: u32,
  addrs: usize,
  fns: usize,
  nsyms: i32,
  slide: f64,
  physDelta: f64,
  text0: f64,
  text1: f64,
  init0: f64,
  init1: f64,
  k32: f64,
): i32 {
  let k: i32 = 0;
  let ok: i32 = 0;
  const hasTable = nsyms > 0;
  for (let i: i32 = 0; i < n; i++) {
    const off = <usize>i << 2;
    const hi = load<u32>(hiP + off);
    const lo = load<u32>(loP + off);
    let code: i32;
    let fnOff: f64 = NO_OFFSET;
    // (k32 is NaN for a 64-bit kernel's map: the comparison is then false)
    if (hi >= 0xffff8000 || (hi == 0 && f64(lo) >= k32 && lo < 0xfffc0000)) {
      k++;
      if (!hasTable) {
        code = KERNEL;
      } else {
        // cache entry: hi u32, lo u32, code i32 (+1: 0 = empty), 4 unused, offset f64: 24 of 32 bytes
        const slot = cacheP + (<usize>((((lo ^ (hi * 0x85ebca6b)) * 0x9e3779b1) >>> 12) & cacheMask) << 5);
        const c = load<i32>(slot, 8);
        if (c != 0 && load<u32>(slot) == hi && load<u32>(slot, 4) == lo) {
          code = c - 1;
          fnOff = load<f64>(slot, 16);
        } else {
          const key = (hi >= 0x80000000 ? (f64(hi) - TWO32) * TWO32 : 0.0) + f64(lo) - slide;
          const at = indexOf(addrs, nsyms, key);
          const fn = at >= 0 ? load<i32>(fns + (<usize>at << 2)) : -1;
          code = fn >= 0 ? fn : UNKNOWN;
          if (fn >= 0) fnOff = key - load<f64>(addrs + (<usize>at << 3));
          store<u32>(slot, hi);
          store<u32>(slot, lo, 4);
          store<i32>(slot, code + 1, 8);
          store<f64>(slot, fnOff, 16);
        }
      }
      if (code >= FIRST_FUNCTION) ok++;
    } else if (hi >= 0x80000000) {
      code = UNKNOWN;
    } else {
      if (hi == 0 && ((lo >= 0xc0000 && lo <= 0xfffff) || lo >= 0xfffc0000)) {
        code = FIRMWARE;
      } else {
        code = BOOT;
        if (hasTable && hi < 0x200000) {
          const v = f64(hi) * TWO32 + f64(lo) + physDelta;
          if ((v >= text0 && v < text1) || (v >= init0 && v < init1)) {
            const at = indexOf(addrs, nsyms, v);
            const fn = at >= 0 ? load<i32>(fns + (<usize>at << 2)) : -1;
            if (fn >= FIRST_FUNCTION) {
              code = fn;
              fnOff = v - load<f64>(addrs + (<usize>at << 3));
            }
          }
        }
      }
      code |= LOW_FLAG;
    }
    store<i32>(symP + off, code);
    store<f64>(offP + (<usize>i << 3), fnOff);
  }
  kernelEvents = k;
  return ok;
}
