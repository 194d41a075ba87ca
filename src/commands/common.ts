/** Option handling shared by the commands: output format choice and stderr messages. */
import { BootprofError } from '../io/errors.js';
import type { InputOptions } from '../pipeline.js';

export type OutputFormat = 'table' | 'csv' | 'json';

export interface CommonOptions {
  map?: string;
  format?: string;
  output?: string;
  strict?: boolean;
  inputFormat?: string;
  quiet?: boolean;
  threads?: string;
}

/** --format, else the -o file's extension, else table on a terminal and CSV into a pipe or file. */
export function chooseFormat(opt: string | undefined, output: string | undefined, allowed: readonly string[] = ['table', 'csv', 'json']): string {
  if (opt) {
    if (!allowed.includes(opt)) throw new BootprofError('E_USAGE', `--format must be one of ${allowed.join(', ')} (got '${opt}')`);
    return opt;
  }
  if (output && output !== '-') {
    const ext = output.toLowerCase().split('.').pop() ?? '';
    if (allowed.includes(ext)) return ext;
    return allowed.includes('csv') ? 'csv' : allowed[0];
  }
  return process.stdout.isTTY ? allowed[0] : allowed.includes('csv') ? 'csv' : allowed[0];
}

export function warn(msg: string): void {
  process.stderr.write(`bootprof: ${msg}\n`);
}

export function inputOptions(trace: string | undefined, o: CommonOptions): InputOptions {
  return { trace, map: o.map, strict: o.strict, inputFormat: o.inputFormat, threads: parseThreads(o.threads) };
}

export function parseThreads(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new BootprofError('E_USAGE', `--threads takes a whole number from 1 to 256 (got '${v}')`);
  return n;
}

export function parseTop(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new BootprofError('E_USAGE', `--top takes a whole number (got '${v}')`);
  return n;
}
