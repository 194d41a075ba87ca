/**
 * QEMU's 'log' trace backend, event exec_tb (accel/tcg/trace-events: `exec_tb(void *tb, uint64_t pc)
 * "tb:%p pc=0x%"PRIx64`), in the three prefixes QEMU has written:
 *   4415@1795310244.392604:exec_tb tb:0x7fbd882054c0 pc=0xffffffff810000d3   (-msg timestamp=on, 2.x-10.0)
 *   2025-07-21T18:43:28.089797Z exec_tb tb:0x7fbd882054c0 pc=0xffffffff810000d3   (10.1+, no thread id)
 *   exec_tb tb:0x7fbd882054c0 pc=0xffffffff810000d3   (no timestamp: unit "events")
 * Lines of other events (exec_tb_exit, ...) and QEMU's own messages count as "other". The tb: pointer
 * goes into the batch (tbHi/tbLo). `-d in_asm` translation records between the lines are read by
 * TranslationRecordReader (qemu-in-asm.ts) and attached to the batch, each before the event it precedes.
 *
 * The hot loop scans bytes: no string, regex or object per line. Every loop stops at the newline that
 * ends the block (the chunker guarantees one), so no bounds checks are needed inside a line.
 */
import { TraceParser, type TraceFormat } from './parser.js';
import type { EventBatch } from '../model/batch.js';
import { FastLogParser } from './qemu-log-fast.js';
import { TranslationRecordReader, type TranslationRecord } from './qemu-in-asm.js';
import { readHex } from './text-common.js';
import * as text from './text-common.js';
import { isBlankLine, isExecTbName, isIdent, lineEnd, matchAt } from './text-common.js';

// The byte constants are copied into this module's own bindings: V8 reads an imported binding from its
// module cell, with a check, at every use, and in this loop that measured ~25% slower.
const { AT, COLON, CR, DASH, DOT, EQ, LOWER_C, LOWER_P, LOWER_X, NL, SP, TAB, ZERO } = text;

/** "_nocache " after "exec_tb" */
const NOCACHE_SP = [0x5f, 0x6e, 0x6f, 0x63, 0x61, 0x63, 0x68, 0x65, 0x20];

const NOT_RECORD = 'not a trace record';
const LOWER_T = 0x74;
const LOWER_B = 0x62;
/** ns per unit of a fraction of `k` digits (index k). */
const POW10 = [1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 1e1, 1];

/** Prefix variants. */
const V_PID = 0; // TID@SEC.FRAC:
const V_ISO = 1; // YYYY-MM-DDTHH:MM:SS.FRACZ<space>
const V_BARE = 2; // nothing

