/** Worker thread: parses the work units the pool sends, one at a time, and posts their columns. */
import { promises as fsp } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { BootprofError } from '../io/errors.js';
import { EventBatch } from '../model/batch.js';
import { FORMATS } from '../formats/index.js';
import { TooManyThreadsError } from '../formats/parser.js';
import { Resolver } from '../symbols/resolver.js';
import { Symbolizer } from '../symbols/symbolize.js';
import { tableFromTransfer } from '../symbols/transfer.js';
import { parseUnit } from './unit.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './protocol.js';

// A worker serves one run at a time; the pool may keep it for the next run in the same process
// (parallel/pool.ts), which then sends `init` with that run's trace, format and symbols.
let init!: WorkerInit;
let format!: (typeof FORMATS)[number];
let symbolizer!: Symbolizer;
let fh: fsp.FileHandle | null = null;

/** Batches the main thread has consumed and sent back: reused, so memory does not churn. */
const free: EventBatch[] = [];
const newBatch = (): EventBatch => {
  const b = free.pop();
  if (b) {
    b.clear();
    return b;
  }
  return new EventBatch(init.options.batchSize);
};

async function setup(i: WorkerInit): Promise<void> {
  init = i;
  format = FORMATS.find((f) => f.name === init.format)!;
  const resolver = new Resolver(init.table ? tableFromTransfer(init.table) : null);
  resolver.slide = init.slide;
  symbolizer = new Symbolizer(resolver);
  free.length = 0; // the batch size may differ from the last run's
  fh = await fsp.open(init.path, 'r');
}

// Units are parsed one at a time: the read buffer and the wasm instance are per thread.
let queue: Promise<void> = setup(workerData as WorkerInit).catch(() => {});
parentPort!.on('message', (msg: WorkerRequest) => {
  queue = queue.then(() => handle(msg));
});

async function handle(msg: WorkerRequest): Promise<void> {
  if (msg.type === 'recycle') {
    for (const c of msg.batches) if (free.length < 8) free.push(EventBatch.fromColumns(c));
    return;
  }
  if (msg.type === 'init') {
    await setup(msg.init).catch(() => {});
    return;
  }
  if (msg.type === 'close') {
    const f = fh;
    fh = null;
    await f?.close();
    return;
  }
  try {
    if (fh === null) throw new BootprofError('E_UNREADABLE', `${init.name}: cannot open the trace in a parse worker`);
    const r = await parseUnit(fh, init.size, init.name, msg.unit, format, init.head, symbolizer, init.options, newBatch, init.origin);
    const batches = r.batches.map((b) => b.toColumns());
    const reply: WorkerReply = { type: 'unit', result: { ...r, batches } };
    parentPort!.postMessage(reply, batches.flatMap(EventBatch.buffers));
  } catch (err) {
    const e = err as Error;
    const reply: WorkerReply = {
      type: 'error',
      index: msg.unit.index,
      code: err instanceof BootprofError ? err.code : 'E_UNREADABLE',
      message: e && e.message ? (process.env.BOOTPROF_DEBUG ? String(e.stack) : e.message) : String(err),
      threads: err instanceof TooManyThreadsError ? { line: err.line, ids: err.threadIds, lines: err.threadLines } : undefined,
    };
    parentPort!.postMessage(reply);
  }
}
