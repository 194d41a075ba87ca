/**
 * Byte-level pieces the text formats share: named character constants, a hex digit table, line
 * helpers, a decimal integer reader, the pc reader (up to 16 hex digits into two exact 32-bit halves),
 * an exact decimal time reader (integer and fraction digits parsed apart, converted to whole seconds +
 * ns with integer arithmetic only), and a name interner for pre-resolved formats that maps the bytes
 * of a symbol name to a name id without building a string per line (one string per *distinct* name).
 * Nothing here keeps parser state: that is parser.ts.
 */
import { REGION_LABELS } from '../model/names.js';
import type { InputTimeUnit } from './parser.js';

export const NL = 0x0a;
export const CR = 0x0d;
export const SP = 0x20;
export const TAB = 0x09;
export const DOT = 0x2e;
export const COLON = 0x3a;
export const PLUS = 0x2b;
export const EQ = 0x3d;
export const ZERO = 0x30;
export const NINE = 0x39;
export const LOWER_X = 0x78;
export const UPPER_X = 0x58;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;
export const SLASH = 0x2f;
export const AT = 0x40;
export const DASH = 0x2d;
export const UNDERSCORE = 0x5f;
export const LOWER_C = 0x63;
export const LOWER_P = 0x70;

/** Hex digit value, or -1. */
export const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[0x61 + c] = 10 + c;
  HEX[0x41 + c] = 10 + c;
}

export function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

export function isBlank(c: number): boolean {
  return c === SP || c === TAB;
}

/** A byte of an identifier (event names, `key=` names): [A-Za-z0-9_]. */
export function isIdent(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= ZERO && c <= NINE) || c === UNDERSCORE;
}

/** Index of the newline that ends the line at buf[i] (the block ends with one, so this stops). */
export function lineEnd(buf: Uint8Array, i: number): number {
  while (buf[i] !== NL) i++;
  return i;
}

/** True when buf[start, nl) holds only blanks and CRs. */
export function isBlankLine(buf: Uint8Array, start: number, nl: number): boolean {
  let j = start;
  while (j < nl && (buf[j] === SP || buf[j] === TAB || buf[j] === CR)) j++;
  return j === nl;
}

/** "exec_tb" */
const EXEC_TB = [0x65, 0x78, 0x65, 0x63, 0x5f, 0x74, 0x62];
/** "_nocache", after "exec_tb" */
const NOCACHE = [0x5f, 0x6e, 0x6f, 0x63, 0x61, 0x63, 0x68, 0x65];

/** True when buf[i, i + word.length) is `word`. */
export function matchAt(buf: Uint8Array, i: number, word: readonly number[]): boolean {
  for (let k = 0; k < word.length; k++) if (buf[i + k] !== word[k]) return false;
  return true;
}

/** True when buf[start, end) is the name of the event bootprof reads: exec_tb or exec_tb_nocache (same arguments). */
export function isExecTbName(buf: Uint8Array, start: number, end: number): boolean {
  const len = end - start;
  return (len === 7 || len === 15) && matchAt(buf, start, EXEC_TB) && (len === 7 || matchAt(buf, start + 7, NOCACHE));
}

/** Reads a decimal integer (a thread id, a vCPU index, an offset) without a string. */
export class DecimalReader {
  value = 0;

  /** Parses the digits at buf[i]; returns the index after them, or -1 when there are none or more than `maxDigits`. */
  read(buf: Uint8Array, i: number, maxDigits: number): number {
    let v = 0;
    const start = i;
    let c = buf[i];
    while (c >= ZERO && c <= NINE) {
      v = v * 10 + (c - ZERO);
      c = buf[++i];
    }
    if (i === start || i - start > maxDigits) return -1;
    this.value = v;
    return i;
  }
}

/**
 * The pc reader: up to 16 hex digits at buf[i] (no 0x), stored as two exact 32-bit halves at
 * hiOut[at] and loOut[at] (a batch's pc columns, usually: TraceParser.readPc), without a string.
 * Returns the index after the digits, or -1 (nothing stored) when there are none or more than 16.
 * The halves go straight into columns because a JS function cannot hand back two numbers for free:
 * through an object's fields they cost the qemu-log JS loop ~6%.
 */
export function readHex(buf: Uint8Array, i: number, hiOut: Uint32Array, loOut: Uint32Array, at: number): number {
  let hi = 0;
  let lo = 0;
  const start = i;
  let d = HEX[buf[i]];
  while (d >= 0) {
    hi = ((hi << 4) | (lo >>> 28)) >>> 0;
    lo = ((lo << 4) | d) >>> 0;
    d = HEX[buf[++i]];
  }
  if (i === start || i - start > 16) return -1;
  hiOut[at] = hi;
  loOut[at] = lo;
  return i;
}

/** Exponent of the ns per unit: 10^e ns per unit. */
const UNIT_EXP: Readonly<Record<InputTimeUnit, number>> = { s: 9, ms: 6, us: 3, ns: 0 };
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * Reads a decimal time `DIGITS[.DIGITS]` written in `unit` exactly: the result is whole seconds
 * (`sec`) and nanoseconds (`ns`, 0..1e9-1). Fraction digits below 1 ns are rounded half up (only
 * possible for units finer than s with more than e fraction digits, e.g. µs with 7 digits).
 * Integer parts up to 15 digits of seconds are exact (so epoch nanoseconds, 19 digits, are too).
 */
