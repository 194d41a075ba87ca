/**
 * Parses one work unit into symbolized-as-far-as-possible columns: what a worker thread does, and
 * what tests call in-process. Static symbol codes are computed here (Symbolizer.codes); the per-vCPU
 * rule, thread-index remapping and time rebasing happen on the main thread, in unit order
 * (pipeline.ts), so every analysis sees exactly the events of a sequential read.
 */
import type { promises as fsp } from 'node:fs';
import { DEFAULT_CHUNK, DEFAULT_MAX_LINE, readLineBlocks } from '../io/chunks.js';
import { TooManyThreadsError, type ParseStats, type TimeOrigin, type TimeUnit, type TraceFormat } from '../formats/parser.js';
import { EventBatch } from '../model/batch.js';
import { Symbolizer } from '../symbols/symbolize.js';
import { ownedRange, rangeSource, type WorkUnit } from './range-source.js';
import { SelfTimeUnit } from '../analyze/self-time.js';
import { CountsUnit } from '../analyze/trace-counts.js';
import type { UnitPartials } from '../analyze/unit-merge.js';

export interface UnitResult {
  index: number;
  from: number;
  to: number;
  batches: EventBatch[];
  stats: ParseStats;
  /** Thread ids in order of first appearance within the unit (batch.thread indexes this). */
  threadIds: number[];
  /** Line (counted from the unit's first) of each thread id's first event. */
  threadLines: number[];
  /** Unit thread indexes that ran a kernel virtual pc in this unit (Symbolizer.partialFinalize). */
  seenThreads: number[];
  /** The unit's time origin (its first event's), null when it has no timed event. */
  origin: TimeOrigin | null;
  unit: TimeUnit;
  /** File offset of an unterminated last line (only the file's last unit can have one), else -1. */
  unterminated: number;
  /** The analyses that run in the workers, folded over this unit (analyze/unit-merge.ts); null for an untimed unit. */
  partials: UnitPartials | null;
}

export interface UnitOptions {
  chunkSize?: number;
  maxLine?: number;
  batchSize?: number;
}

/** The read buffer a thread reuses for every unit it parses (one unit at a time per thread). */
let threadBuffer: Buffer | undefined;
function unitBuffer(o: UnitOptions): Buffer {
  const need = (o.chunkSize ?? DEFAULT_CHUNK) + (o.maxLine ?? DEFAULT_MAX_LINE) + 1;
  if (!threadBuffer || threadBuffer.length < need) threadBuffer = Buffer.allocUnsafe(need);
  return threadBuffer;
}

/** The per-thread folds of the analyses that run in workers (reused: one unit at a time per thread). */
let selfTimeUnit: SelfTimeUnit | undefined;
let countsUnit: CountsUnit | undefined;

/** Folds the unit's batches (static codes, partly finalized) into the partials of the worker analyses. */
function foldUnit(batches: readonly EventBatch[]): UnitPartials {
  const st = (selfTimeUnit ??= new SelfTimeUnit());
  const ct = (countsUnit ??= new CountsUnit());
  for (const b of batches) {
    st.consume(b);
    ct.consume(b);
  }
  return { selfTime: st.take(), counts: ct.take() };
}

/** Where a unit's batches come from: a free list of recycled ones, else new. */
export type BatchSource = () => EventBatch;

export async function parseUnit(
  fh: fsp.FileHandle,
  size: number,
  name: string,
  u: WorkUnit,
  format: TraceFormat,
  head: Uint8Array,
  symbolizer: Symbolizer,
  o: UnitOptions = {},
  newBatch: BatchSource = () => new EventBatch(o.batchSize),
  origin: TimeOrigin | null = null,
  /** Takes back a batch the unit did not fill (its last, or its only one when it had no event). */
  giveBack: (b: EventBatch) => void = () => {},
): Promise<UnitResult> {
  const [from, to] = await ownedRange(fh, u, size, name, format.name === 'qemu-log');
  const parser = format.create(head);
  if (origin) parser.setOrigin(origin);
  const batches: EventBatch[] = [];
  let batch = newBatch();
  let seen = new Uint8Array(16);
  let unterminated = -1;
  /** Hands the filled batch on; a new one follows unless it was the unit's last. */
  const flush = (last: boolean): void => {
    if (batch.length === 0) return;
    symbolizer.codes(batch);
    if (parser.threadIds.length > seen.length) {
      const grown = new Uint8Array(parser.threadIds.length * 2);
      grown.set(seen);
      seen = grown;
    }
    Symbolizer.partialFinalize(batch, seen);
    batches.push(batch);
    if (!last) batch = newBatch();
  };
  try {
    await readLineBlocks(
      rangeSource(fh, from, to, name),
      {
        block(buf, start, end, base) {
          let pos = start;
          while (pos < end) {
            pos = parser.parse(buf, pos, end, base, batch);
            if (batch.full) flush(false);
          }
        },
        dropped: (reason, offset, snippet) => parser.dropped(reason, offset, snippet),
        unterminated: (offset) => (unterminated = offset),
      },
      { chunkSize: o.chunkSize, maxLine: o.maxLine, baseOffset: from, buffer: unitBuffer(o) },
    );
  } catch (err) {
    if (err instanceof TooManyThreadsError) {
      err.threadIds = parser.threadIds;
      err.threadLines = parser.threadLines;
    }
    parser.release();
    throw err;
  }
  // (the last batch is not followed by a new one: a batch taken and dropped here cost every unit a fresh allocation)
  if (batch.length > 0) flush(true);
  else giveBack(batch);
  parser.release();
  const partials = parser.unit === 'ns' && batches.length > 0 ? foldUnit(batches) : null;
  return {
    index: u.index,
    from,
    to,
    batches,
    stats: parser.stats,
    threadIds: parser.threadIds,
    threadLines: parser.threadLines,
    seenThreads: parser.threadIds.map((_, t) => t).filter((t) => seen[t] === 1),
    origin: parser.origin,
    unit: parser.unit,
    unterminated,
    partials,
  };
}
