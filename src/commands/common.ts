/** Option handling shared by the commands: output format choice and stderr messages. */
import { BootprofError } from '../io/errors.js';
import type { InputOptions } from '../pipeline.js';
import { INPUT_TIME_UNITS, type InputTimeUnit } from '../formats/parser.js';
import { parseSlide, type KaslrMode } from '../symbols/kaslr.js';

export type OutputFormat = 'table' | 'csv' | 'json';

export interface CommonOptions {
  /** --map: one file, or several (the option is repeatable). */
  map?: string | string[];
  vmlinux?: string;
  timeUnit?: string;
  kaslr?: string;
  kaslrOffset?: string;
  format?: string;
  output?: string;
  strict?: boolean;
  inputFormat?: string;
  quiet?: boolean;
  threads?: string;
  /** Hidden, for tests: work-unit and read sizes in bytes. */
  unitSize?: string;
  chunkSize?: string;
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
  const maps = o.map === undefined ? [] : Array.isArray(o.map) ? o.map : [o.map];
  return {
    trace,
    maps,
    vmlinux: o.vmlinux,
    strict: o.strict,
    inputFormat: o.inputFormat,
    threads: parseThreads(o.threads),
    unitSize: o.unitSize !== undefined ? parseBytes(o.unitSize, '--unit-size') : undefined,
    chunkSize: o.chunkSize !== undefined ? parseBytes(o.chunkSize, '--chunk-size') : undefined,
    progress: !o.quiet,
    timeUnit: parseTimeUnit(o.timeUnit),
    kaslr: { mode: parseKaslrMode(o.kaslr), offset: o.kaslrOffset !== undefined ? parseSlide(o.kaslrOffset) : undefined },
  };
}

/** --time-unit s|ms|us|ns (µs and "usec" accepted as us). */
export function parseTimeUnit(v: string | undefined): InputTimeUnit | undefined {
  if (v === undefined) return undefined;
  const u = v.toLowerCase().replace('µ', 'u').replace(/^(sec|secs|seconds?)$/, 's').replace(/^usecs?$/, 'us').replace(/^nsecs?$/, 'ns').replace(/^msecs?$/, 'ms');
  if (!(INPUT_TIME_UNITS as readonly string[]).includes(u)) throw new BootprofError('E_USAGE', `--time-unit must be one of ${INPUT_TIME_UNITS.join(', ')} (got '${v}')`);
  return u as InputTimeUnit;
}

/** --kaslr auto|off (a hex value is taken as --kaslr-offset). */
export function parseKaslrMode(v: string | undefined): KaslrMode | undefined {
  if (v === undefined) return undefined;
  if (v === 'auto' || v === 'off') return v;
  throw new BootprofError('E_USAGE', `--kaslr takes auto or off (got '${v}'); a known slide goes to --kaslr-offset HEX`);
}

/** A plain decimal integer ("8"; not "", "1e2", "0x2", " 3"), else NaN. */
function decimal(v: string): number {
  return /^[0-9]+$/.test(v) ? Number(v) : NaN;
}

export function parseThreads(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = decimal(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new BootprofError('E_USAGE', `--threads takes a whole number from 1 to 256 (got '${v}')`);
  return n;
}

function parseBytes(v: string, opt: string): number {
  const n = decimal(v);
  if (!Number.isInteger(n) || n < 1) throw new BootprofError('E_USAGE', `${opt} takes a positive number of bytes (got '${v}')`);
  return n;
}

export function parseTop(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = decimal(v);
  if (!Number.isInteger(n) || n < 0) throw new BootprofError('E_USAGE', `--top takes a whole number (got '${v}')`);
  return n;
}