/** What a line the event loop did not take is (lineKind): the slow path dispatches on it. */
const LINE_BLANK = 0;
/** A valid prefix followed by another event's record or QEMU's text, or an untimed `name key=val` record. */
const LINE_OTHER_EVENT = 1;
/** One of QEMU's own messages ("qemu-system-x86_64: terminating on signal 15 ..."). */
const LINE_QEMU_MESSAGE = 2;
const LINE_MALFORMED = 3;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function digitsAt(buf: Uint8Array, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = buf[i + k];
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

/**
 * Parses an ISO-8601 UTC stamp `YYYY-MM-DDTHH:MM:SS[.frac]Z` at buf[i]. Returns the index after 'Z'
 * (or -1) and leaves seconds and nanoseconds in `out`.
 */
function parseIso(buf: Uint8Array, i: number, out: Float64Array): number {
  const y = digitsAt(buf, i, 4);
  if (y < 0 || buf[i + 4] !== DASH) return -1;
  const mo = digitsAt(buf, i + 5, 2);
  if (mo < 1 || mo > 12 || buf[i + 7] !== DASH) return -1;
  const d = digitsAt(buf, i + 8, 2);
  if (d < 1 || d > 31 || (buf[i + 10] !== 0x54 && buf[i + 10] !== 0x74 && buf[i + 10] !== SP)) return -1;
  const h = digitsAt(buf, i + 11, 2);
  if (h < 0 || h > 23 || buf[i + 13] !== COLON) return -1;
  const mi = digitsAt(buf, i + 14, 2);
  if (mi < 0 || mi > 59 || buf[i + 16] !== COLON) return -1;
  const s = digitsAt(buf, i + 17, 2);
  if (s < 0 || s > 60) return -1;
  let j = i + 19;
  let frac = 0;
  let nd = 0;
  let roundUp = false;
  if (buf[j] === DOT) {
    j++;
    let c = buf[j];
    while (c >= 0x30 && c <= 0x39) {
      if (nd < 9) frac = frac * 10 + (c - 0x30);
      else if (nd === 9) roundUp = c >= 0x35; // digits below 1 ns round half up, as TimeReader's
      nd++;
      c = buf[++j];
    }
    if (nd === 0) return -1;
  }
  if (buf[j] !== 0x5a && buf[j] !== 0x7a) return -1; // Z
  let sec = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  let ns = nd < 9 ? frac * POW10[nd] : frac;
  if (roundUp && ++ns === 1e9) {
    sec++;
    ns = 0;
  }
  out[0] = sec;
  out[1] = ns;
  return j + 1;
}

export class QemuLogParser extends TraceParser {
  readonly format: string;
  private readonly variant: number;
  /** Which parser ran: 'wasm' (fast path) or 'js'. */
  get engine(): string {
    return this.fast ? 'wasm' : 'js';
  }
  private readonly iso = new Float64Array(2);
  /** The WebAssembly fast path for the TID@SEC.FRAC: form (taken on first use), or null. */
  private fastState: FastLogParser | null | undefined;
  private readonly useFast: boolean;
  /** The batch being filled: a translation record read now goes into it, before its next event. */
  private batch: EventBatch | null = null;
  /** `-d in_asm` translation records between the event lines. */
  private readonly translations = new TranslationRecordReader((r: TranslationRecord) => {
    const b = this.batch!;
    b.records.push({ ...r, at: b.length });
    this.stats.records++;
  });

  constructor(variant: number, useFast = true) {
    super();
    this.useFast = variant === V_PID && useFast;
    this.variant = variant;
    this.format = variant === V_PID ? 'qemu-log' : variant === V_ISO ? 'qemu-log (ISO-8601 stamps)' : 'qemu-log (untimed)';
    if (variant === V_BARE) this.unit = 'events';
  }

  private get fast(): FastLogParser | null {
    if (this.fastState === undefined) this.fastState = this.useFast ? FastLogParser.acquire() : null;
    return this.fastState;
  }

  /** Returns the wasm instance to the per-thread free list (the parser stays usable). */
  override release(): void {
    if (this.fastState) FastLogParser.release(this.fastState);
    this.fastState = undefined;
    // a record the input ended inside of is dropped (counted)
    this.translations.abandon();
    this.stats.unreadableRecords = this.translations.unreadable;
  }

  parse(buf: Uint8Array, pos: number, end: number, base: number, batch: EventBatch): number {
    this.batch = batch;
    const fast = this.fast;
    if (fast === null) return this.parseJs(buf, pos, end, base, batch, Infinity);
    const blockStart = pos;
    let copied = false;
    while (pos < end && !batch.full) {
      if (this.originHi !== this.originHi) {
        // the first event sets the time origin, which the fast path takes as given
        pos = this.parseJs(buf, pos, end, base, batch, 1);
        continue;
      }
      if (!copied) {
        if (!fast.load(buf, blockStart, end)) {
          // no wasm memory for a block this large: this parser goes on in JS (same results)
          FastLogParser.release(fast);
          this.fastState = null;
          return this.parseJs(buf, pos, end, base, batch, Infinity);
        }
        copied = true;
      }
      const before = batch.length;
      pos = fast.parse(pos - blockStart, end - blockStart, batch, this.originHi, this.originLo) + blockStart;
      const n = batch.length - before;
      if (n > 0) {
        this.mapThreads(fast.tids, batch, before, n, this.stats.lines);
        this.stats.lines += n;
        this.stats.events += n;
      }
      if (fast.rejected && pos < end && !batch.full) pos = this.parseJs(buf, pos, end, base, batch, 1);
    }
    return pos;
  }

  /** Thread ids (as doubles, from the fast path) -> vCPU indexes in batch.thread. */
  private mapThreads(tids: Float64Array, batch: EventBatch, at: number, n: number, linesBefore: number): void {
    const col = batch.thread;
    let lastTid = NaN; // a local run cache: threadOf is called once per run of one thread's events
    let lastThread = 0;
    for (let k = 0; k < n; k++) {
      const tid = tids[k];
      if (tid !== lastTid) {
        lastTid = tid;
        lastThread = this.threadOf(tid, linesBefore + k + 1);
      }
      col[at + k] = lastThread;
    }
  }

  /** The reference parser: every line form, `maxLines` lines at most. */
  parseJs(buf: Uint8Array, pos: number, end: number, base: number, batch: EventBatch, maxLines: number): number {
    this.batch = batch;
    const cap = batch.capacity;
    const st = this.stats;
    const timed = this.unit === 'ns';
    const stopLine = st.lines + maxLines;
    while (pos < end && batch.length < cap && st.lines < stopLine) {
      const lineStart = pos;
      st.lines++;
      let i = pos;
      let c = buf[i];
      let tid = 0;
      let sec = 0;
      let fracNs = 0;
      let hasTime = false;
      let reason = '';
      let afterPrefix = -1;
      parse: {
        // ---- prefix ----
        if (c >= 0x30 && c <= 0x39) {
          let v = 0;
          let nd = 0;
          do {
            v = v * 10 + (c - 0x30);
            nd++;
            c = buf[++i];
          } while (c >= 0x30 && c <= 0x39);
          if (c === AT && nd <= 15) {
            tid = v;
            c = buf[++i];
            let s = 0;
            let sd = 0;
            while (c >= 0x30 && c <= 0x39) {
              s = s * 10 + (c - 0x30);
              sd++;
              c = buf[++i];
            }
            if (sd === 0 || sd > 15 || c !== DOT) {
              reason = sd === 0 ? 'bad timestamp (no seconds after @)' : sd > 15 ? 'bad timestamp (over 15 digits of seconds)' : 'bad timestamp (no dot in it)';
              break parse;
            }
            c = buf[++i];
            // Any number of fraction digits: the first 9 are ns, the 10th rounds half up (TimeReader's rule).
            let f = 0;
            let fd = 0;
            let roundUp = false;
            while (c >= 0x30 && c <= 0x39) {
              if (fd < 9) f = f * 10 + (c - 0x30);
              else if (fd === 9) roundUp = c >= 0x35;
              fd++;
              c = buf[++i];
            }
            if (fd === 0 || c !== COLON) {
              reason = fd === 0 ? 'bad timestamp (no digits after the dot)' : 'bad timestamp (no colon after it)';
              break parse;
            }
            sec = s;
            fracNs = fd < 9 ? f * POW10[fd] : f;
            if (this.timeResolutionNs === 0) this.timeResolutionNs = fd < 9 ? POW10[fd] : 1;
            if (roundUp && ++fracNs === 1e9) {
              sec++;
              fracNs = 0;
            }
            hasTime = true;
            c = buf[++i];
          } else if (c === DASH && nd === 4) {
            const j = parseIso(buf, lineStart, this.iso);
            if (j < 0 || buf[j] !== SP) {
              reason = 'bad timestamp';
              break parse;
            }
            sec = this.iso[0];
            fracNs = this.iso[1];
            hasTime = true;
            i = j + 1;
            c = buf[i];
          } else {
            reason = 'not a trace record';
            break parse;
          }
        }
        afterPrefix = i;
        // ---- event name: "exec_tb" or "exec_tb_nocache", then a space ----
        if (
          c !== 0x65 ||
          buf[i + 1] !== 0x78 ||
          buf[i + 2] !== 0x65 ||
          buf[i + 3] !== 0x63 ||
          buf[i + 4] !== 0x5f ||
          buf[i + 5] !== 0x74 ||
          buf[i + 6] !== 0x62
        ) {
          reason = NOT_RECORD;
          break parse;
        }
        if (buf[i + 7] === SP) i += 8;
        else if (matchAt(buf, i + 7, NOCACHE_SP)) i += 16;
        else {
          reason = NOT_RECORD;
          break parse;
        }
        // ---- "tb:0x..." (the pointer, when it is one), then whatever comes up to " pc=0x" ----
        const row = batch.length;
        batch.tbHi[row] = 0;
        batch.tbLo[row] = 0;
        if (buf[i] === LOWER_T && buf[i + 1] === LOWER_B && buf[i + 2] === COLON && buf[i + 3] === ZERO && buf[i + 4] === LOWER_X) {
          const k = readHex(buf, i + 5, batch.tbHi, batch.tbLo, row);
          if (k > 0) i = k;
        }
        c = buf[i];
        while (!(c === LOWER_P && buf[i + 1] === LOWER_C && buf[i + 2] === EQ)) {
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
        // ---- pc: up to 16 hex digits ----
        const j = this.readPc(buf, i + 2, batch);
        if (j < 0) {
          reason = 'bad pc';
          break parse;
        }
        i = j;
        c = buf[i];
        if (c !== NL) {
          // Tolerate trailing blanks and CR LF line ends.
          if (c === CR && buf[i + 1] === NL) st.crlf++;
          while (c === SP || c === TAB || c === CR) c = buf[++i];
          if (c !== NL) {
            reason = 'unexpected text after pc';
            break parse;
          }
        }
        // ---- the event ----
        if (timed && !hasTime) {
          reason = 'no timestamp in a timed trace';
          break parse;
        }
        this.addEvent(batch, sec, fracNs, tid);
        pos = i + 1;
        continue;
      }
      pos = this.otherLine(buf, lineStart, afterPrefix, lineEnd(buf, i), base, reason);
    }
    return pos;
  }

  /**
   * The slow path: a line the event loop did not take, buf[start, nl). What kind of line it is
   * decides what happens to it; a new kind of line gets a kind and a case here.
   */
  private otherLine(buf: Uint8Array, start: number, afterPrefix: number, nl: number, base: number, reason: string): number {
    if (this.translations.line(buf, start, nl)) {
      this.stats.recordLines++;
      return nl + 1;
    }
    switch (this.lineKind(buf, start, afterPrefix, nl, reason)) {
      case LINE_BLANK:
      case LINE_OTHER_EVENT:
      case LINE_QEMU_MESSAGE:
        return this.skipLine(buf, start, nl, base, reason, true);
      default:
        return this.skipLine(buf, start, nl, base, reason, false);
    }
  }

  /**
   * What a line that is not an exec_tb event is: blank, a record of another event after a valid
   * prefix (`exec_tb_exit ...`; untimed traces: `name key=val`), one of QEMU's own messages, or
   * malformed (`reason`: why the event loop stopped; `afterPrefix`: where the event name would
   * start, -1 when the prefix was not valid).
   */
  private lineKind(buf: Uint8Array, start: number, afterPrefix: number, nl: number, reason: string): number {
    if (isBlankLine(buf, start, nl)) return LINE_BLANK;
    if (reason === NOT_RECORD && afterPrefix >= 0) {
      if (afterPrefix > start) return LINE_OTHER_EVENT; // a valid TID@time: or ISO prefix: whatever follows is QEMU's
      // no prefix: a record of another event, `name key:val` / `name key=val` (untimed traces)
      let k = afterPrefix;
      while (k < nl && isIdent(buf[k])) k++;
      if (k > afterPrefix && buf[k] === SP && !isExecTbName(buf, afterPrefix, k)) {
        for (let q = k; q < nl; q++) if (buf[q] === EQ || buf[q] === COLON) return LINE_OTHER_EVENT;
      }
    }
    // QEMU's own messages: "qemu-system-x86_64: terminating on signal 15 ..." (after any blanks)
    let j = start;
    while (buf[j] === SP || buf[j] === TAB || buf[j] === CR) j++;
    return buf[j] === 0x71 && buf[j + 1] === 0x65 && buf[j + 2] === 0x6d && buf[j + 3] === 0x75 ? LINE_QEMU_MESSAGE : LINE_MALFORMED;
  }
}

/** Which prefix the first exec_tb line of `head` uses, or -1 when there is none. */
function detectVariant(head: Uint8Array): number {
  const text = Buffer.from(head.buffer, head.byteOffset, head.length).toString('latin1');
  for (const line of text.split('\n')) {
    if (/^\d+@\d+\.\d+:exec_tb /.test(line)) return V_PID;
    if (/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?Z exec_tb /.test(line)) return V_ISO;
    if (/^exec_tb tb:/.test(line)) return V_BARE;
  }
  return -1;
}

export const qemuLogFormat: TraceFormat = {
  name: 'qemu-log',
  detect: (head) => detectVariant(head) >= 0,
  create: (head) => new QemuLogParser(Math.max(0, detectVariant(head))),
};
