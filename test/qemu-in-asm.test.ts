/** The translation-record reader on records as QEMU 7.2 (capstone) writes them, and on the other shapes it may. */
import { describe, expect, it } from 'vitest';
import {
  KIND_CALL,
  KIND_COND,
  KIND_INDIRECT,
  KIND_IRET,
  KIND_JMP,
  KIND_OTHER,
  KIND_RET,
  KIND_SYSCALL,
  KIND_TRAP,
  NO_COUNT,
  TranslationRecordReader,
  directTarget,
  mnemonicKind,
  type TranslationRecord,
} from '../src/formats/qemu-in-asm.js';

/** Feeds `text` line by line (each line a slice of one buffer, as the parser hands them). */
function read(text: string): { records: TranslationRecord[]; consumed: boolean[]; reader: TranslationRecordReader } {
  const records: TranslationRecord[] = [];
  const reader = new TranslationRecordReader((r) => records.push(r));
  const buf = Buffer.from(text, 'latin1');
  const consumed: boolean[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    consumed.push(reader.line(buf, pos, nl));
    pos = nl + 1;
  }
  return { records, consumed, reader };
}

const hex = (hi: number, lo: number): string => '0x' + ((BigInt(hi) << 32n) | BigInt(lo)).toString(16);

describe('translation records', () => {
  it('a kernel block ending in a direct call: pc, count, size, kind and target (real record)', () => {
    const { records, consumed } = read(
      [
        '----------------',
        'IN: ',
        '0xffffffff810000f9:  48 8b 25 28 9a bf 01     movq     0x1bf9a28(%rip), %rsp',
        '0xffffffff81000100:  56                       pushq    %rsi',
        '0xffffffff81000101:  e8 da 1a 00 00           callq    0xffffffff81001be0',
        '',
        '',
      ].join('\n'),
    );
    expect(consumed).toEqual([true, true, true, true, true, true]);
    expect(records).toHaveLength(1);
    const r = records[0];
    expect([hex(r.pcHi, r.pcLo), r.insns, r.size, r.kind, hex(r.targetHi, r.targetLo)]).toEqual(['0xffffffff810000f9', 3, 13, KIND_CALL, '0xffffffff81001be0']);
  });

  it('continuation lines are bytes of the instruction before them, not instructions', () => {
    const { records } = read(
      [
        '----------------',
        'IN: ',
        '0xffffffff81001bf8:  48 c7 05 1f 84 a1 01 00  movq     $-0x7d5fc000, 0x1a1841f(%rip)',
        '0xffffffff81001c00:  40 a0 82',
        '0xffffffff81001c03:  0f 01 1d 16 84 a1 01     lidtq    0x1a18416(%rip)',
        '0xffffffff81001c0a:  e9 e1 02 e0 00           jmp      0xffffffff81e01ef0',
        '',
        '',
      ].join('\n'),
    );
    const r = records[0];
    expect([r.insns, r.size, r.kind, hex(r.targetHi, r.targetLo)]).toEqual([3, 0x17, KIND_JMP, '0xffffffff81e01ef0']);
    // a continuation after the last instruction counts toward the size
    const tail = read(['----------------', 'IN: ', '0x00001000:  48 c7 44 24 08 00 00 00  movq     $0, 8(%rsp)', '0x00001008:  00', '', ''].join('\n'))
      .records[0];
    expect([tail.insns, tail.size, tail.kind]).toEqual([1, 9, KIND_OTHER]);
  });

  it('returns, indirect branches and 16-bit targets have no known target', () => {
    const one = (line: string) => read(['----------------', 'IN: ', line, '', ''].join('\n')).records[0];
    expect(one('0xffffffff81e01ef0:  c3                       retq     ').kind).toBe(KIND_RET | KIND_INDIRECT);
    expect(one('0xffffffff81e01ef0:  ff e0                    jmpq     *%rax').kind).toBe(KIND_JMP | KIND_INDIRECT);
    expect(one('0xffffffff81e01ef0:  ff d0                    callq    *%rax').kind).toBe(KIND_CALL | KIND_INDIRECT);
    // real mode: capstone prints the IP, not the linear address
    expect(one('0x000fe062:  0f 85 36 f0              jne      0xd09c').kind).toBe(KIND_COND | KIND_INDIRECT);
    const pm = one('0x000fec40:  e9 92 0b 00 00           jmp      0x000fe7d7');
    expect([pm.kind, hex(pm.targetHi, pm.targetLo)]).toEqual([KIND_JMP, '0xfe7d7']);
    expect(one('0x000fe070:  f3 a4                    rep movsb (%esi), %es:(%edi)').kind).toBe(KIND_OTHER);
    expect(one('0xffffffff81000b5f:  48 cf                    iretq    ').kind).toBe(KIND_IRET);
    expect(one('0x7f00aa001000:  0f 05                    syscall  ').kind).toBe(KIND_SYSCALL);
    expect(one('0xffffffff81000b5f:  0f 0b                    ud2      ').kind).toBe(KIND_TRAP);
  });

  it('other targets: arm64 words, riscv, a symbol after IN:, an OBJD-T dump without instructions', () => {
    const arm = read(
      ['----------------', 'IN: start', '0xffff800010000000:  d503201f  nop      ', '0xffff800010000004:  94000010  bl       #0xffff800010000044', '', ''].join(
        '\n',
      ),
    ).records[0];
    expect([arm.insns, arm.size, arm.kind, hex(arm.targetHi, arm.targetLo)]).toEqual([2, 8, KIND_CALL, '0xffff800010000044']);
    const rv = read(
      [
        '----------------',
        'IN: ',
        'Priv: 1; Virt: 0',
        '0x0000000080200000:  00050433          mv              s0,a0',
        '0x0000000080200004:  0080006f          j               8                       # 0x8020000c',
        '',
        '',
      ].join('\n'),
    ).records[0];
    expect([rv.insns, rv.size, rv.kind, hex(rv.targetHi, rv.targetLo)]).toEqual([2, 8, KIND_JMP, '0x8020000c']);
    const dump = read(['----------------', 'IN: ', '0x00000000000fe05b:  ', 'OBJD-T: 2e66833ec861000f8536f0', '', ''].join('\n')).records[0];
    expect(dump.insns).toBe(NO_COUNT);
  });

  it('lines outside a record are not taken; a record cut by another separator is dropped and counted', () => {
    const { records, consumed, reader } = read(
      [
        'hello',
        '----------------',
        'IN: ',
        '0x00001000:  90                       nop      ',
        '----------------',
        'IN: ',
        '0x00002000:  c3  retq     ',
        '',
        'after',
        '',
      ].join('\n'),
    );
    expect(consumed).toEqual([false, true, true, true, true, true, true, true, false]);
    expect(records.map((r) => r.pcLo)).toEqual([0x2000]);
    expect(reader.unreadable).toBe(1);
  });

  it('classifies mnemonics of x86 (capstone AT&T), arm64 and riscv', () => {
    const k = (m: string, ops = ''): number => mnemonicKind(m, ops);
    expect(['callq', 'calll', 'callw', 'lcalll', 'bl', 'blr'].map((m) => k(m))).toEqual(Array(6).fill(KIND_CALL));
    expect(['retq', 'retl', 'lretq', 'ret'].map((m) => k(m))).toEqual(Array(4).fill(KIND_RET));
    expect(['jmp', 'jmpq', 'ljmpl', 'b', 'br', 'j', 'jr'].map((m) => k(m))).toEqual(Array(7).fill(KIND_JMP));
    expect(['je', 'jne', 'jae', 'jrcxz', 'loop', 'loopne', 'b.eq', 'cbz', 'tbnz', 'beq', 'bnez'].map((m) => k(m))).toEqual(Array(11).fill(KIND_COND));
    expect([k('jal', 'ra,-44'), k('jalr', 'ra,a5,0'), k('jal', 'zero,8'), k('jalr', 'zero,ra,0')]).toEqual([KIND_CALL, KIND_CALL, KIND_JMP, KIND_JMP]);
    expect(['movq', 'pause', 'wrmsr', 'nop'].map((m) => k(m))).toEqual(Array(4).fill(KIND_OTHER));
    expect(directTarget('*0x8(%rax)')).toBeNull();
    expect(directTarget('$0xf000:$0xe05b')).toBeNull();
  });
});
