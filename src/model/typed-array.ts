/** Typed-array helpers the column stores share. */

export type NumericArray = Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/** A copy of `a` in a new array of the same type with `len` (>= a.length) elements, the rest set to `fill`. */
export function resized<T extends NumericArray>(a: T, len: number, fill = 0): T {
  const b = new (a.constructor as new (n: number) => T)(len);
  if (fill !== 0) b.fill(fill);
  b.set(a);
  return b;
}

/** Index of the last element <= key in the ascending array `a`, or -1 when none (a binary search). */
export function lastAtOrBelow(a: Float64Array, key: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
