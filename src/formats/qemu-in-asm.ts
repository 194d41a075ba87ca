/**
 * QEMU's `-d in_asm` translation records, as they appear between the exec_tb lines of a `-D` log:
 *
 *   ----------------
 *   IN: [symbol]
 *   0x000fe05b:  2e 66 83 3e c8 61 00     cmpl     $0, %cs:0x61c8
 *   0x000fe062:  0f 85 36 f0              jne      0xd09c
 *   (blank line)
 *
 * QEMU prints one when it translates a block, just before the block's first execution (accel/tcg
 * translator_loop, under the log lock: no other line is ever inside one). An instruction line is the
 * address (`0x%08` PRIx64, so 8 to 16 digits), a colon, the instruction's bytes in units (x86: ` %02x`
 * each, at most 8 on the line; arm64: one ` %08x` word), padding, two spaces, the mnemonic (prefixes such
 * as `rep` or `lock` are part of it) and the operands. An x86 instruction longer than 8 bytes continues on
 * a line that holds only the address and the remaining bytes: not an instruction. A QEMU without a
 * disassembler prints an `OBJD-T:` hex dump instead, from which no count can be had; `IN:` may name a
 * symbol (QEMU's own ELF loader), riscv adds a `Priv:` line. docs/FORMATS.md has the sources.
 *
 * The reader takes a record's lines one at a time (bytes, no string per line except the last
 * instruction's mnemonic, once per record) and reports each complete record: its first pc, instruction
 * count, size in bytes, the kind of its last instruction and, for a direct branch or call, the target.
 */

const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;
const DASH = 0x2d;
const COLON = 0x3a;
const ZERO = 0x30;
const LOWER_X = 0x78;
const HASH = 0x23;

/** Kinds of a block's last instruction (what control does after the block). */
export const KIND_OTHER = 0; // no branch: the block ended at a page, an instruction limit or a state change; next is the fall-through
export const KIND_CALL = 1;
export const KIND_RET = 2;
export const KIND_JMP = 3;
export const KIND_COND = 4; // conditional branch: the fall-through or the target
export const KIND_SYSCALL = 5; // syscall, sysenter, svc, ecall: into the kernel
export const KIND_IRET = 6; // iret, sysret, sysexit, eret, mret/sret: back to the interrupted or calling context
export const KIND_TRAP = 7; // int N, int3, ud2, hlt, brk: an exception or a stop
/** Names of the kinds, for output (`kind` columns and docs). */
export const KIND_NAMES = ['other', 'call', 'ret', 'jmp', 'cond', 'syscall', 'iret', 'trap'] as const;
/** Set on a kind when the branch target is not known (an indirect branch, or a 16-bit IP target). */
export const KIND_INDIRECT = 0x10;
/** The record's instructions are unknown (an OBJD-T dump): no count. */
export const NO_COUNT = -1;

/** A complete record. `insns` is NO_COUNT for a dump without instruction lines. */
export interface TranslationRecord {
  pcHi: number;
  pcLo: number;
  insns: number;
  /** Bytes from the first pc to the end of the last instruction: the fall-through is pc + size. */
  size: number;
  /** KIND_* of the last instruction, with KIND_INDIRECT when its target is not known. */
  kind: number;
  targetHi: number;
  targetLo: number;
}

/** Hex digit value, or -1. */
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[0x61 + c] = 10 + c;
  HEX[0x41 + c] = 10 + c;
}

const PREFIXES = new Set(['rep', 'repe', 'repz', 'repne', 'repnz', 'lock', 'bnd', 'notrack', 'data16', 'addr32', 'xacquire', 'xrelease']);

/**
 * The kind of an instruction from its mnemonic (prefix words dropped): x86 in capstone's AT&T spelling
 * (callq, retq, jne, iretq, ...), arm64 (bl, blr, ret, b, br, b.eq, cbz, eret, svc) and riscv (jal,
 * jalr, j, jr, ret, beq, ecall, mret) as QEMU prints them. `ops` tells riscv's jal/jalr calls (a link
 * register) from plain jumps.
 */
