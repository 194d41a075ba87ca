/** Test helpers: run the real pipeline over text in memory, with forced chunk sizes. */
import { memorySource } from '../src/io/source.js';
import { runPipeline, type RunResult, type TraceInfo } from '../src/pipeline.js';
import { systemMapFromText } from '../src/symbols/system-map.js';
import type { Analysis } from '../src/analyze/analysis.js';
import { vi } from 'vitest';
import { main } from '../src/cli.js';

export interface TextRunOptions {
  /** System.map text; omitted: no symbols. */
  map?: string;
  chunkSize?: number;
  maxLine?: number;
  batchSize?: number;
  strict?: boolean;
}

export async function runText(text: string | Uint8Array, setup: (info: TraceInfo) => readonly Analysis[], o: TextRunOptions = {}): Promise<RunResult> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  const table = o.map !== undefined ? systemMapFromText(o.map) : null;
  return runPipeline({ source: memorySource(bytes, 'test.log'), chunkSize: o.chunkSize, maxLine: o.maxLine, batchSize: o.batchSize, strict: o.strict }, setup, {
    table,
    mapPath: table ? 'test.map' : null,
    note: null,
  });
}

/** A QEMU log line: `tid@sec.usec:exec_tb tb:0x... pc=0x...`. */
export function logLine(tid: number, usec: number, pc: string): string {
  const sec = 1700000000 + Math.floor(usec / 1e6);
  const frac = String(usec % 1e6).padStart(6, '0');
  return `${tid}@${sec}.${frac}:exec_tb tb:0x7f0000001000 pc=${pc}\n`;
}

/**
 * Writes the decimal digits of `v` (a non-negative integer) into `b` at `at`, zero-padded to `width`;
 * returns the end. For tests that write millions of trace lines straight into bytes (template strings
 * joined take seconds there).
 */
export function putDecimal(b: Uint8Array, at: number, v: number, width = 1): number {
  let n = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) n++;
  n = Math.max(n, width);
  for (let k = n - 1; k >= 0; k--, v = Math.floor(v / 10)) b[at + k] = 48 + (v % 10);
  return at + n;
}

export const CHUNK_SIZES = [1, 7, 64, 1 << 20] as const;

/** A small seeded PRNG (mulberry32): integers in [0, n). */
export function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n) | 0;
  };
}

/** Runs the CLI in-process; returns stdout, stderr and the exit code. */
export async function cli(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    out += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    err += String(chunk);
    return true;
  });
  process.exitCode = 0;
  try {
    await main(['node', 'bootprof', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}
