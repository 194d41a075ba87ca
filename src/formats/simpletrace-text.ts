/**
 * Text printed by QEMU's scripts/simpletrace.py for a 'simple' backend trace file:
 *
 *   exec_tb 0.626 pid=4491 tb=0x7fa869afe010 pc=0xfffffff0
 *
 * Layout (scripts/simpletrace.py, class Formatter.catchall; QEMU 2.x-10.x):
 *   `{event.name} {delta_ns / 1000:0.3f} {pid=} ` + ' '.join(f'{name}=0x{r:x}')
 * i.e. event name, the time since the *previous record of any event* in microseconds with three
 * decimals (so exact nanoseconds), `pid=` the recording thread's id (trace/simple.c records
 * qemu_get_thread_id()), then `name=0x%x` per argument. Older releases (QEMU 1.x, log format v0/v2)
 * printed the same without `pid=`. exec_tb's arguments are `tb`, `pc` (accel/tcg/trace-events:
 * exec_tb(void *tb, uint64_t pc)); exec_tb_nocache has the same two.
 *
 * Times are the running sum of the deltas; the deltas of other events' lines count too (they are
 * skipped as "other" lines, their time is not). The hot loop scans bytes with named constants.
 */
import { TraceParser, type TraceFormat } from './parser.js';
import type { EventBatch } from '../model/batch.js';
import { CR, EQ, HEX, headLines, isBlank, LOWER_X, NL, SP, TAB, TimeReader, ZERO } from './text-common.js';

const LOWER_E = 0x65;
const LOWER_P = 0x70;
const LOWER_C = 0x63;
const LOWER_I = 0x69;
const LOWER_D = 0x64;
const UNDERSCORE = 0x5f;
/** "_nocache" after "exec_tb". */
const NOCACHE = [0x5f, 0x6e, 0x6f, 0x63, 0x61, 0x63, 0x68, 0x65];

function isIdentByte(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === UNDERSCORE;
}

export class SimpletraceTextParser extends TraceParser {
  readonly format = 'simpletrace-text';
  private readonly delta = new TimeReader('us');
  /** ns since the first record (sum of deltas): the time origin is this clock at the first event. */
  private clock = 0;

  constructor() {
    super();
    this.inputUnit = 'microseconds between records';
  }

