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

/**
 * Batches the main thread has consumed and sent back: reused, so memory does not churn. A worker
 * makes at most MAX_BATCHES of its own; past that it waits for some to come back before it starts a
 * unit (fresh batches cost page faults and zeroing; a worker that runs ahead of the main thread
 * would otherwise keep allocating).
 */
const MAX_BATCHES = 12;
const free: EventBatch[] = [];
let made = 0;
let returned: (() => void) | null = null;
const newBatch = (): EventBatch => {
  const b = free.pop();
  if (b) {
    b.clear();
    return b;
  }
  made++;
  return new EventBatch(init.options.batchSize);
};

/**
 * Waits until a unit's batches can come from the free list, 50 ms at most: the batches this worker
 * made may all sit in units the main thread has not reached (it waits for another worker's), and then
 * making new ones is the way on.
 */
async function room(): Promise<void> {
  const until = Date.now() + 50;
  while (free.length === 0 && made >= MAX_BATCHES && Date.now() < until) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, until - Date.now()));
      returned = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

async function setup(i: WorkerInit): Promise<void> {
  init = i;
  format = FORMATS.find((f) => f.name === init.format)!;
  const resolver = new Resolver(init.table ? tableFromTransfer(init.table) : null);
  resolver.slide = init.slide;
  symbolizer = new Symbolizer(resolver);
  free.length = 0; // the batch size may differ from the last run's
  made = 0;
  fh = await fsp.open(init.path, 'r');
}

// Units are parsed one at a time: the read buffer and the wasm instance are per thread. Returned
// batches are taken at once, not queued behind the units (a unit may be waiting for them).
let queue: Promise<void> = setup(workerData as WorkerInit).catch(() => {});
parentPort!.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'recycle') {
    for (const c of msg.batches) if (free.length < MAX_BATCHES) free.push(EventBatch.fromColumns(c));
    returned?.();
    returned = null;
    return;
  }
  const m = msg;
  queue = queue.then(() => handle(m));
});

async function handle(msg: Exclude<WorkerRequest, { type: 'recycle' }>): Promise<void> {
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
    await room();
    const r = await parseUnit(fh, init.size, init.name, msg.unit, format, init.head, symbolizer, init.options, newBatch, init.origin, (b) => free.push(b));
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
