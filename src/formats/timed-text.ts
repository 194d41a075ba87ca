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
import { TraceParser, INPUT_TIME_UNIT_NAMES, type InputTimeUnit, type ParserOptions } from './parser.js';
import { SYMBOLIC_PC_HI, type EventBatch } from '../model/batch.js';
import { REGION_LABELS } from '../model/names.js';
import { CR, HEX, isBlank, LOWER_X, NL, PLUS, SP, TAB, TimeReader, UPPER_X, ZERO, NameInterner } from './text-common.js';

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

function hasDigit(buf: Uint8Array, s: number, e: number): boolean {
  for (let k = s; k < e; k++) if (buf[k] >= ZERO && buf[k] <= 0x39) return true;
  return false;
}

export class TimedTextParser extends TraceParser {
  readonly format: string;
  override symbolic = true;
  private readonly time: TimeReader;
  private readonly interner: NameInterner;

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

  parse(buf: Uint8Array, pos: number, end: number, base: number, batch: EventBatch): number {
    const timeCol = batch.time;
    const threadCol = batch.thread;
    const hiCol = batch.pcHi;
    const loCol = batch.pcLo;
    const symCol = batch.sym;
    const cap = batch.capacity;
    const st = this.stats;
    const tr = this.time;
    const variant = this.variant;
    batch.presymbolized = true;
    let n = batch.length;
    while (pos < end && n < cap) {
      const lineStart = pos;
      st.lines++;
      let i = pos;
      let reason = '';
      parse: {
        let c = buf[i];
        while (isBlank(c)) c = buf[++i];
        if (c === NL || (c === CR && buf[i + 1] === NL)) {
          reason = 'blank';
          break parse;
        }
        const j = tr.read(buf, i);
        if (j < 0 || !isBlank(buf[j])) {
          reason = 'no time';
          break parse;
        }
        const sec = tr.sec;
        const ns = tr.ns;
        i = j;
        c = buf[i];
        while (isBlank(c)) c = buf[++i];
        let cpu = 0;
        if (variant === 'resolved') {
          let nd = 0;
          while (c >= ZERO && c <= 0x39) {
            cpu = cpu * 10 + (c - ZERO);
            nd++;
            c = buf[++i];
          }
          if (nd === 0 || nd > 9 || !isBlank(c)) {
            reason = 'no vCPU column';
            break parse;
          }
          while (isBlank(c)) c = buf[++i];
        }
        // ---- the token ----
        const tokStart = i;
        while (c !== SP && c !== TAB && c !== NL && c !== CR) c = buf[++i];
        const tokEnd = i;
        if (tokEnd === tokStart) {
          reason = 'no symbol or address';
          break parse;
        }
        let nameEnd = tokEnd;
        let offset = 0;
        let isName = true;
        if (variant === 'gdb') {
          // " + DEC" then " in section NAME", or " in section NAME", or nothing (a bare address)
          if (c === SP && buf[i + 1] === PLUS && buf[i + 2] === SP) {
            i += 3;
            c = buf[i];
            let nd = 0;
            while (c >= ZERO && c <= 0x39) {
              offset = offset * 10 + (c - ZERO);
              nd++;
              c = buf[++i];
            }
            if (nd === 0) {
              reason = "bad offset after '+'";
              break parse;
            }
          }
          let k = 0;
          while (k < IN_SECTION.length && buf[i + k] === IN_SECTION[k]) k++;
          if (k === IN_SECTION.length) {
            i += k;
            while (buf[i] !== NL) i++;
          } else if (offset === 0 && isHexRun(buf, tokStart, tokEnd)) {
            isName = false;
          } else if (
            offset === 0 &&
            tokEnd - tokStart > 2 &&
            buf[tokStart] === ZERO &&
            (buf[tokStart + 1] === LOWER_X || buf[tokStart + 1] === UPPER_X) &&
            isHexRun(buf, tokStart + 2, tokEnd)
          ) {
            isName = false;
          } else {
            reason = "expected 'NAME [+ OFF] in section SEC' or a hex address";
            break parse;
          }
        } else {
          const has0x = buf[tokStart] === ZERO && (buf[tokStart + 1] === LOWER_X || buf[tokStart + 1] === UPPER_X);
          if (has0x && isHexRun(buf, tokStart + 2, tokEnd)) isName = false;
          else if (tokEnd - tokStart >= 6 && isHexRun(buf, tokStart, tokEnd) && hasDigit(buf, tokStart, tokEnd)) isName = false;
          else {
            // SYMBOL+0xOFF: the last '+' followed by 0x and hex digits
            let p = tokEnd - 1;
            while (p > tokStart && buf[p] !== PLUS) p--;
            if (
              p > tokStart &&
              buf[p + 1] === ZERO &&
              (buf[p + 2] === LOWER_X || buf[p + 2] === UPPER_X) &&
              isHexRun(buf, p + 3, tokEnd) &&
              tokEnd - (p + 3) <= 13
            ) {
              let v = 0;
              for (let q = p + 3; q < tokEnd; q++) v = v * 16 + HEX[buf[q]];
              offset = v;
              nameEnd = p;
            }
          }
          c = buf[i];
          while (c === SP || c === TAB || c === CR) c = buf[++i];
          if (c !== NL) {
            reason = 'unexpected text after the symbol';
            break parse;
          }
        }
        while (buf[i] !== NL) i++;
        if (buf[i - 1] === CR) st.crlf++;
        // ---- the event ----
        timeCol[n] = this.sinceOrigin(sec, ns);
        threadCol[n] = this.threadOf(cpu);
        if (isName) {
          symCol[n] = this.interner.intern(buf, tokStart, nameEnd);
          hiCol[n] = SYMBOLIC_PC_HI;
          loCol[n] = offset > MAX_OFFSET ? MAX_OFFSET : offset;
        } else {
          let s = tokStart;
          if (buf[s] === ZERO && (buf[s + 1] === LOWER_X || buf[s + 1] === UPPER_X)) s += 2;
          let hi = 0;
          let lo = 0;
          for (let q = s; q < tokEnd; q++) {
            hi = ((hi << 4) | (lo >>> 28)) >>> 0;
            lo = ((lo << 4) | HEX[buf[q]]) >>> 0;
          }
          symCol[n] = -1;
          hiCol[n] = hi;
          loCol[n] = lo;
        }
        n++;
        st.events++;
        pos = i + 1;
        continue;
      }
      let nl = i;
      while (buf[nl] !== NL) nl++;
      pos = nl + 1;
      if (reason === 'blank') st.other++;
      else this.malformed(reason, base + lineStart, buf.subarray(lineStart, Math.min(nl, lineStart + 64)));
    }
    batch.length = n;
    return pos;
  }
}
