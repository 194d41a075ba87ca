/** Messages between the pool (main thread) and parse workers. */
import type { ErrorCode } from '../io/errors.js';
import type { TimeOrigin } from '../formats/parser.js';
import type { BatchColumns } from '../model/batch.js';
import type { TableTransfer } from '../symbols/transfer.js';
import type { WorkUnit } from './range-source.js';
import type { UnitOptions, UnitResult } from './unit.js';

export interface WorkerInit {
  path: string;
  name: string;
  size: number;
  format: string;
  head: Uint8Array;
  table: TableTransfer | null;
  /** KASLR slide the worker's resolver applies (known up front; the main thread redoes codes if not). */
  slide: number;
  /** The trace's time origin, when known from its first page: units then need no rebasing. */
  origin: TimeOrigin | null;
  options: UnitOptions;
}

/**
 * `init` starts a new run in a worker kept from an earlier one (a new worker gets its WorkerInit as
 * workerData); `close` ends a run: the worker closes the trace and waits for the next `init`.
 */
export type WorkerRequest =
  { type: 'init'; init: WorkerInit } | { type: 'unit'; unit: WorkUnit } | { type: 'recycle'; batches: BatchColumns[] } | { type: 'close' };

export type WorkerReply =
  | { type: 'unit'; result: Omit<UnitResult, 'batches'> & { batches: BatchColumns[] } }
  | {
      type: 'error';
      index: number;
      code: ErrorCode;
      message: string;
      /** Set for a TooManyThreadsError: its unit-local line and the unit's thread ids so far. */
      threads?: { line: number; ids: number[]; lines: number[] };
    };
