/**
 * What every trace parser shares: counters, malformed-line samples, the thread-id -> vCPU table, the
 * time origin, the one way an event is recorded into the batch (readPc or setPc, then addEvent) and
 * the one slow path of a line that is not an event (skipLine); and the line loop of the line formats
 * (LineParser). Format files (qemu-log.ts, ...) hold only the reading of their own fields, and their
 * detector.
 */
import { BootprofError } from '../io/errors.js';
import type { EventBatch } from '../model/batch.js';
import type { ByteSource } from '../io/source.js';
import type { ChunkOptions, LineBlockSink } from '../io/chunks.js';
import type { SymbolTable } from '../symbols/table.js';
import { CR, isBlankLine, lineEnd, readHex } from './text-common.js';

/** Units a text trace's times may be written in (`--time-unit`); the batch always carries ns. */
export type InputTimeUnit = 's' | 'ms' | 'us' | 'ns';
export const INPUT_TIME_UNITS: readonly InputTimeUnit[] = ['s', 'ms', 'us', 'ns'];
export const INPUT_TIME_UNIT_NAMES: Readonly<Record<InputTimeUnit, string>> = {
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
};

/** What a format's parser may be told besides the first page. */
export interface ParserOptions {
  /** Unit of the times in text formats that do not say (`--time-unit`); default per format. */
  timeUnit?: InputTimeUnit;
  /** The loaded symbol table: pre-resolved formats share its name ids. */
  table?: SymbolTable | null;
}

export type TimeUnit = 'ns' | 'events';

export interface MalformedSample {
  line: number;
  offset: number;
  reason: string;
  snippet: string;
}

export interface ParseStats {
  lines: number;
  events: number;
  /** Well-formed lines of other events or QEMU's own messages: skipped, not errors. */
  other: number;
  malformed: number;
  /** Lines that ended in CR LF (accepted, counted). */
  crlf: number;
  samples: MalformedSample[];
  /** `-d in_asm` translation records read, their lines, and records that could not be read (cut, empty). */
  records: number;
  recordLines: number;
  unreadableRecords: number;
}

export const MAX_SAMPLES = 3;

/**
 * Most distinct thread ids (vCPUs) a trace may have. Every analysis keeps state per vCPU (KBs each:
 * shadow stacks, open calls, first calls), so the count must be bounded: a real guest has at most a
 * few thousand vCPUs (QEMU's x86-64 limit is 4096), while a garbage or hostile file can name a new
 * thread id on every line. Past the limit the run stops (TooManyThreadsError).
 */
export const MAX_VCPUS = 4096;

/** A trace with more than MAX_VCPUS distinct thread ids; `line` is the first line of the one too many. */
export class TooManyThreadsError extends BootprofError {
  /**
   * A work unit's error also carries the unit's thread ids and first lines so far: the main thread maps
   * them first, so the line it reports is the one a sequential read reports.
   */
  threadIds: number[] = [];
  threadLines: number[] = [];
  constructor(readonly line: number) {
    super('E_FORMAT', `more than ${MAX_VCPUS} distinct thread ids (line ${line}): not the trace of one guest? bootprof supports up to ${MAX_VCPUS} vCPUs`);
  }
}

/**
 * A trace's time origin (the absolute time of its first event) as data, exact: `hi` units of the
 * parser's `timeScale` ns plus `lo` ns (see TraceParser.originHi).
 */
export interface TimeOrigin {
  hi: number;
  lo: number;
}

/** Shown in messages: printable ASCII kept, everything else escaped, at most 60 characters. */
export function snippetOf(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length && s.length < 60; i++) {
    const c = bytes[i];
    if (c === 0x0a) break;
    if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\x' + c.toString(16).padStart(2, '0');
  }
  return s;
}

/** The --strict error for a malformed line. */
export function malformedError(s: MalformedSample): BootprofError {
  return new BootprofError('E_MALFORMED', `line ${s.line} (byte ${s.offset}): ${s.reason}: ${s.snippet}`);
}

