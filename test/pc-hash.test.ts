import { describe, expect, it } from 'vitest';
import { PcHashMap } from '../src/model/pc-hash.js';

/** Deterministic pcs: kernel-half, low, and ones that share their low half. */
function pcs(n: number, seed = 1): [number, number][] {
  let x = seed;
  const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const r = next();
    if (r % 3 === 0) out.push([0xffffffff, 0x81000000 + (next() % 5000) * 16]);
    else if (r % 3 === 1) out.push([0, next() % 3000]);
    else out.push([next() % 4, 0x1000]);
  }
  return out;
}

describe('PcHashMap', () => {
  it('a growing table holds exactly the distinct pcs, doubling when more than half full', () => {
    const set = new PcHashMap(2, false);
    const ref = new Set<string>();
    for (const [hi, lo] of pcs(20000)) {
      const key = `${hi}:${lo}`;
      expect(set.add(hi, lo)).toBe(!ref.has(key));
      ref.add(key);
      expect(set.size).toBe(ref.size);
      expect(set.size * 2).toBeLessThanOrEqual(set.slots);
    }
    for (const [hi, lo] of pcs(2000, 7)) expect(set.has(hi, lo)).toBe(ref.has(`${hi}:${lo}`));
    const walked: string[] = [];
    set.forEach((hi, lo) => walked.push(`${hi}:${lo}`));
    expect(walked.sort()).toEqual([...ref].sort());
    expect(set.bytes).toBe(set.slots * 12);
    expect(set.clears).toBe(0);
  });

  it('a growing table keeps values when it grows', () => {
    const map = new PcHashMap(2, false);
    for (let i = 0; i < 1000; i++) expect(map.add(i & 7, i * 977, i)).toBe(true);
    expect(map.add(3, 3 * 977, 99)).toBe(false); // held: its value stays
    for (let i = 0; i < 1000; i++) expect(map.get(i & 7, i * 977)).toBe(i);
    expect(map.get(8, 0)).toBe(-1);
    let sum = 0;
    map.forEach((_hi, _lo, v) => (sum += v));
    expect(sum).toBe((999 * 1000) / 2);
  });

  it('a bounded table keeps its slots and arrays and is emptied when 3/4 full', () => {
    const set = new PcHashMap(4, true);
    const arrays = [set.hi, set.lo, set.val];
    for (let lo = 0; lo < 12; lo++) expect(set.add(0, lo)).toBe(true);
    expect(set.size).toBe(12);
    expect(set.clears).toBe(0);
    expect(set.has(0, 11)).toBe(true);
    expect(set.add(0, 12)).toBe(true); // full: emptied first, then holds just this one
    expect(set.clears).toBe(1);
    expect(set.size).toBe(1);
    expect(set.has(0, 12)).toBe(true);
    expect(set.has(0, 11)).toBe(false);
    expect(set.slots).toBe(16);
    expect([set.hi, set.lo, set.val]).toEqual(arrays);
    expect(set.hi === arrays[0] && set.val === arrays[2]).toBe(true);
  });

  it('find and insert: a value kept by slot goes with its pc until the table is emptied', () => {
    const map = new PcHashMap(10, true);
    const extra = new Float64Array(map.slots);
    const expected = new Map<string, number>();
    let k = 0;
    for (const [hi, lo] of pcs(5000, 3)) {
      const key = `${hi}:${lo}`;
      const s = map.find(hi, lo);
      if (s >= 0) {
        expect(map.val[s]).toBe(expected.get(key));
        expect(extra[s]).toBe(expected.get(key)! / 2);
        continue;
      }
      expect(map.get(hi, lo)).toBe(-1);
      const before = map.clears;
      const at = map.insert(hi, lo, s, ++k);
      if (map.clears !== before) expected.clear();
      extra[at] = k / 2;
      expected.set(key, k);
      expect(map.find(hi, lo)).toBe(at);
    }
    expect(map.clears).toBeGreaterThan(0);
  });

  it('the slot walk from home() by (slot + 1) & mask finds what find() finds', () => {
    const map = new PcHashMap(6, true);
    for (const [hi, lo] of pcs(40, 5)) map.add(hi, lo, lo & 0xff);
    for (const [hi, lo] of pcs(200, 5)) {
      let s = map.home(hi, lo);
      while (map.val[s] >= 0 && !(map.hi[s] === hi && map.lo[s] === lo)) s = (s + 1) & map.mask;
      expect(map.val[s] >= 0 ? s : ~s).toBe(map.find(hi, lo));
    }
  });
});