  parse(buf: Uint8Array, pos: number, end: number, base: number, batch: EventBatch): number {
    const timeCol = batch.time;
    const threadCol = batch.thread;
    const hiCol = batch.pcHi;
    const loCol = batch.pcLo;
    const cap = batch.capacity;
    const st = this.stats;
    const delta = this.delta;
    batch.presymbolized = false;
    let n = batch.length;
    while (pos < end && n < cap) {
      const lineStart = pos;
      st.lines++;
      let i = pos;
      let reason = '';
      let isEvent = false;
      let tid = 0;
      let hi = 0;
      let lo = 0;
      parse: {
        // ---- event name ----
        const nameStart = i;
        let c = buf[i];
        while (isIdentByte(c)) c = buf[++i];
        if (i === nameStart || c !== SP) {
          reason = 'not a simpletrace record';
          break parse;
        }
        const nameLen = i - nameStart;
        if (
          (nameLen === 7 || nameLen === 15) &&
          buf[nameStart] === LOWER_E &&
          buf[nameStart + 1] === 0x78 &&
          buf[nameStart + 2] === LOWER_E &&
          buf[nameStart + 3] === LOWER_C &&
          buf[nameStart + 4] === UNDERSCORE &&
          buf[nameStart + 5] === 0x74 &&
          buf[nameStart + 6] === 0x62
        ) {
          isEvent = true;
          if (nameLen === 15) for (let q = 0; q < 8; q++) if (buf[nameStart + 7 + q] !== NOCACHE[q]) isEvent = false;
        }
        // ---- delta (µs, 3 decimals) ----
        i++;
        const j = delta.read(buf, i);
        if (j < 0 || (buf[j] !== SP && buf[j] !== NL && buf[j] !== CR)) {
          reason = 'bad time delta';
          break parse;
        }
        this.clock += delta.sec * 1e9 + delta.ns;
        i = j;
        if (!isEvent) break parse;
        if (buf[i] !== SP) {
          reason = 'no pc= field';
          break parse;
        }
        // ---- optional pid= ----
        c = buf[++i];
        if (c === LOWER_P && buf[i + 1] === LOWER_I && buf[i + 2] === LOWER_D && buf[i + 3] === EQ) {
          i += 4;
          c = buf[i];
          let nd = 0;
          while (c >= ZERO && c <= 0x39) {
            tid = tid * 10 + (c - ZERO);
            nd++;
            c = buf[++i];
          }
          if (nd === 0 || nd > 15) {
            reason = 'bad pid';
            break parse;
          }
        }
        // ---- "pc=0x" ----
        c = buf[i];
        while (!(c === LOWER_P && buf[i + 1] === LOWER_C && buf[i + 2] === EQ && (i === 0 || buf[i - 1] === SP))) {
          if (c === NL) {
            reason = 'no pc= field';
            break parse;
          }
          c = buf[++i];
        }
        i += 3;
        if (buf[i] !== ZERO || buf[i + 1] !== LOWER_X) {
          reason = 'bad pc';
          break parse;
        }
        i += 2;
        let nd = 0;
        let d = HEX[buf[i]];
        while (d >= 0) {
          hi = ((hi << 4) | (lo >>> 28)) >>> 0;
          lo = ((lo << 4) | d) >>> 0;
          nd++;
          d = HEX[buf[++i]];
        }
        if (nd === 0 || nd > 16) {
          reason = 'bad pc';
          break parse;
        }
        c = buf[i];
        if (c !== NL && c !== SP && c !== CR && c !== TAB) {
          reason = 'bad pc';
          break parse;
        }
        while (c !== NL) c = buf[++i];
        if (buf[i - 1] === CR) st.crlf++;
        // ---- the event ----
        timeCol[n] = this.sinceOrigin(0, this.clock);
        threadCol[n] = this.threadOf(tid);
        hiCol[n] = hi;
        loCol[n] = lo;
        n++;
        st.events++;
        pos = i + 1;
        continue;
      }
      let nl = i;
      while (buf[nl] !== NL) nl++;
      pos = nl + 1;
      if (reason === '') {
        st.other++; // a record of another event: its delta was counted
        continue;
      }
      let k = lineStart;
      while (k < nl && (isBlank(buf[k]) || buf[k] === CR)) k++;
      if (k === nl) st.other++;
      else this.malformed(reason, base + lineStart, buf.subarray(lineStart, Math.min(nl, lineStart + 64)));
    }
    batch.length = n;
    return pos;
  }
}

const RECORD = /^[A-Za-z_][A-Za-z0-9_]* \d+\.\d{3}( pid=\d+)?( [A-Za-z_][A-Za-z0-9_]*=\S*)*$/;
const EXEC_TB = /^exec_tb(_nocache)? \d+\.\d{3}( pid=\d+)? .*\bpc=0x[0-9a-fA-F]+/;

function detect(head: Uint8Array): boolean {
  const lines = headLines(head);
  let records = 0;
  let events = 0;
  for (const l of lines) {
    if (!RECORD.test(l)) continue;
    records++;
    if (EXEC_TB.test(l)) events++;
  }
  return events > 0 && records * 2 >= lines.length;
}

export const simpletraceTextFormat: TraceFormat = {
  name: 'simpletrace-text',
  description: 'scripts/simpletrace.py output: "exec_tb 0.626 pid=4491 tb=0x... pc=0x..." (µs since the previous record)',
  detect,
  create: () => new SimpletraceTextParser(),
};