export class TimeReader {
  sec = 0;
  ns = 0;
  private readonly exp: number;
  /** Units per second: 10^(9 - exp). */
  private readonly perSec: number;

  constructor(readonly unit: InputTimeUnit) {
    this.exp = UNIT_EXP[unit];
    this.perSec = POW10[9 - this.exp];
  }

  /** Parses at buf[i]; returns the index after the number, or -1 when there are no digits. */
  read(buf: Uint8Array, i: number): number {
    const perSec = this.perSec;
    let s = 0;
    let m = 0; // integer part = s * perSec + m, m < perSec
    let c = buf[i];
    let nd = 0;
    while (c >= ZERO && c <= NINE) {
      m = m * 10 + (c - ZERO);
      const carry = m >= perSec ? Math.floor(m / perSec) : 0;
      s = s * 10 + carry;
      m -= carry * perSec;
      nd++;
      c = buf[++i];
    }
    if (nd === 0) return -1;
    const exp = this.exp;
    let frac = 0;
    if (c === DOT) {
      c = buf[++i];
      let fd = 0;
      let roundUp = false;
      while (c >= ZERO && c <= NINE) {
        if (fd < exp) frac = frac * 10 + (c - ZERO);
        else if (fd === exp) roundUp = c >= 0x35;
        fd++;
        c = buf[++i];
      }
      if (fd < exp) frac *= POW10[exp - fd];
      if (roundUp) frac++;
    }
    let ns = m * POW10[exp] + frac;
    if (ns >= 1e9) {
      s++;
      ns -= 1e9;
    }
    this.sec = s;
    this.ns = ns;
    return i;
  }
}

/** FNV-1a over buf[start, end). */
function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h >>> 0;
}

/**
 * Symbol name bytes -> name id. Ids continue the symbol table's (`base`: its names, or just the region
 * labels), so a name the table knows gets the table's id and the symbol stage, the resolver and every
 * analysis agree. A byte hash table answers repeated names without building a string; a new distinct
 * name is decoded once (latin1) and looked up by string.
 */
export class NameInterner {
  readonly names: string[];
  private byName: Map<string, number> | null = null;
  private keys: (Uint8Array | null)[];
  private ids: Int32Array;
  private hashes: Uint32Array;
  private used = 0;

  constructor(base: readonly string[] = REGION_LABELS) {
    this.names = base.slice();
    const size = 1024;
    this.keys = new Array(size).fill(null);
    this.ids = new Int32Array(size);
    this.hashes = new Uint32Array(size);
  }

  /** Name id of the name in buf[start, end). */
  intern(buf: Uint8Array, start: number, end: number): number {
    const h = hashBytes(buf, start, end);
    const keys = this.keys;
    const mask = keys.length - 1;
    const len = end - start;
    let slot = h & mask;
    for (;;) {
      const k = keys[slot];
      if (k === null) break;
      if (this.hashes[slot] === h && k.length === len) {
        let same = true;
        for (let q = 0; q < len; q++) {
          if (k[q] !== buf[start + q]) {
            same = false;
            break;
          }
        }
        if (same) return this.ids[slot];
      }
      slot = (slot + 1) & mask;
    }
    const name = Buffer.from(buf.buffer, buf.byteOffset + start, len).toString('latin1');
    const id = this.idOf(name);
    keys[slot] = Uint8Array.prototype.slice.call(buf, start, end);
    this.ids[slot] = id;
    this.hashes[slot] = h;
    if (++this.used * 4 >= keys.length * 3) this.rehash();
    return id;
  }

  /** Name id of a name given as a string (slow path, once per distinct name). */
  idOf(name: string): number {
    if (this.byName === null) {
      this.byName = new Map();
      for (let i = this.names.length - 1; i >= 0; i--) this.byName.set(this.names[i], i);
    }
    let id = this.byName.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.byName.set(name, id);
    }
    return id;
  }

  private rehash(): void {
    const oldKeys = this.keys;
    const oldIds = this.ids;
    const oldHashes = this.hashes;
    const size = oldKeys.length * 2;
    this.keys = new Array(size).fill(null);
    this.ids = new Int32Array(size);
    this.hashes = new Uint32Array(size);
    const mask = size - 1;
    for (let s = 0; s < oldKeys.length; s++) {
      const k = oldKeys[s];
      if (k === null) continue;
      let slot = oldHashes[s] & mask;
      while (this.keys[slot] !== null) slot = (slot + 1) & mask;
      this.keys[slot] = k;
      this.ids[slot] = oldIds[s];
      this.hashes[slot] = oldHashes[s];
    }
  }
}

/** The lines of the first page, without the last one when it is cut off. */
export function headLines(head: Uint8Array): string[] {
  const text = Buffer.from(head.buffer, head.byteOffset, head.length).toString('latin1');
  const lines = text.split('\n');
  if (head.length > 0 && head[head.length - 1] !== NL) lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l.trim() !== '');
}
