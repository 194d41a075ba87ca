/**
 * The parser shared by the plain-text "time, then what ran" formats (gdb-symbols.ts, two-column.ts):
 *
 *   gdb         TIME NAME [+ DEC] in section SEC  |  TIME HEX          (gdb `info symbol` per pc)
 *   two-column  TIME ADDRESS  |  TIME SYMBOL[+0xOFF]
 *   resolved    TIME CPU SYMBOL+0xOFF                                 (bootprof resolve's output)
 *
 * Times are decimal numbers in `--time-unit` (default seconds; `resolved`: ns), converted exactly to
 * ns (text-common.ts TimeReader). These formats are pre-resolved: a named event gets its name id
 * from a NameInterner that continues the symbol table's ids (one string per distinct name, none per
 * line), pcHi = SYMBOLIC_PC_HI and pcLo = its offset; an address gets sym -1 and its pc, resolved by
 * the symbol stage like any pc. Without a CPU column every event is vCPU 0.
 */
import { LineParser, INPUT_TIME_UNIT_NAMES, type InputTimeUnit, type ParserOptions } from './parser.js';
import { SYMBOLIC_PC_HI, type EventBatch } from '../model/batch.js';
import { REGION_LABELS } from '../model/names.js';
import { CR, DecimalReader, HEX, isBlank, LOWER_X, NL, PLUS, SP, TAB, TimeReader, UPPER_X, ZERO, NameInterner } from './text-common.js';

export type TimedTextVariant = 'gdb' | 'two-column' | 'resolved';

/** " in section " */
const IN_SECTION = [0x20, 0x69, 0x6e, 0x20, 0x73, 0x65, 0x63, 0x74, 0x69, 0x6f, 0x6e, 0x20];
/** Offsets beyond this are kept as this (pcLo is 32 bits). */
const MAX_OFFSET = 0xffffffff;

function isHexRun(buf: Uint8Array, s: number, e: number): boolean {
  if (e <= s || e - s > 16) return false;
  for (let k = s; k < e; k++) if (HEX[buf[k]] < 0) return false;
  return true;
}

/** "0x" or "0X" at buf[i]. */
function has0x(buf: Uint8Array, i: number): boolean {
  return buf[i] === ZERO && (buf[i + 1] === LOWER_X || buf[i + 1] === UPPER_X);
}

function hasDigit(buf: Uint8Array, s: number, e: number): boolean {
  for (let k = s; k < e; k++) if (buf[k] >= ZERO && buf[k] <= 0x39) return true;
  return false;
}

export class TimedTextParser extends LineParser {
  readonly format: string;
  override symbolic = true;
  private readonly time: TimeReader;
  private readonly interner: NameInterner;
  private readonly dec = new DecimalReader();

  constructor(
    private readonly variant: TimedTextVariant,
    opts: ParserOptions = {},
  ) {
    super();
    const unit: InputTimeUnit = opts.timeUnit ?? (variant === 'resolved' ? 'ns' : 's');
    this.time = new TimeReader(unit);
    this.inputUnit = INPUT_TIME_UNIT_NAMES[unit] + (opts.timeUnit ? ' (--time-unit)' : ', the default: --time-unit changes it');
    this.interner = new NameInterner(opts.table ? opts.table.names : REGION_LABELS);
    this.format = variant === 'gdb' ? 'gdb-symbols' : variant;
  }

  override get names(): readonly string[] {
    return this.interner.names;
  }

  /** Blank lines are line()'s to decide (blanks, then LF or CR LF), so no other test applies. */
  protected override isOther(): boolean {
    return this.reason === '';
  }

  protected line(buf: Uint8Array, i: number, batch: EventBatch): number {
    let c = buf[i];
    while (isBlank(c)) c = buf[++i];
    if (c === NL || (c === CR && buf[i + 1] === NL)) return this.other();
    const tr = this.time;
    const j = tr.read(buf, i);
    if (j < 0 || !isBlank(buf[j])) return this.fail('no time');
    const sec = tr.sec;
    const ns = tr.ns;
    i = j;
    c = buf[i];
    while (isBlank(c)) c = buf[++i];
    let cpu = 0;
    const dec = this.dec;
    if (this.variant === 'resolved') {
      i = dec.read(buf, i, 9);
      if (i < 0 || !isBlank(buf[i])) return this.fail('no vCPU column');
      cpu = dec.value;
      c = buf[i];
      while (isBlank(c)) c = buf[++i];
    }
    // ---- the token ----
    const tokStart = i;
    while (c !== SP && c !== TAB && c !== NL && c !== CR) c = buf[++i];
    const tokEnd = i;
    if (tokEnd === tokStart) return this.fail('no symbol or address');
    let nameEnd = tokEnd;
    let offset = 0;
    let isName = true;
    if (this.variant === 'gdb') {
      // " + DEC" then " in section NAME", or " in section NAME", or nothing (a bare address)
      if (c === SP && buf[i + 1] === PLUS && buf[i + 2] === SP) {
        i = dec.read(buf, i + 3, Infinity);
        if (i < 0) return this.fail("bad offset after '+'");
        offset = dec.value;
      }
      let k = 0;
      while (k < IN_SECTION.length && buf[i + k] === IN_SECTION[k]) k++;
      if (k === IN_SECTION.length) i += k;
      else if (offset === 0 && isHexRun(buf, tokStart, tokEnd)) isName = false;
      else if (offset === 0 && tokEnd - tokStart > 2 && has0x(buf, tokStart) && isHexRun(buf, tokStart + 2, tokEnd)) isName = false;
      else return this.fail("expected 'NAME [+ OFF] in section SEC' or a hex address");
    } else {
      if (has0x(buf, tokStart) && isHexRun(buf, tokStart + 2, tokEnd)) isName = false;
      else if (tokEnd - tokStart >= 6 && isHexRun(buf, tokStart, tokEnd) && hasDigit(buf, tokStart, tokEnd)) isName = false;
      else {
        // SYMBOL+0xOFF: the last '+' followed by 0x and hex digits
        let p = tokEnd - 1;
        while (p > tokStart && buf[p] !== PLUS) p--;
        if (p > tokStart && has0x(buf, p + 1) && isHexRun(buf, p + 3, tokEnd) && tokEnd - (p + 3) <= 13) {
          let v = 0;
          for (let q = p + 3; q < tokEnd; q++) v = v * 16 + HEX[buf[q]];
          offset = v;
          nameEnd = p;
        }
      }
      c = buf[i];
      while (c === SP || c === TAB || c === CR) c = buf[++i];
      if (c !== NL) return this.fail('unexpected text after the symbol');
    }
    // ---- the event ----
    const nl = this.eventLineEnd(buf, i);
    if (isName) {
      this.setPc(batch, SYMBOLIC_PC_HI, offset > MAX_OFFSET ? MAX_OFFSET : offset);
      const row = this.addEvent(batch, sec, ns, cpu);
      batch.sym[row] = this.interner.intern(buf, tokStart, nameEnd);
    } else {
      this.readPc(buf, has0x(buf, tokStart) ? tokStart + 2 : tokStart, batch); // a hex run of 1-16 digits: checked above
      batch.sym[this.addEvent(batch, sec, ns, cpu)] = -1;
    }
    return nl;
  }
}
