/**
 * Addresses as exact doubles. A 64-bit address is read as a signed 64-bit integer: kernel-half
 * addresses (0xffff8000_00000000 and up) become small negative numbers, low ones stay positive, and
 * every canonical x86-64 (and 52-bit arm64) address has |value| < 2^53, so it is exact in a double and
 * keeps its order. Values outside that range are not exact and are never looked up.
 */
export const TWO32 = 4294967296;

/** hi:lo as a signed 64-bit value; NaN when it would not be exact. */
export function addressKey(hi: number, lo: number): number {
  if (hi >= 0x80000000) {
    const h = hi - TWO32; // negative, -2^31..-1
    if (h < -0x200000) return NaN;
    return h * TWO32 + lo;
  }
  if (hi >= 0x200000) return NaN;
  return hi * TWO32 + lo;
}

/** Parses up to 16 hex digits of s (no 0x) into an address key; NaN when malformed or not exact. */
export function parseHexKey(s: string): number {
  const n = s.length;
  if (n === 0 || n > 16) return NaN;
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return NaN;
    hi = ((hi << 4) | (lo >>> 28)) >>> 0;
    lo = ((lo << 4) | d) >>> 0;
  }
  return addressKey(hi, lo);
}

/** Kernel half of the x86-64 address space: pc >= 0xffff800000000000. */
export const KERNEL_HALF_HI = 0xffff8000;
