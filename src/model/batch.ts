/**
 * The one columnar event batch every stage shares (in the spirit of the Firefox Profiler's
 * processed format): parallel typed arrays, no object per event.
 *
 *  time    ns relative to the trace's first event (exact integers in a double: 2^53 ns is 104 days);
 *          for untimed traces, the event's ordinal in the file
 *  thread  vCPU index: order of first appearance of the thread id (see ParserState.threadIds)
 *  pcHi/Lo the guest pc's upper and lower 32 bits: exact, a 64-bit pc does not fit in a double
 *  sym     name id (model/names.ts): a region label or a function, filled by the symbol stage
 *  off     filled by the symbol stage with sym: the pc's offset in bytes into that function (0: the
 *          event is at the function's first byte, i.e. a call), exact; NO_OFFSET for regions
 *  tbHi/Lo the host pointer of the translated block QEMU ran (exec_tb's tb: field; 0 where a format
 *          has none)
 *  xlat    filled by the translation stage (model/translations.ts) when the trace carries `-d in_asm`
 *          records: the id of the event's translation record, NO_TRANSLATION (-1) for none; only read
 *          when the batch is `translated`
 *  insns   filled by the translation stage with xlat: the instruction count of the event's block (0
 *          without a record or a count)
 * A batch also carries the translation records its lines held (`records`, few), each with the index
 * of the event it came before.
 */
import type { PlacedRecord } from './translations.js';
import type { UnitMerge } from '../analyze/unit-merge.js';

export const BATCH_CAPACITY = 1 << 16;

/** `off` of an event that is not in a function (a region label). */
export const NO_OFFSET = -1;

/** The typed-array columns, declared once: construction, copies and transfers between threads use this list. */
const COLUMNS = {
  time: Float64Array,
  thread: Uint32Array,
  pcHi: Uint32Array,
  pcLo: Uint32Array,
  sym: Int32Array,
  off: Float64Array,
  tbHi: Uint32Array,
  tbLo: Uint32Array,
  xlat: Int32Array,
  insns: Int32Array,
} as const;
export type ColumnName = keyof typeof COLUMNS;
const COLUMN_NAMES = Object.keys(COLUMNS) as ColumnName[];
type Columns = { readonly [K in ColumnName]: InstanceType<(typeof COLUMNS)[K]> };

/** The columns of a batch as plain data (structured-clone / transfer between threads). */
export interface BatchColumns extends Columns {
  length: number;
  records: PlacedRecord[];
  finalizeEnd: number;
  kernelEvents: number;
  kernelResolved: number;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- on purpose: the constructor assigns the columns by name (COLUMN_NAMES); this types them
export interface EventBatch extends Columns {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
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
  /** Translation records read among this batch's lines, in file order (formats/qemu-in-asm.ts). */
  records: PlacedRecord[] = [];
  /** Set by the translation stage: `xlat` holds every event's translation id. */
  translated = false;
  /**
   * Parallel runs: the batch belongs to a work unit whose partials the workers computed; analyses
   * with mergeUnit skip it and merge `unitMerge` (set on the unit's first batch) instead.
   */
  merged = false;
  unitMerge: UnitMerge | null = null;
  /**
   * Set by a producer that does not reuse this batch after handing it on (a parse worker's batch on
   * the main thread): a stage that must hold events (KASLR or PIE-base vote) may keep the batch itself
   * (hold()) instead of a copy. Otherwise the producer refills it and holding means copying.
   */
  owned = false;
  /** Set by hold(): a stage holds this batch; its producer must not take it back for reuse. */
  kept = false;

  /**
   * This batch to hold, for a stage that must hold events: itself when `owned` and at least half full,
   * else a copy of just its events (a held batch costs its capacity: kept nearly empty batches, as
   * tiny work units give, would cost many times the events they hold).
   */
  hold(omit: readonly ColumnName[] = []): EventBatch {
    if (!this.owned || this.length * 2 < this.capacity) return this.copy(omit);
    this.kept = true;
    return this;
  }