export function mnemonicKind(mnemonic: string, ops = ''): number {
  switch (mnemonic) {
    case 'call':
    case 'callw':
    case 'calll':
    case 'callq':
    case 'lcall':
    case 'lcallw':
    case 'lcalll':
    case 'lcallq':
    case 'bl':
    case 'blr':
      return KIND_CALL;
    case 'ret':
    case 'retw':
    case 'retl':
    case 'retq':
    case 'lret':
    case 'lretw':
    case 'lretl':
    case 'lretq':
      return KIND_RET;
    case 'jmp':
    case 'jmpw':
    case 'jmpl':
    case 'jmpq':
    case 'ljmp':
    case 'ljmpw':
    case 'ljmpl':
    case 'ljmpq':
    case 'b':
    case 'br':
    case 'j':
    case 'jr':
      return KIND_JMP;
    case 'jal':
    case 'jalr':
      // riscv: a jump that links (ra or t0) is a call; `jal zero,...` a jump
      return /^(ra|x1|t0|x5)\b/.test(ops) || (mnemonic === 'jal' && !ops.includes(',')) ? KIND_CALL : KIND_JMP;
    case 'iret':
    case 'iretw':
    case 'iretl':
    case 'iretq':
    case 'iretd':
    case 'sysret':
    case 'sysretl':
    case 'sysretq':
    case 'sysexit':
    case 'sysexitl':
    case 'sysexitq':
    case 'rsm':
    case 'eret':
    case 'mret':
    case 'sret':
    case 'uret':
    case 'dret':
      return KIND_IRET;
    case 'syscall':
    case 'sysenter':
    case 'svc':
    case 'hvc':
    case 'smc':
    case 'ecall':
    case 'vmcall':
    case 'vmmcall':
      return KIND_SYSCALL;
    case 'int':
    case 'int1':
    case 'int3':
    case 'into':
    case 'ud0':
    case 'ud1':
    case 'ud2':
    case 'hlt':
    case 'brk':
    case 'udf':
    case 'ebreak':
      return KIND_TRAP;
  }
  if (/^j(o|no|b|nae|c|ae|nb|nc|e|z|ne|nz|be|na|a|nbe|s|ns|p|pe|np|po|l|nge|ge|nl|le|ng|g|nle|cxz|ecxz|rcxz)$/.test(mnemonic)) return KIND_COND;
  if (/^loop(e|ne|z|nz)?[wlq]?$/.test(mnemonic)) return KIND_COND;
  if (/^(b\.[a-z]{2}|cbn?z|tbn?z|beq|bne|blt|bge|bltu|bgeu|beqz|bnez|blez|bgez|bltz|bgtz|ble|bleu|bgt|bgtu)$/.test(mnemonic)) return KIND_COND;
  return KIND_OTHER;
}

/** Does the line [start, nl) hold exactly the record separator, 16 dashes (a CR before the newline allowed)? */
export function isRecordSeparator(buf: Uint8Array, start: number, nl: number): boolean {
  let end = nl;
  if (end > start && buf[end - 1] === CR) end--;
  if (end - start !== 16) return false;
  for (let i = start; i < end; i++) if (buf[i] !== DASH) return false;
  return true;
}

/** Reads the lines of translation records. */
export class TranslationRecordReader {
  /** Between a separator and the blank line that ends its record. */
  inRecord = false;
  /** Records completed, and record lines that were not understood (counted apart, not malformed). */
  records = 0;
  unreadable = 0;
  private insns = 0;
  private dump = false;
  private firstHi = 0;
  private firstLo = 0;
  private haveFirst = false;
  /** The last instruction line: its address, bytes, and where its mnemonic text is in the line. */
  private lastHi = 0;
  private lastLo = 0;
  private lastBytes = 0;
  private lastText = '';

  constructor(private readonly onRecord: (r: TranslationRecord) => void) {}

  /**
   * Takes the line [start, nl) (nl: its newline) that is not an exec_tb event. Returns true when the line
   * belongs to a translation record (the separator, or any line until the blank line that ends one).
   */
  line(buf: Uint8Array, start: number, nl: number): boolean {
    if (!this.inRecord) {
      if (!isRecordSeparator(buf, start, nl)) return false;
      this.begin();
      return true;
    }
    let end = nl;
    while (end > start && (buf[end - 1] === CR || buf[end - 1] === SP || buf[end - 1] === TAB)) end--;
    if (end === start) {
      this.end();
      return true;
    }
    if (buf[start] === ZERO && buf[start + 1] === LOWER_X) this.instruction(buf, start, end);
    else if (isRecordSeparator(buf, start, nl)) {
      // a separator before the blank line: the previous record was cut (it is dropped)
      this.unreadable++;
      this.begin();
    } else if (buf[start] === 0x4f && buf[start + 1] === 0x42 && buf[start + 2] === 0x4a && buf[start + 3] === 0x44) {
      this.dump = true; // "OBJD-T: ..." (or OBJD-H): no instruction list
    }
    // "IN: [symbol]", "Priv: ...", capstone's "Disassembler disagrees ..." notes: part of the record
    return true;
  }

  /** Ends a record cut short by the end of the input (it is dropped). */
  abandon(): void {
    if (this.inRecord) this.unreadable++;
    this.inRecord = false;
  }

  private begin(): void {
    this.inRecord = true;
    this.insns = 0;
    this.dump = false;
    this.haveFirst = false;
    this.lastBytes = 0;
    this.lastText = '';
  }

