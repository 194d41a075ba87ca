/**
 * One pass over a trace: bytes -> events -> symbols -> analyses. Commands build the analyses they
 * need, call runPipeline once, then hand the analyses' state to writers.
 */
import { readLineBlocks } from './io/chunks.js';
import { openSource, peekSource, type ByteSource } from './io/source.js';
import { BootprofError } from './io/errors.js';
import { detectFormat, DETECT_BYTES } from './formats/index.js';
import type { InputTimeUnit, TimeUnit, TraceParser } from './formats/parser.js';
import { EventBatch } from './model/batch.js';
import { REGION_LABELS } from './model/names.js';
import { Resolver } from './symbols/resolver.js';
import { Symbolizer } from './symbols/symbolize.js';
import type { SymbolTable } from './symbols/table.js';
import { loadSymbolSources } from './symbols/sources.js';
import { KaslrGate, type KaslrOptions, type KaslrReport } from './symbols/kaslr.js';
import type { Analysis } from './analyze/analysis.js';

export interface InputOptions {
  /** Trace path; '-' or undefined for stdin. */
  trace?: string;
  /** An already-open source (tests, fuzzing); takes precedence over `trace`. */
  source?: ByteSource;
  map?: string;
  /** Symbol sources in order (--map, repeatable); `map` is the single-map form. */
  maps?: string[];
  vmlinux?: string;
  /** Unit of times in text formats that do not say (--time-unit). */
  timeUnit?: InputTimeUnit;
  kaslr?: KaslrOptions;
  strict?: boolean;
  inputFormat?: string;
  /** Bytes per read (tests force tiny values to exercise seams). */
  chunkSize?: number;
  maxLine?: number;
  batchSize?: number;
  /** Called with bytes read so far. */
  onProgress?: (bytes: number, total: number | undefined) => void;
}

export interface Symbols {
  table: SymbolTable | null;
  mapPath: string | null;
  note: string | null;
  /** Per source file: kind and symbol counts (symbols/sources.ts). */
  sources?: { path: string; kind: string; symbols: number; added: number }[];
}

export async function loadSymbols(opts: InputOptions): Promise<Symbols> {
  const maps = opts.maps ?? (opts.map ? [opts.map] : []);
  return loadSymbolSources({ trace: opts.trace, maps, vmlinux: opts.vmlinux });
}

export interface RunResult {
  parser: TraceParser;
  symbols: Symbols;
  resolver: Resolver;
  /** Name id -> display name. */
  names: readonly string[];
  bytes: number;
  inputName: string;
  gzip: boolean;
  /** KASLR slide used and how it was chosen, whole-run kernel-half resolution (symbols/kaslr.ts). */
  kaslr?: KaslrReport;
}

/** What analyses may need to know before the first batch: known once the format is detected. */
export interface TraceInfo {
  format: string;
  unit: TimeUnit;
  /** The parser (thread ids, names of pre-resolved formats) and the resolver (table, KASLR slide). */
  parser?: TraceParser;
  resolver?: Resolver;
}

/**
 * Runs, in one pass, the analyses that `setup` returns (called once the format is detected).
 * Throws BootprofError for input errors.
 */
export async function runPipeline(
  opts: InputOptions,
  setup: (info: TraceInfo) => readonly Analysis[],
  symbols?: Symbols,
): Promise<RunResult> {
  const syms = symbols ?? (await loadSymbols(opts));
  const opened = opts.source ?? (await openSource(opts.trace));
  try {
    const { head, source } = await peekSource(opened, DETECT_BYTES);
    const format = detectFormat(head, source.name, opts.inputFormat);
    const parser = format.create(head, { timeUnit: opts.timeUnit, table: syms.table });
    parser.strict = !!opts.strict;
    const resolver = new Resolver(syms.table);
    const analyses = setup({ format: parser.format, unit: parser.unit, parser, resolver });
    const symbolizer = new Symbolizer(resolver);
    const batch = new EventBatch(opts.batchSize);
    const process = (b: EventBatch): void => {
      symbolizer.apply(b);
      for (const a of analyses) a.consume(b);
    };
    // Holds the trace's head until the KASLR slide is decided, then passes batches straight through.
    const gate = new KaslrGate(syms.table, resolver, opts.kaslr ?? {}, process, parser.symbolic);
    const flush = (): void => {
      if (batch.length === 0) return;
      gate.push(batch);
      batch.clear();
    };
    const readBlocks = parser.readBlocks ? parser.readBlocks.bind(parser) : readLineBlocks;
    const bytes = await readBlocks(
      source,
      {
        block(buf, start, end, base) {
          let pos = start;
          while (pos < end) {
            pos = parser.parse(buf, pos, end, base, batch);
            if (batch.full) flush();
          }
        },
        dropped(reason, offset, snippet) {
          parser.dropped(reason, offset, snippet);
        },
      },
      {
        chunkSize: opts.chunkSize,
        maxLine: opts.maxLine,
        onRead: opts.onProgress ? (b) => opts.onProgress!(b, source.size) : undefined,
      },
    );
    flush();
    const kaslr = gate.finish();
    if (kaslr.messages.length > 0) syms.note = [syms.note, ...kaslr.messages].filter((m) => m).join('\nbootprof: ');
    if (parser.stats.events === 0) {
      throw new BootprofError('E_EMPTY', `${source.name}: no exec_tb events in ${parser.stats.lines} lines`);
    }
    return {
      parser,
      symbols: syms,
      resolver,
      names: parser.names ?? (syms.table ? syms.table.names : REGION_LABELS),
      bytes,
      inputName: source.name,
      gzip: source.gzip,
      kaslr,
    };
  } finally {
    await opened.close();
  }
}