  constructor(
    readonly capacity: number = BATCH_CAPACITY,
    columns?: BatchColumns,
  ) {
    const self = this as unknown as Record<ColumnName, unknown>;
    if (columns) {
      for (const k of COLUMN_NAMES) self[k] = columns[k];
      this.length = columns.length;
      this.records = columns.records;
      this.finalizeEnd = columns.finalizeEnd;
      this.kernelEvents = columns.kernelEvents;
      this.kernelResolved = columns.kernelResolved;
      return;
    }
    for (const k of COLUMN_NAMES) self[k] = new COLUMNS[k](capacity);
  }

  static fromColumns(c: BatchColumns): EventBatch {
    return new EventBatch(c.time.length, c);
  }

  toColumns(): BatchColumns {
    const c = {
      length: this.length,
      records: this.records,
      finalizeEnd: this.finalizeEnd,
      kernelEvents: this.kernelEvents,
      kernelResolved: this.kernelResolved,
    } as Record<string, unknown>;
    for (const k of COLUMN_NAMES) c[k] = this[k];
    return c as unknown as BatchColumns;
  }

  /** The columns' buffers, for a transfer list. */
  static buffers(c: BatchColumns): ArrayBuffer[] {
    return COLUMN_NAMES.map((k) => c[k].buffer as ArrayBuffer);
  }

  /**
   * A copy of the first `length` events and the batch's flags, in a batch of just that size. Columns
   * in `omit` are not copied (left empty: restore() gives them back, zeroed) to save memory where a
   * batch is held and the column is not read again, or not filled yet.
   */
  copy(omit: readonly ColumnName[] = []): EventBatch {
    const n = this.length;
    const c = new EventBatch(Math.max(1, n), omit.length > 0 ? this.emptyColumns(omit) : undefined);
    c.length = n;
    c.firstLine = this.firstLine;
    c.presymbolized = this.presymbolized;
    c.finalizeEnd = this.finalizeEnd;
    c.seenAfter = this.seenAfter;
    c.kernelEvents = this.kernelEvents;
    c.kernelResolved = this.kernelResolved;
    c.records = this.records.slice();
    c.translated = this.translated;
    c.merged = this.merged;
    c.unitMerge = this.unitMerge;
    for (const k of COLUMN_NAMES) if (!omit.includes(k)) (c[k] as Float64Array).set((this[k] as Float64Array).subarray(0, n));
    return c;
  }

  /** Columns for copy(omit): empty for the omitted ones, `length` long for the rest. */
  private emptyColumns(omit: readonly ColumnName[]): BatchColumns {
    const n = Math.max(1, this.length);
    const c = { length: 0, records: [], finalizeEnd: -1, kernelEvents: 0, kernelResolved: 0 } as Record<string, unknown>;
    for (const k of COLUMN_NAMES) c[k] = new COLUMNS[k](omit.includes(k) ? 0 : n);
    return c as unknown as BatchColumns;
  }

  /** Gives columns emptied by copy(omit) back, zeroed, `capacity` long. */
  restore(): void {
    const self = this as unknown as Record<ColumnName, { length: number }>;
    for (const k of COLUMN_NAMES) if (self[k].length < this.capacity) self[k] = new COLUMNS[k](this.capacity);
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
    if (this.records.length > 0) this.records = [];
    this.translated = false;
    this.merged = false;
    this.unitMerge = null;
    this.kept = false;
  }
}

/** pcHi of an event a pre-resolved parser named itself: non-canonical, so never a real pc. */
export const SYMBOLIC_PC_HI = 0x80000000;

/** Formats a pc held as two 32-bit halves as 0x-prefixed lower-case hex, exactly. */
export function pcHex(hi: number, lo: number): string {
  if (hi === 0) return '0x' + lo.toString(16);
  return '0x' + hi.toString(16) + lo.toString(16).padStart(8, '0');
}