  /** `0xADDR:` then byte units, then (not on a continuation line) two spaces and the instruction text. */
  private instruction(buf: Uint8Array, start: number, end: number): void {
    let i = start + 2;
    let hi = 0;
    let lo = 0;
    let nd = 0;
    let d = HEX[buf[i]];
    while (d >= 0) {
      hi = ((hi << 4) | (lo >>> 28)) >>> 0;
      lo = ((lo << 4) | d) >>> 0;
      nd++;
      d = HEX[buf[++i]];
    }
    if (nd === 0 || nd > 16 || buf[i] !== COLON) {
      this.unreadable++;
      return;
    }
    i++; // the colon
    if (buf[i] === SP) i++; // ": " (cap_dump_insn's "0x%08" PRIx64 ": ")
    // byte units: " hh" (x86), " hhhh" (thumb), " hhhhhhhh" (arm64 words); the text starts after two spaces
    let bytes = 0;
    while (i < end && buf[i] === SP && HEX[buf[i + 1]] >= 0) {
      let j = i + 1;
      while (j < end && HEX[buf[j]] >= 0) j++;
      if (j < end && buf[j] !== SP) break; // "0x12:  .byte" or text glued to digits: not a unit
      bytes += (j - i - 1) >> 1;
      i = j;
    }
    while (i < end && buf[i] === SP) i++;
    if (i >= end) {
      // no text: a continuation of the previous instruction's bytes, or the address line of a dump
      if (this.insns > 0 && bytes > 0) this.lastBytes += bytes;
      else if (this.insns === 0 && bytes === 0 && !this.haveFirst) {
        this.firstHi = hi;
        this.firstLo = lo;
        this.haveFirst = true;
      }
      return;
    }
    if (!this.haveFirst) {
      this.firstHi = hi;
      this.firstLo = lo;
      this.haveFirst = true;
    }
    this.insns++;
    this.lastHi = hi;
    this.lastLo = lo;
    this.lastBytes = bytes;
    this.lastText = Buffer.from(buf.buffer, buf.byteOffset + i, end - i).toString('latin1');
  }

  private end(): void {
    this.inRecord = false;
    if (!this.haveFirst) {
      this.unreadable++;
      return;
    }
    this.records++;
    // the size: from the first pc to the end of the last instruction (both exact: two 32-bit halves)
    const endLo = this.lastLo + this.lastBytes;
    const endHi = this.lastHi + (endLo >= 4294967296 ? 1 : 0);
    const size = this.insns > 0 ? (endHi - this.firstHi) * 4294967296 + ((endLo >>> 0) - this.firstLo) : 0;
    const words = this.lastText.split(/\s+/);
    let w = 0;
    while (w < words.length - 1 && PREFIXES.has(words[w])) w++;
    const mnemonic = words[w];
    const ops = words.slice(w + 1).join(' ');
    let kind = mnemonicKind(mnemonic, ops);
    let targetHi = 0;
    let targetLo = 0;
    if (kind === KIND_CALL || kind === KIND_JMP || kind === KIND_COND) {
      const t = directTarget(ops);
      // a 16-bit target is an IP, not a linear address (real mode): unknown
      if (t === null || (t[0] === 0 && t[1] < 0x10000 && (this.lastHi !== 0 || this.lastLo >= 0x10000))) kind |= KIND_INDIRECT;
      else [targetHi, targetLo] = t;
    } else if (kind === KIND_RET) kind |= KIND_INDIRECT;
    this.onRecord({
      pcHi: this.firstHi,
      pcLo: this.firstLo,
      insns: this.dump && this.insns === 0 ? NO_COUNT : this.insns,
      size: size > 0 && size < 1 << 20 ? size : 0,
      kind,
      targetHi,
      targetLo,
    });
  }
}

/**
 * The target of a direct branch from its operands: `0xffffffff81001be0` (x86), `#0x...` (arm64),
 * `...# 0x...` (riscv's comment); null for an indirect one (`*%rax`, a register, `$sel:$off`).
 */
export function directTarget(ops: string): [number, number] | null {
  let s = ops.trim();
  const hash = s.lastIndexOf('# 0x');
  if (hash >= 0) s = s.slice(hash + 2);
  else if (s.charCodeAt(0) === HASH) s = s.slice(1);
  else if (s.includes(',')) s = s.slice(s.lastIndexOf(',') + 1).replace(/^#/, '');
  const m = /^0x([0-9a-f]{1,16})$/i.exec(s.trim());
  if (!m) return null;
  const hex = m[1].padStart(16, '0');
  return [parseInt(hex.slice(0, 8), 16), parseInt(hex.slice(8), 16)];
}