export abstract class TraceParser {
  abstract readonly format: string;
  unit: TimeUnit = 'ns';
  readonly stats: ParseStats = { lines: 0, events: 0, other: 0, malformed: 0, crlf: 0, samples: [], records: 0, recordLines: 0, unreadableRecords: 0 };
  /** Thread ids in order of first appearance: the index is the vCPU index (at most MAX_VCPUS). */
  readonly threadIds: number[] = [];
  /** Line number of each thread id's first event (in a work unit: counted from the unit's start). */
  readonly threadLines: number[] = [];
  private readonly threadIndex = new Map<number, number>();
  /**
   * The time origin, the absolute time of the first event, kept exact as two numbers: `originHi`
   * units of `timeScale` ns plus `originLo` ns. Text stamps give whole seconds and ns (scale 1e9);
   * simpletrace-bin gives the two 32-bit halves of a u64 ns stamp (scale 2^32). Absolute times do not
   * fit a double exactly (epoch ns are 1.8e18); times relative to the origin do, for 104 days.
   * NaN until the first timed event (sinceOrigin sets it).
   */
  originHi = NaN;
  originLo = 0;
  /** ns per unit of a time's high part (see originHi). */
  protected timeScale = 1e9;
  strict = false;
  /**
   * Pre-resolved formats: the parser fills batch.sym itself (name ids of `names`) and marks the batch
   * `presymbolized`; events it could not name carry sym -1 and a real pc for the symbol stage.
   */
  symbolic = false;
  /** Name id -> name for a symbolic parser (a superset of the symbol table's names); null otherwise. */
  get names(): readonly string[] | null {
    return null;
  }
  /** The finest time step the input's stamps can show, in ns (QEMU's -msg timestamp=on: 1000); 0 when unknown. */
  timeResolutionNs = 0;
  /** Unit the input's times were written in, for the summary (e.g. "microseconds"); '' when native. */
  inputUnit = '';
  /** Records the tracer itself reported as lost (simpletrace "dropped" records). */
  lostEvents = 0;
  /**
   * Binary formats cut the input into blocks of whole records themselves; line formats leave this
   * undefined and get readLineBlocks.
   */
  readBlocks?(source: ByteSource, sink: LineBlockSink, opts: ChunkOptions): Promise<number>;

  /**
   * Parses the complete lines of buf[pos, end) (end is just after a newline) into `batch`.
   * Returns where it stopped: `end`, or the start of the first unparsed line when the batch filled.
   */
  abstract parse(buf: Uint8Array, pos: number, end: number, base: number, batch: EventBatch): number;

  /** Frees reusable resources once parsing is done (the stats stay readable). */
  release(): void {}

  /** The last thread id looked up and its index: consecutive events mostly come from one thread. */
  private lastTid = NaN;
  private lastThread = 0;

  /**
   * vCPU index of a thread id, assigning the next index on first sight; `line` is the event's line
   * number when the parser counted lines ahead of it (the wasm fast path), else the current line.
   * Throws TooManyThreadsError for the thread id past MAX_VCPUS: the one cap of every parser, the
   * work units' and the main thread's mapping of their thread ids (pipeline.ts) alike.
   */
  threadOf(tid: number, line?: number): number {
    if (tid === this.lastTid) return this.lastThread;
    let idx = this.threadIndex.get(tid);
    if (idx === undefined) {
      idx = this.threadIds.length;
      const at = line ?? this.stats.lines;
      if (idx >= MAX_VCPUS) throw new TooManyThreadsError(at);
      this.threadIds.push(tid);
      this.threadLines.push(at);
      this.threadIndex.set(tid, idx);
    }
    this.lastTid = tid;
    this.lastThread = idx;
    return idx;
  }

  /** The origin as data, or null before the first timed event. */
  get origin(): TimeOrigin | null {
    return this.originHi === this.originHi ? { hi: this.originHi, lo: this.originLo } : null;
  }

  /** Starts the trace at a known origin (a work unit, from the trace's first page). */
  setOrigin(o: TimeOrigin): void {
    this.originHi = o.hi;
    this.originLo = o.lo;
  }

  /**
   * ns since the origin of the time `hi` * timeScale + `lo` ns, exactly (the difference is taken part
   * by part); the first call sets the origin, so the first event is at 0.
   */
  sinceOrigin(hi: number, lo: number): number {
    if (this.originHi !== this.originHi) {
      this.originHi = hi;
      this.originLo = lo;
    }
    return (hi - this.originHi) * this.timeScale + (lo - this.originLo);
  }

  /*
   * Recording an event: the parser puts the event's pc into the batch's next row (row batch.length)
   * with readPc (hex text) or setPc (a binary field, a pre-resolved name's offset), then addEvent
   * completes the row. A line that turns out malformed after its pc was read leaves the row unused.
   */

  /** Reads the hex pc at buf[i] (no 0x) into the batch's next row; the index after it, or -1 (text-common readHex). */
  protected readPc(buf: Uint8Array, i: number, batch: EventBatch): number {
    return readHex(buf, i, batch.pcHi, batch.pcLo, batch.length);
  }

