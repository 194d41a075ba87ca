/**
 * The one columnar event batch every stage shares (in the spirit of the Firefox Profiler's
 * processed format): parallel typed arrays, no object per event.
 *
 *  time    ns relative to the trace's first event (exact integers in a double: 2^53 ns is 104 days);
 *          for untimed traces, the event's ordinal in the file
 *  thread  vCPU index: order of first appearance of the thread id (see ParserState.threadIds)
 *  pcHi/Lo the guest pc's upper and lower 32 bits: exact, a 64-bit pc does not fit in a double
 *  sym     name id (model/names.ts): a region label or a function, filled by the symbol stage
 */
export const BATCH_CAPACITY = 1 << 16;

/** The columns of a batch as plain data (structured-clone / transfer between threads). */
export interface BatchColumns {
  length: number;
  finalizeEnd: number;
  kernelEvents: number;
  kernelResolved: number;
  time: Float64Array;
  thread: Uint32Array;
  pcHi: Uint32Array;
  pcLo: Uint32Array;
  sym: Int32Array;
}

export class EventBatch {
  length = 0;
  /** Line number (1-based) of the first event in this batch, for messages. */
  firstLine = 0;
  /**
   * Set by pre-resolved parsers: `sym` already holds name ids, except -1 where the symbol stage must
   * resolve the pc. Such named events carry pcHi = SYMBOLIC_PC_HI (non-canonical) and pcLo = the
   * offset into the named symbol.
   */
  presymbolized = false;
  /**
   * Set by the symbol stage: events [0, finalizeEnd) still need the per-vCPU rule (Symbolizer.finalize);
   * -1 means all of them. Workers resolve what they can, so the main thread only touches the prefix.
   */
  finalizeEnd = -1;
  /** vCPUs to mark as having run kernel code once this batch is finalized (a unit's last batch). */
  seenAfter: readonly number[] | null = null;
  /** Set by Symbolizer.codes: kernel-half events in this batch, and how many resolved to a function. */
  kernelEvents = 0;
  kernelResolved = 0;
  readonly time: Float64Array;
  readonly thread: Uint32Array;
  readonly pcHi: Uint32Array;
  readonly pcLo: Uint32Array;
  readonly sym: Int32Array;

  constructor(readonly capacity: number = BATCH_CAPACITY, columns?: BatchColumns) {
    if (columns) {
      this.time = columns.time;
      this.thread = columns.thread;
      this.pcHi = columns.pcHi;
      this.pcLo = columns.pcLo;
      this.sym = columns.sym;
      this.length = columns.length;
      this.finalizeEnd = columns.finalizeEnd;
      this.kernelEvents = columns.kernelEvents;
      this.kernelResolved = columns.kernelResolved;
      return;
    }
    this.time = new Float64Array(capacity);
    this.thread = new Uint32Array(capacity);
    this.pcHi = new Uint32Array(capacity);
    this.pcLo = new Uint32Array(capacity);
    this.sym = new Int32Array(capacity);
  }

  static fromColumns(c: BatchColumns): EventBatch {
    return new EventBatch(c.time.length, c);
  }

  toColumns(): BatchColumns {
    return {
      length: this.length,
      finalizeEnd: this.finalizeEnd,
      kernelEvents: this.kernelEvents,
      kernelResolved: this.kernelResolved,
      time: this.time,
      thread: this.thread,
      pcHi: this.pcHi,
      pcLo: this.pcLo,
      sym: this.sym,
    };
  }

  /** A copy of the first `length` events and the batch's flags, in a batch of just that size. */
  copy(): EventBatch {
    const n = this.length;
    const c = new EventBatch(Math.max(1, n));
    c.length = n;
    c.firstLine = this.firstLine;
    c.presymbolized = this.presymbolized;
    c.finalizeEnd = this.finalizeEnd;
    c.seenAfter = this.seenAfter;
    c.kernelEvents = this.kernelEvents;
    c.kernelResolved = this.kernelResolved;
    c.time.set(this.time.subarray(0, n));
    c.thread.set(this.thread.subarray(0, n));
    c.pcHi.set(this.pcHi.subarray(0, n));
    c.pcLo.set(this.pcLo.subarray(0, n));
    c.sym.set(this.sym.subarray(0, n));
    return c;
  }

  get full(): boolean {
    return this.length >= this.capacity;
  }

  clear(): void {
    this.length = 0;
    this.finalizeEnd = -1;
    this.kernelEvents = 0;
    this.kernelResolved = 0;
    this.seenAfter = null;
  }
}

/** pcHi of an event a pre-resolved parser named itself: non-canonical, so never a real pc. */
export const SYMBOLIC_PC_HI = 0x80000000;

/** Formats a pc held as two 32-bit halves as 0x-prefixed lower-case hex, exactly. */
export function pcHex(hi: number, lo: number): string {
  if (hi === 0) return '0x' + lo.toString(16);
  return '0x' + hi.toString(16) + lo.toString(16).padStart(8, '0');
}
