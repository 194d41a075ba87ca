/**
 * A pool of parse workers. Units are handed out in file order, at most `ahead` per worker in flight,
 * and results are yielded strictly in unit order, so memory stays bounded (a few units of columns)
 * whatever the file size, and the main thread sees events in file order.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BootprofError } from '../io/errors.js';
import { EventBatch } from '../model/batch.js';
import { TooManyThreadsError } from '../formats/parser.js';
import type { WorkerInit, WorkerReply } from './protocol.js';
import type { WorkUnit } from './range-source.js';
import type { UnitResult } from './unit.js';

interface Deferred {
  promise: Promise<UnitResult>;
  resolve(r: UnitResult): void;
  reject(e: unknown): void;
}

function deferred(): Deferred {
  let resolve!: (r: UnitResult) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<UnitResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // rejections are observed when awaited in order
  return { promise, resolve, reject };
}

/**
 * Parse workers per core, at most: beyond that workers only add memory (each has its own heap, batch
 * buffers and wasm memories, ~10 MB resident each) and contention (`-j 256` on 2 cores: 2.6 GB and
 * 5x slower than `-j 2`).
 */
export const WORKERS_PER_CORE = 2;

/**
 * Workers for a run: the requested number, at most WORKERS_PER_CORE per core and one per work unit.
 * `capped` says the per-core cap is what limited it (worth a note).
 */
export function poolSize(requested: number, units: number, cores: number = availableParallelism()): { workers: number; capped: boolean } {
  const perCore = Math.max(1, cores) * WORKERS_PER_CORE;
  const workers = Math.max(1, Math.min(requested, perCore, units));
  return { workers, capped: requested > perCore && units > perCore };
}

/**
 * The parse worker beside this module: dist/parallel/parse-worker.js, or dist/bundle/parse-worker.js
 * in the CLI's bundle (scripts/build-cli.mjs); dist/parallel's when running from the TypeScript
 * sources (tests).
 */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/parallel/parse-worker.js', here) : new URL('./parse-worker.js', here);
}

/** Parse workers kept between runs in one process (in-process CLI runs, a diff of two traces). */
const idle: Worker[] = [];
const MAX_IDLE = 8;

export class UnitPool {
  private readonly workers: Worker[] = [];
  private readonly outstanding: number[] = [];
  private readonly waiting = new Map<number, Deferred>();
  private readonly owner = new Map<number, number>();

  constructor(threads: number, init: WorkerInit) {
    for (let w = 0; w < threads; w++) {
      let worker = idle.pop();
      if (worker !== undefined) {
        worker.removeAllListeners('error');
        worker.ref();
        worker.postMessage({ type: 'init', init });
      } else worker = new Worker(workerUrl(), { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
      worker.on('message', (m: WorkerReply) => this.onMessage(w, m));
      worker.on('error', (err) => this.failAll(err));
      this.workers.push(worker);
      this.outstanding.push(0);
    }
  }

  private onMessage(w: number, m: WorkerReply): void {
    this.outstanding[w]--;
    if (m.type === 'unit') {
      const r = m.result;
      const d = this.waiting.get(r.index);
      d?.resolve({
        ...r,
        batches: r.batches.map((c) => {
          const b = EventBatch.fromColumns(c);
          b.owned = true; // returned by recycle() unless a stage keeps it (EventBatch.hold)
          return b;
        }),
      });
    } else if (m.threads) {
      const e = new TooManyThreadsError(m.threads.line);
      e.threadIds = m.threads.ids;
      e.threadLines = m.threads.lines;
      this.waiting.get(m.index)?.reject(e);
    } else {
      this.waiting.get(m.index)?.reject(new BootprofError(m.code, m.message));
    }
  }

  private failAll(err: unknown): void {
    for (const d of this.waiting.values()) d.reject(err);
  }

  /** Hands a consumed unit's batches back to the worker that made them, for reuse (not those a stage kept). */
  recycle(r: UnitResult): void {
    const w = this.owner.get(r.index);
    this.owner.delete(r.index);
    if (w === undefined) return;
    const cols = r.batches.filter((b) => !b.kept).map((b) => b.toColumns());
    this.workers[w].postMessage({ type: 'recycle', batches: cols }, cols.flatMap(EventBatch.buffers));
  }

  /** Yields the units' results in order. */
  async *run(units: readonly WorkUnit[], ahead = 2): AsyncGenerator<UnitResult> {
    let next = 0;
    const dispatch = (): void => {
      while (next < units.length) {
        let w = 0;
        for (let k = 1; k < this.workers.length; k++) if (this.outstanding[k] < this.outstanding[w]) w = k;
        if (this.outstanding[w] >= ahead) return;
        const u = units[next++];
        this.waiting.set(u.index, deferred());
        this.owner.set(u.index, w);
        this.outstanding[w]++;
        this.workers[w].postMessage({ type: 'unit', unit: u });
      }
    };
    dispatch();
    for (const u of units) {
      const d = this.waiting.get(u.index)!;
      const r = await d.promise;
      this.waiting.delete(u.index);
      dispatch();
      yield r;
    }
  }

  /**
   * Ends the run. A worker with nothing in flight is kept (at most MAX_IDLE, unreferenced so the
   * process still exits) for the next run in this process: starting one costs ~0.3 s of module
   * loading and wasm compilation; any other is terminated.
   */
  async close(): Promise<void> {
    const done: Promise<number>[] = [];
    this.workers.forEach((worker, w) => {
      worker.removeAllListeners('message');
      worker.removeAllListeners('error');
      if (this.outstanding[w] === 0 && idle.length < MAX_IDLE) {
        worker.postMessage({ type: 'close' });
        worker.on('error', () => {
          const k = idle.indexOf(worker);
          if (k >= 0) idle.splice(k, 1);
        });
        worker.unref();
        idle.push(worker);
      } else done.push(worker.terminate());
    });
    await Promise.all(done);
  }
}
