/**
 * Shared by the output tests (output-*.test.ts): the real binary with stdout to a pipe or to a file
 * descriptor, main() in-process with stderr captured, scratch device nodes, the one-line rule.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { main } from '../../src/cli.js';
import { MAP_PATH, SAMPLES } from '../formats-helpers.js';

export const BIN = new URL('../../bin/bootprof.js', import.meta.url).pathname;
export const ENTRY = SAMPLES + 'kernel-entry-20k.log.gz';
export const USERSPACE = SAMPLES + 'userspace-500k.log.gz';
export { MAP_PATH };

export interface Ran {
  code: number | null;
  signal?: string | null;
  out: string;
  err: string;
}

/** The real binary; `stdoutTo`: a path opened for writing (`stdoutFlags`, default 'w') as its stdout (else a pipe). */
export function run(args: string[], opts: { stdoutTo?: string; stdoutFlags?: string; input?: string | Buffer } = {}): Ran {
  const fd = opts.stdoutTo !== undefined ? openSync(opts.stdoutTo, opts.stdoutFlags ?? 'w') : undefined;
  try {
    const r = spawnSync('node', [BIN, ...args], {
      input: opts.input,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      timeout: 60_000,
      stdio: ['pipe', fd ?? 'pipe', 'pipe'],
    });
    return { code: r.status, signal: r.signal, out: r.stdout ?? '', err: r.stderr };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Spawns the binary with stdin left open (the run waits mid-read until stdin ends or it is killed). */
export function spawnOpen(args: string[]): { p: ChildProcess; closed: Promise<{ code: number | null; signal: string | null; err: string }> } {
  const p = spawn('node', [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  p.stdout!.resume();
  p.stdin!.on('error', () => {});
  const closed = new Promise<{ code: number | null; signal: string | null; err: string }>((resolve) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, err });
    });
  });
  return { p, closed };
}

/** The binary's main() in this process, stderr captured (stdout is not: use -o). */
export async function inproc(args: string[]): Promise<Ran> {
  let err = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  const saved = process.exitCode;
  process.exitCode = undefined;
  try {
    await main(['node', 'bootprof', ...args]);
    return { code: (process.exitCode as number | undefined) ?? 0, out: '', err };
  } finally {
    process.stderr.write = write;
    process.exitCode = saved;
  }
}

/** Exactly one stderr line, equal to `line`, the exit code `code`, no stack trace. */
export function expectLine(r: Ran, code: number, line: string, label = ''): void {
  const lines = r.err.split('\n').filter((l) => l !== '');
  expect({ label, code: r.code, lines }).toEqual({ label, code, lines: [line] });
}

/** Makes a character device node DIR/NAME (1,7 = full, 1,3 = null); false when mknod is not permitted. */
export function scratchDevice(dir: string, name: string, major: number, minor: number, type: 'c' | 'b' = 'c'): string | null {
  const path = join(dir, name);
  const r = spawnSync('mknod', [path, type, String(major), String(minor)]);
  return r.status === 0 ? path : null;
}