  /** Puts a pc given as its halves into the batch's next row. */
  protected setPc(batch: EventBatch, hi: number, lo: number): void {
    batch.pcHi[batch.length] = hi;
    batch.pcLo[batch.length] = lo;
  }

  /**
   * Records the event in the batch's next row, whose pc is set: its time (timed traces: `tHi` *
   * timeScale + `tLo` ns, made relative to the origin; untimed ones: the event's ordinal) and the vCPU
   * index of thread id `tid`. Returns the row. Every parser records its events here.
   */
  protected addEvent(batch: EventBatch, tHi: number, tLo: number, tid: number): number {
    const n = batch.length;
    batch.time[n] = this.unit === 'ns' ? this.sinceOrigin(tHi, tLo) : this.stats.events;
    batch.thread[n] = this.threadOf(tid);
    batch.length = n + 1;
    this.stats.events++;
    return n;
  }

  /**
   * The newline that ends an event line whose fields were all read at buf[i] (what follows them is
   * not looked at); a CR before it counts the line as CR LF.
   */
  protected eventLineEnd(buf: Uint8Array, i: number): number {
    const nl = lineEnd(buf, i);
    if (buf[nl - 1] === CR) this.stats.crlf++;
    return nl;
  }

  /**
   * The one slow path of a line that is not an event, buf[start, nl): with `other` (the format's
   * verdict: another event's record, a blank line, the tracer's own message) it is counted and
   * skipped, else it is malformed for `reason`. Returns where the next line starts.
   */
  protected skipLine(buf: Uint8Array, start: number, nl: number, base: number, reason: string, other: boolean): number {
    if (other) this.stats.other++;
    else this.malformed(reason, base + start, buf.subarray(start, Math.min(nl, start + 64)));
    return nl + 1;
  }

  /** Records a malformed line (already counted in `lines`); fatal under --strict. */
  malformed(reason: string, offset: number, bytes: Uint8Array): void {
    const st = this.stats;
    st.malformed++;
    const sample = { line: st.lines, offset, reason, snippet: snippetOf(bytes) };
    if (this.strict) throw malformedError(sample);
    if (st.samples.length < MAX_SAMPLES) st.samples.push(sample);
  }

  /** A whole line the chunker dropped (too long, unterminated): counts as one malformed line. */
  dropped(reason: string, offset: number, bytes: Uint8Array): void {
    this.stats.lines++;
    this.malformed(reason, offset, bytes);
  }
}

/**
 * A line format's parser: parse() walks the block line by line and hands each line to line(), which
 * records the line's event or says why there is none; every line without an event takes the shared
 * slow path. (qemu-log.ts keeps its own loop: it is the hot one, and it shares the wasm fast path.)
 */
export abstract class LineParser extends TraceParser {
  /** Why the last line() call recorded no event; '' when the line is no error (another record, a blank line). */
  protected reason = '';

  /**
   * Parses the line at buf[start] (it ends with a newline): records its event (readPc or setPc, then
   * addEvent) and returns the index of the line's newline, or returns -1 through fail() or other().
   */
  protected abstract line(buf: Uint8Array, start: number, batch: EventBatch): number;

  /** line()'s answer for a malformed line. */
  protected fail(reason: string): number {
    this.reason = reason;
    return -1;
  }

  /** line()'s answer for a line that is no event and no error (a record of another event, say). */
  protected other(): number {
    this.reason = '';
    return -1;
  }

  /** Is a line line() turned down counted as other? When it said so, or the line is blank. */
  protected isOther(buf: Uint8Array, start: number, nl: number): boolean {
    return this.reason === '' || isBlankLine(buf, start, nl);
  }

  parse(buf: Uint8Array, pos: number, end: number, base: number, batch: EventBatch): number {
    const st = this.stats;
    batch.presymbolized = this.symbolic;
    while (pos < end && batch.length < batch.capacity) {
      st.lines++;
      const nl = this.line(buf, pos, batch);
      if (nl >= 0) pos = nl + 1;
      else {
        const e = lineEnd(buf, pos);
        pos = this.skipLine(buf, pos, e, base, this.reason, this.isOther(buf, pos, e));
      }
    }
    return pos;
  }
}

export interface TraceFormat {
  readonly name: string;
  /** True when the first page of the input looks like this format. */
  detect(head: Uint8Array): boolean;
  create(head: Uint8Array, opts?: ParserOptions): TraceParser;
  /** One line for --help and error messages. */
  readonly description?: string;
}
