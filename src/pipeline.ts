/**
 * One pass over a trace: bytes -> events -> symbols -> analyses. Commands build the analyses they
 * need, call runPipeline once, then hand the analyses' state to writers.
 */
import { readLineBlocks } from './io/chunks.js';
import { openSource, peekSource, type ByteSource } from './io/source.js';
import { BootprofError } from './io/errors.js';
import { detectFormat, DETECT_BYTES } from './formats/index.js';
import type { TimeUnit, TraceParser } from './formats/parser.js';
import { EventBatch } from './model/batch.js';
import { REGION_LABELS } from './model/names.js';
import { Resolver } from './symbols/resolver.js';
import { Symbolizer } from './symbols/symbolize.js';
import { loadSystemMap } from './symbols/system-map.js';
import { chooseMap } from './symbols/find-map.js';
import type { SymbolTable } from './symbols/table.js';
import type { Analysis } from './analyze/analysis.js';

export interface InputOptions {
  /** Trace path; '-' or undefined for stdin. */
  trace?: string;
  /** An already-open source (tests, fuzzing); takes precedence over `trace`. */
  source?: ByteSource;
  map?: string;
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
}

export async function loadSymbols(opts: InputOptions): Promise<Symbols> {
  const choice = chooseMap(opts.map, opts.trace);
  if (!choice.path) return { table: null, mapPath: null, note: choice.note };
  return { table: await loadSystemMap(choice.path), mapPath: choice.path, note: choice.note };
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
}

/** What analyses may need to know before the first batch: known once the format is detected. */
export interface TraceInfo {
  format: string;
  unit: TimeUnit;
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
    const parser = format.create(head);
    parser.strict = !!opts.strict;
    const analyses = setup({ format: parser.format, unit: parser.unit });
    const resolver = new Resolver(syms.table);
    const symbolizer = new Symbolizer(resolver);
    const batch = new EventBatch(opts.batchSize);
    const flush = (): void => {
      if (batch.length === 0) return;
      symbolizer.apply(batch);
      for (const a of analyses) a.consume(batch);
      batch.clear();
    };
    const bytes = await readLineBlocks(
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
    if (parser.stats.events === 0) {
      throw new BootprofError('E_EMPTY', `${source.name}: no exec_tb events in ${parser.stats.lines} lines`);
    }
    return {
      parser,
      symbols: syms,
      resolver,
      names: syms.table ? syms.table.names : REGION_LABELS,
      bytes,
      inputName: source.name,
      gzip: source.gzip,
    };
  } finally {
    await opened.close();
  }
}
