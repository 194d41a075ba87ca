import { describe, expect, it } from 'vitest';
import { EventBatch } from '../src/model/batch.js';

describe('EventBatch copies', () => {
  const batch = (): EventBatch => {
    const b = new EventBatch(8);
    for (let i = 0; i < 5; i++) {
      b.time[i] = 1000 + i;
      b.thread[i] = i % 2;
      b.pcHi[i] = 0xffffffff;
      b.pcLo[i] = 0x81000000 + i;
      b.sym[i] = 7 + i;
      b.off[i] = i;
      b.tbHi[i] = 0x7f00;
      b.tbLo[i] = 0x1000 + i;
      b.xlat[i] = i;
      b.insns[i] = 3 * i;
    }
    b.length = 5;
    return b;
  };

  it('copy() keeps every column; copy(omit) leaves the omitted ones empty until restore()', () => {
    const full = batch().copy();
    expect(full.capacity).toBe(5);
    expect([...full.sym]).toEqual([7, 8, 9, 10, 11]);
    expect([...full.tbLo]).toEqual([0x1000, 0x1001, 0x1002, 0x1003, 0x1004]);

    const held = batch().copy(['tbHi', 'tbLo', 'sym', 'off']);
    expect(held.length).toBe(5);
    expect(held.sym.length).toBe(0);
    expect(held.tbHi.length).toBe(0);
    expect([...held.time]).toEqual([1000, 1001, 1002, 1003, 1004]);
    expect([...held.pcLo]).toEqual([...full.pcLo]);
    expect([...held.insns]).toEqual([0, 3, 6, 9, 12]);
    held.restore();
    expect([...held.sym]).toEqual([0, 0, 0, 0, 0]);
    expect([...held.off]).toEqual([0, 0, 0, 0, 0]);
    expect(held.tbHi.length).toBe(5);
    expect([...held.time]).toEqual([...full.time]);
  });
});
