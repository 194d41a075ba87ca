/** Option handling shared by the commands: output format choice and stderr messages. */
import { BootprofError } from '../io/errors.js';
import { DOCUMENT_FORMATS } from '../output/document.js';
import { isDirectoryTarget } from '../output/sink.js';
import type { InputOptions } from '../pipeline.js';
import { INPUT_TIME_UNITS, type InputTimeUnit } from '../formats/parser.js';
import { parseSlide, type KaslrMode } from '../symbols/kaslr.js';
import { defaultWeight, WEIGHTS, type Weight } from '../model/weight.js';

export type OutputFormat = 'table' | 'csv' | 'json';

export interface CommonOptions {
  /** --map: one file, or several (the option is repeatable). */
  map?: string | string[];
  vmlinux?: string;
  userElf?: string[];
  timeUnit?: string;
  kaslr?: string;
  kaslrOffset?: string;
  format?: string;
  output?: string;
  /** --label: the `boot` column of Parquet output. */
  label?: string;
  strict?: boolean;
  inputFormat?: string;
  quiet?: boolean;
  /** --weight time|insns|events (commands that weigh events). */
  weight?: string;
  /** --group-by (self-time, report, flamegraph, diff: commands/group-by.ts). */
  groupBy?: string;
  threads?: string;
  /** Hidden, for tests: work-unit and read sizes in bytes. */
  unitSize?: string;
  chunkSize?: string;
}

/**
 * What an -o file's name says about its format, longest suffix first; the first format of a list
 * that the command writes is inferred. Any other name says nothing.
 */
const EXTENSION_FORMATS: readonly { suffix: string; formats: readonly string[] }[] = [
  { suffix: '.speedscope.json', formats: ['speedscope'] },
  { suffix: '.json', formats: ['json', 'chrome', 'speedscope'] },
  { suffix: '.csv', formats: ['csv'] },
  { suffix: '.folded', formats: ['folded'] },
  { suffix: '.html', formats: ['html'] },
  { suffix: '.htm', formats: ['html'] },
  { suffix: '.parquet', formats: ['parquet'] },
  { suffix: '.txt', formats: ['table', 'folded', 'csv'] },
];

/**
 * The output format, by one rule for every command: --format; else what the -o file's extension
 * names (`.json`: json, or chrome for flamegraph; `.speedscope.json`: speedscope; `.csv`; `.folded`;
 * `.txt`: the table, or folded stacks; `.html`); else the command's default (table on a terminal; into a pipe
 * or another file CSV where the command writes CSV, else its first format). A --format the extension
 * contradicts, or an extension naming only formats the command cannot write, is a usage error,
 * raised before any input is read.
 */
export function chooseFormat(
  opt: string | undefined,
  output: string | undefined,
  allowed: readonly string[] = DOCUMENT_FORMATS,
  command = 'this command',
): string {
  if (opt !== undefined && !allowed.includes(opt)) throw new BootprofError('E_USAGE', `--format must be one of ${allowed.join(', ')} (got '${opt}')`);
  const named = output && output !== '-' ? EXTENSION_FORMATS.find((e) => output.toLowerCase().endsWith(e.suffix)) : undefined;
  if (named) {
    const fits = named.formats.filter((f) => allowed.includes(f));
    if (fits.length === 0) {
      throw new BootprofError(
        'E_USAGE',
        `-o ${output}: ${command} cannot write ${named.formats[0]} (the '${named.suffix}' extension); it writes ${allowed.join(', ')}: pick a matching name or --format`,
      );
    }
    if (opt !== undefined && !fits.includes(opt)) {
      throw new BootprofError('E_USAGE', `--format ${opt} contradicts -o ${output} (a '${named.suffix}' file is ${fits.join(' or ')}): change one of them`);
    }
    if ((opt ?? fits[0]) === 'parquet') checkParquetTarget(output, allowed, command);
    return opt ?? fits[0];
  }
  if (opt === 'parquet') checkParquetTarget(output, allowed, command);
  if (opt !== undefined) return opt;
  if (output && output !== '-') {
    // `-o DIR/` (the slash says it): Parquet, one file per table; a directory named without the
    // slash is refused as any -o onto a directory is, unless --format parquet says so
    if (allowed.includes('parquet') && output.endsWith('/')) return 'parquet';
    return allowed.includes('csv') ? 'csv' : allowed[0];
  }
  return process.stdout.isTTY ? allowed[0] : allowed.includes('csv') ? 'csv' : allowed[0];
}

/**
 * Parquet goes to a directory (one file per table), a file or a pipe (the table CSV writes): never
 * to a terminal, and a command without a CSV table (report) needs a directory.
 */
function checkParquetTarget(output: string | undefined, allowed: readonly string[], command: string): void {
  const toStdout = !output || output === '-';
  if (toStdout && process.stdout.isTTY)
    throw new BootprofError('E_USAGE', '--format parquet writes binary data: give -o FILE.parquet (or -o DIR/ for one file per table), or a pipe');
  if (!allowed.includes('csv') && (toStdout || !isDirectoryTarget(output!)))
    throw new BootprofError('E_USAGE', `${command} writes one Parquet file per table: give -o DIR/ (DIR/functions.parquet, DIR/phases.parquet, ...)`);
}

