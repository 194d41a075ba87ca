import { describe, expect, it } from 'vitest';
import { DecimalReader, isBlankLine, isExecTbName, lineEnd, readHex } from '../src/formats/text-common.js';

const bytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

describe('text-common readers', () => {
  it('readHex: 1 to 16 digits into exact halves at the given row, the index after them; else -1 and nothing stored', () => {
    const hi = new Uint32Array(3).fill(7);
    const lo = new Uint32Array(3).fill(7);
    expect(readHex(bytes('ffffffff810000d3\n'), 0, hi, lo, 1)).toBe(16);
    expect([hi[1], lo[1]]).toEqual([0xffffffff, 0x810000d3]);
    expect(readHex(bytes('x=A0 '), 2, hi, lo, 2)).toBe(4);
    expect([hi[2], lo[2]]).toEqual([0, 0xa0]);
    expect(readHex(bytes('12345678123456789\n'), 0, hi, lo, 0)).toBe(-1); // 17 digits
    expect(readHex(bytes('g\n'), 0, hi, lo, 0)).toBe(-1);
    expect([hi[0], lo[0]]).toEqual([7, 7]);
  });

  it('DecimalReader: digits up to a maximum count, the index after them', () => {
    const d = new DecimalReader();
    expect(d.read(bytes('4415@'), 0, 15)).toBe(4);
    expect(d.value).toBe(4415);
    expect(d.read(bytes('1234567890:'), 0, 9)).toBe(-1);
    expect(d.read(bytes(':'), 0, 9)).toBe(-1);
    expect(d.read(bytes('+ 12 in'), 2, Infinity)).toBe(4);
    expect(d.value).toBe(12);
  });

  it('isExecTbName: exec_tb and exec_tb_nocache exactly', () => {
    const names = bytes('exec_tb exec_tb_nocache exec_tb_exit exec_t');
    expect(isExecTbName(names, 0, 7)).toBe(true);
    expect(isExecTbName(names, 8, 23)).toBe(true);
    expect(isExecTbName(names, 24, 36)).toBe(false);
    expect(isExecTbName(names, 37, 43)).toBe(false);
  });

  it('lineEnd and isBlankLine', () => {
    const b = bytes(' \t\r\nx \n');
    expect(lineEnd(b, 0)).toBe(3);
    expect(isBlankLine(b, 0, 3)).toBe(true);
    expect(lineEnd(b, 4)).toBe(6);
    expect(isBlankLine(b, 4, 6)).toBe(false);
  });
});