/**
 * The error of a command that cannot run without symbols (syscalls, initcalls): what it needs and
 * why none were loaded, without the "running without symbols" of the note for the other commands.
 */
export function needsSymbolsError(command: string, what: string, note: string | null): BootprofError {
  const why = note
    ? note.replace(/: running without symbols(; pick one with --map)?$/, (_m, pick: string | undefined) => (pick ? ': pick one with --map' : ''))
    : '';
  return new BootprofError(
    'E_SYMBOLS',
    `${command} needs ${what}: give a System.map, kallsyms copy or vmlinux with --map FILE or --vmlinux FILE${why ? ` (${why})` : ''}`,
  );
}

export function warn(msg: string): void {
  process.stderr.write(`bootprof: ${msg}\n`);
}

/**
 * Reading the trace from a terminal: with no TRACE argument that is a mistake (as gzip and jq, refuse
 * with a usage error); an explicit `-` is taken at its word, with a hint that Ctrl-D ends the input.
 */
export function stdinTerminalCheck(trace: string | undefined, stdinIsTTY: boolean | undefined): 'refuse' | 'hint' | 'ok' {
  if (!stdinIsTTY) return 'ok';
  if (trace === undefined) return 'refuse';
  return trace === '-' ? 'hint' : 'ok';
}

export function inputOptions(trace: string | undefined, o: CommonOptions): InputOptions {
  const check = stdinTerminalCheck(trace, process.stdin.isTTY);
  if (check === 'refuse') {
    throw new BootprofError(
      'E_USAGE',
      'no TRACE given and stdin is a terminal: pass a TRACE path, or pipe one (zcat trace.log.gz | bootprof COMMAND -); --help for usage',
    );
  }
  if (check === 'hint' && !o.quiet) warn('reading the trace from stdin (a terminal): Ctrl-D ends it');
  const maps = o.map === undefined ? [] : Array.isArray(o.map) ? o.map : [o.map];
  return {
    trace,
    maps,
    vmlinux: o.vmlinux,
    userElf: o.userElf,
    strict: o.strict,
    inputFormat: o.inputFormat,
    threads: parseThreads(o.threads),
    unitSize: o.unitSize !== undefined ? parseBytes(o.unitSize, '--unit-size') : undefined,
    chunkSize: o.chunkSize !== undefined ? parseBytes(o.chunkSize, '--chunk-size') : undefined,
    progress: !o.quiet,
    quiet: !!o.quiet,
    timeUnit: parseTimeUnit(o.timeUnit),
    kaslr: { mode: parseKaslrMode(o.kaslr), offset: o.kaslrOffset !== undefined ? parseSlide(o.kaslrOffset) : undefined },
  };
}

/** --time-unit s|ms|us|ns (µs and "usec" accepted as us). */
export function parseTimeUnit(v: string | undefined): InputTimeUnit | undefined {
  if (v === undefined) return undefined;
  const u = v
    .toLowerCase()
    .replace('µ', 'u')
    .replace(/^(sec|secs|seconds?)$/, 's')
    .replace(/^usecs?$/, 'us')
    .replace(/^nsecs?$/, 'ns')
    .replace(/^msecs?$/, 'ms');
  if (!(INPUT_TIME_UNITS as readonly string[]).includes(u))
    throw new BootprofError('E_USAGE', `--time-unit must be one of ${INPUT_TIME_UNITS.join(', ')} (got '${v}')`);
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

/** --weight time|insns|events. */
export function parseWeight(v: string | undefined): Weight | undefined {
  if (v === undefined) return undefined;
  if (!(WEIGHTS as readonly string[]).includes(v)) throw new BootprofError('E_USAGE', `--weight must be one of ${WEIGHTS.join(', ')} (got '${v}')`);
  return v as Weight;
}

/**
 * The weight of a run, known once the trace is read: --weight, else instructions when the trace has
 * translation records, else time. Instructions without records are refused (`option` names what asked for them).
 */
export function runWeight(asked: Weight | undefined, run: { translations: { active: boolean }; inputName: string }, option = '--weight insns'): Weight {
  const has = run.translations.active;
  if (asked === 'insns' && !has)
    throw new BootprofError(
      'E_USAGE',
      `${option}: ${run.inputName} has no translation records; record the trace with -d nochain,in_asm (QEMU then logs every translated block's instructions)`,
    );
  return defaultWeight(asked, has);
}

/** The weight a summary states: when the trace has records or the user chose one, else none (summaries as before). */
export function statedWeight(asked: Weight | undefined, weight: Weight, run: { translations: { active: boolean } }): Weight | undefined {
  return asked !== undefined || run.translations.active ? weight : undefined;
}
