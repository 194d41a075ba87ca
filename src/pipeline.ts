/**
 * One pass over a trace: bytes -> events -> symbols -> analyses. Commands build the analyses they
 * need, call runPipeline once, then hand the analyses' state to writers.
 */
import { readLineBlocks } from './io/chunks.js';
import { openSource, withRead, type ByteSource, type GzipCut } from './io/source.js';
import { BootprofError } from './io/errors.js';
import { detectInput, peekHead, utf8BomLength } from './formats/index.js';
import { availableParallelism } from 'node:os';
import {
  malformedError,
  MAX_SAMPLES,
  TooManyThreadsError,
  type InputTimeUnit,
  type TimeOrigin,
  type TimeUnit,
  type TraceFormat,
  type TraceParser,
} from './formats/parser.js';
import { DEFAULT_UNIT, planUnits } from './parallel/range-source.js';
import type { UnitResult } from './parallel/unit.js';
import { tableToTransfer } from './symbols/transfer.js';
import { progressBar } from './output/progress.js';
import { countOf } from './output/units.js';
import { EventBatch } from './model/batch.js';
import { REGION_LABELS } from './model/names.js';
import { Resolver } from './symbols/resolver.js';
import { Symbolizer } from './symbols/symbolize.js';
import type { SymbolTable } from './symbols/table.js';
import { loadSymbolSources } from './symbols/sources.js';
import { KaslrGate, type KaslrOptions, type KaslrReport } from './symbols/kaslr.js';
import { loadUserElf, UserStage, type UserElf } from './symbols/user-elf.js';
import type { Analysis } from './analyze/analysis.js';
import { TranslationStage, type Translations } from './model/translations.js';

export interface InputOptions {
  /** Trace path; '-' or undefined for stdin. */
  trace?: string;
  /** An already-open source (tests, fuzzing); takes precedence over `trace`. */
  source?: ByteSource;
  map?: string;
  /** Symbol sources in order (--map, repeatable); `map` is the single-map form. */
  maps?: string[];
  vmlinux?: string;
  /** User-space ELF files (`--user-elf FILE[@BASE]`): their functions name [user] events (symbols/user-elf.ts). */
  userElf?: string[];
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
  /** Show a progress bar on stderr when it is a terminal (long runs only). */
  progress?: boolean;
  /** --quiet: no informational notes on stderr (warnings still print). */
  quiet?: boolean;
  /** Parse workers for plain files (default: the number of cores); 1 parses on the main thread. */
  threads?: number;
  /** Bytes per work unit in parallel runs (tests force tiny units to exercise seams). */
  unitSize?: number;
}

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

export interface Symbols {
  table: SymbolTable | null;
  mapPath: string | null;
  note: string | null;
  /** Per source file: kind and symbol counts (symbols/sources.ts). */
  sources?: { path: string; kind: string; symbols: number; added: number }[];
  /** `--user-elf` files, their load bases decided by the run (symbols/user-elf.ts). */
  user?: UserElf[];
}

export async function loadSymbols(opts: InputOptions): Promise<Symbols> {
  const maps = opts.maps ?? (opts.map ? [opts.map] : []);
  const syms: Symbols = { ...(await loadSymbolSources({ trace: opts.trace, maps, vmlinux: opts.vmlinux })) };
  // beside a loaded table the note only says which map was picked (information, not a warning):
  // --quiet drops it; "running without symbols" (no table) still prints
  if (opts.quiet && syms.table) syms.note = null;
  if (opts.userElf && opts.userElf.length > 0) syms.user = await Promise.all(opts.userElf.map((spec) => loadUserElf(spec)));
  return syms;
}

/**
 * How the input ended early, if it did: gzip data stopping inside a member, and/or a last line (a
 * binary format: record) with no end. Results cover the input up to its last complete line.
 */
export interface InputCut {
  gzip: GzipCut | null;
  /** Byte offset (decompressed) where the unterminated last line starts; -1 when the last line is whole. */
  lastLine: number;
}

export interface RunResult {
  parser: TraceParser;
  symbols: Symbols;
  resolver: Resolver;
  /** Name id -> display name (made when first read: see nameOf). */
  readonly names: readonly string[];
  /** One id's name, without making every name of a cached symbol table a string (SymbolTable.nameOf). */
  nameOf(id: number): string;
  bytes: number;
  inputName: string;
  gzip: boolean;
  /** KASLR slide used and how it was chosen, whole-run kernel-half resolution (symbols/kaslr.ts). */
  kaslr?: KaslrReport;
  /** The input was cut short (InputCut); null when it ended cleanly. */
  cut: InputCut | null;
  /** The translation stage: records bound, events without one (`active` when the trace has records). */
  translations: TranslationStage;
}

interface ReadEnd {
  bytes: number;
  /** InputCut.lastLine */
  lastLine: number;
}

/** The one message for a cut gzip stream (warning, --strict error, empty-input errors). */
export function gzipCutText(c: GzipCut): string {
  return `input cut short at compressed byte ${c.compressed}: the gzip data ends inside a member (${c.decompressed} bytes decompressed)`;
}

/** Under --strict a cut gzip stream is fatal, before the chunker sees its last line. */
function strictCut(src: ByteSource): ByteSource {
  return withRead(src, async (buf, off, len) => {
    const n = await src.read(buf, off, len);
    const c = n === 0 ? src.cut?.() : null;
    if (c) throw new BootprofError('E_GZIP', `${src.name}: ${gzipCutText(c)}; --strict refuses a cut input`);
    return n;
  });
}

/** Parses on the main thread: the path for stdin, gzip, small files, other formats and --threads 1. */
async function runSequential(source: ByteSource, parser: TraceParser, push: (b: EventBatch) => void, opts: InputOptions, skipped = 0): Promise<ReadEnd> {
  let lastLine = -1;
  const batch = new EventBatch(opts.batchSize);
  const flush = (): void => {
    if (batch.length === 0) return;
    push(batch);
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
      unterminated(offset) {
        lastLine = offset;
      },
    },
    {
      chunkSize: opts.chunkSize,
      maxLine: opts.maxLine,
      baseOffset: skipped,
      onRead: opts.onProgress ? (b) => opts.onProgress!(b, source.gzip ? undefined : source.size) : undefined,
    },
  );
  flush();
  parser.release();
  return { bytes, lastLine };
}

/** The time origin (first event) of a trace, from its first page: workers then need no rebasing. */
function originOf(format: TraceFormat, head: Uint8Array): { origin: TimeOrigin | null; resolution: number } {
  const p = format.create(head);
  const end = head.lastIndexOf(0x0a) + 1;
  const b = new EventBatch(1);
  let pos = 0;
  while (pos < end && b.length === 0) pos = p.parse(head, pos, end, 0, b);
  p.release();
  return { origin: b.length > 0 && p.unit === 'ns' ? p.origin : null, resolution: p.timeResolutionNs };
}

/**
 * Parses work units in worker threads and consumes their results in file order on the main thread:
 * unit-local thread indexes are mapped to vCPU indexes, times rebased when needed, line numbers made
 * absolute; the per-vCPU symbol rule and the analyses then run exactly as in a sequential read (their
 * state carries across unit seams because it lives here).
 */
async function runParallel(
  path: string,
  size: number,
  head: Uint8Array,
  format: TraceFormat,
  agg: TraceParser,
  push: (b: EventBatch) => void,
  syms: Symbols,
  slide: number,
  threads: number,
  unitSize: number,
  opts: InputOptions,
  /** Whether a unit's partials may stand for its batches (false with --user-elf, whose names come on the main thread). */
  mergeable: () => boolean,
): Promise<ReadEnd> {
  const units = planUnits(size, unitSize);
  let lastLine = -1;
  const { origin, resolution } = originOf(format, head);
  agg.timeResolutionNs = resolution;
  if (origin) agg.setOrigin(origin);
  // loaded here: worker_threads is not needed by a run on the main thread (~4 ms of a short run)
  const { poolSize, UnitPool, WORKERS_PER_CORE } = await import('./parallel/pool.js');
  const workers = poolSize(threads, units.length);
  // (opts.progress is false under --quiet)
  if (workers.capped && opts.progress)
    process.stderr.write(
      `bootprof: --threads ${threads} capped to ${workers.workers} parse workers (${WORKERS_PER_CORE} per core, ${availableParallelism()} cores)\n`,
    );
  const pool = new UnitPool(workers.workers, {
    path,
    name: path,
    size,
    format: format.name,
    head,
    table: syms.table ? tableToTransfer(syms.table) : null,
    slide,
    origin,
    options: { chunkSize: opts.chunkSize, maxLine: opts.maxLine, batchSize: opts.batchSize },
  });
  const st = agg.stats;
  /** Unit thread ids -> vCPU indexes; the unit's first lines made absolute for the MAX_VCPUS error. */
  const mapThreads = (ids: readonly number[], lines: readonly number[]): Uint32Array =>
    Uint32Array.from(ids, (tid, i) => agg.threadOf(tid, st.lines + lines[i]));
  const units$ = pool.run(units);
  try {
    for (;;) {
      let next: IteratorResult<UnitResult>;
      try {
        next = await units$.next();
      } catch (err) {
        // A unit with too many thread ids of its own: its earlier ones may overflow the run's first.
        if (err instanceof TooManyThreadsError) {
          mapThreads(err.threadIds, err.threadLines);
          throw new TooManyThreadsError(st.lines + err.line);
        }
        throw err;
      }
      if (next.done) break;
      const r = next.value;
      const u = r.stats;
      for (const s of u.samples) {
        const abs = { ...s, line: s.line + st.lines };
        if (opts.strict) throw malformedError(abs);
        if (st.samples.length < MAX_SAMPLES) st.samples.push(abs);
      }
      let delta = 0;
      if (u.events > 0) {
        if (agg.unit === 'events') delta = st.events;
        else if (r.origin) delta = agg.sinceOrigin(r.origin.hi, r.origin.lo); // the first unit with events sets the run's origin
      }
      const map = mapThreads(r.threadIds, r.threadLines);
      const identity = map.every((v, i) => v === i);
      if (r.batches.length > 0) r.batches[r.batches.length - 1].seenAfter = r.seenThreads.map((t) => map[t]);
      // the workers folded this unit for the analyses that merge units (analyze/unit-merge.ts)
      // (times within 2^53 with the shift: then a difference of two shifted times is that of the unshifted ones)
      const c = r.partials?.counts;
      const exactTimes = !!c && Math.max(Math.abs(c.minTime), Math.abs(c.maxTime)) + Math.abs(delta) < 2 ** 53;
      if (r.partials && exactTimes && r.batches.length > 0 && agg.unit === 'ns' && mergeable()) {
        for (const b of r.batches) b.merged = true;
        r.batches[0].unitMerge = { partials: r.partials, threads: map, delta, seenBefore: new Uint8Array(0) };
      }
      for (const b of r.batches) {
        const time = b.time;
        const thread = b.thread;
        if (delta !== 0) for (let i = 0, n = b.length; i < n; i++) time[i] += delta;
        if (!identity) for (let i = 0, n = b.length; i < n; i++) thread[i] = map[thread[i]];
        push(b);
      }
      pool.recycle(r);
      st.lines += u.lines;
      st.events += u.events;
      st.other += u.other;
      st.malformed += u.malformed;
      st.crlf += u.crlf;
      st.records += u.records;
      st.recordLines += u.recordLines;
      st.unreadableRecords += u.unreadableRecords;
      if (r.unterminated >= 0) lastLine = r.unterminated;
      opts.onProgress?.(r.to, size);
    }
  } finally {
    await pool.close();
  }
  return { bytes: size, lastLine };
}

/**
 * Errors the parsers raise about the input (a malformed line under --strict, too many thread ids, a
 * bad simple-trace header) do not know its name: they get it in front, like every other input error.
 */
function aboutInput(err: unknown, name: string): unknown {
  const named = err instanceof BootprofError && (err instanceof TooManyThreadsError || err.code === 'E_MALFORMED' || err.code === 'E_FORMAT');
  return named && !err.message.startsWith(`${name}: `) ? new BootprofError(err.code, `${name}: ${err.message}`) : err;
}

/** Why a trace gave no event: its malformed lines (with the first one's reason) and other lines. */
function whyNoEvents(parser: TraceParser): string {
  const st = parser.stats;
  const parts: string[] = [];
  if (st.malformed > 0) {
    const s = st.samples[0];
    parts.push(`${countOf(st.malformed, 'malformed line')}${s ? `, the first: line ${s.line}: ${s.reason}: "${s.snippet}"` : ''}`);
  }
  if (st.other > 0) parts.push(`${countOf(st.other, 'line')} of other events or messages`);
  return parts.length > 0 ? `: ${parts.join('; ')}` : '';
}

/** What analyses may need to know before the first batch: known once the format is detected. */
export interface TraceInfo {
  format: string;
  unit: TimeUnit;
  /**
   * Name id -> name for this run: the symbol table's names, or a pre-resolved trace's own (a
   * superset that grows while it is read). Analyses classify names from this list, never from the map.
   */
  names: readonly string[];
  /** The parser (thread ids, names of pre-resolved formats) and the resolver (table, KASLR slide). */
  parser?: TraceParser;
  resolver?: Resolver;
  /** The run's translations (`-d in_asm` records), by the id in `batch.xlat` of a `translated` batch. */
  translations?: Translations;
  /**
   * The first name id of `--user-elf` functions (symbols/user-elf.ts; Infinity without): ids from it
   * on are user-space functions, which only analyses with `userFunctions` see.
   */
  userFirst?: number;
}

/**
 * Runs, in one pass, the analyses that `setup` returns (called once the format is detected).
 * Throws BootprofError for input errors.
 */
export async function runPipeline(opts: InputOptions, setup: (info: TraceInfo) => readonly Analysis[], symbols?: Symbols): Promise<RunResult> {
  const syms = symbols ?? (await loadSymbols(opts));
  const opened = opts.source ?? (await openSource(opts.trace));
  const bar = progressBar(!!opts.progress);
  if (opts.progress) {
    const user = opts.onProgress;
    opts = {
      ...opts,
      onProgress: (b, t) => {
        bar.update(b, t);
        user?.(b, t);
      },
    };
  }
  try {
    const peeked = await peekHead(opened, opts.inputFormat);
    const source = opts.strict ? strictCut(peeked.source) : peeked.source;
    const early = peeked.head.length === 0 ? source.cut?.() : null;
    if (early) throw new BootprofError('E_EMPTY', `${source.name}: empty trace: ${gzipCutText(early)}`);
    // A UTF-8 byte order mark is skipped, not parsed as part of the first line (work units skip it too).
    const bom = utf8BomLength(peeked.head);
    if (bom > 0) await source.read(new Uint8Array(bom), 0, bom);
    const { format, head } = detectInput(peeked.head.subarray(bom), source.name, opts.inputFormat);
    let parser: TraceParser;
    try {
      parser = format.create(head, { timeUnit: opts.timeUnit, table: syms.table });
    } catch (err) {
      throw aboutInput(err, source.name);
    }
    parser.strict = !!opts.strict;
    const resolver = new Resolver(syms.table);
    // the names are looked up when asked for: a cached table makes its list only then (symbols/cache.ts)
    const table = syms.table;
    let namesOf = (): readonly string[] => parser.names ?? (table ? table.names : REGION_LABELS);
    let nameOf = (id: number): string => (parser.names ? parser.names[id] : table ? table.nameOf(id) : REGION_LABELS[id]);
    // --user-elf: each file's function names follow the run's (ids from user.firstId)
    const user = syms.user && syms.user.length > 0 ? syms.user : null;
    if (user) {
      if (parser.symbolic) throw new BootprofError('E_USAGE', `${source.name}: --user-elf needs a trace of pcs; this one names its events already`);
      const all = [...(table ? table.names : REGION_LABELS)];
      for (const e of user) {
        e.firstId = all.length;
        for (const n of e.names) all.push(n);
      }
      namesOf = () => all;
      nameOf = (id) => all[id];
    }
    const translations = new TranslationStage();
    const analyses = setup({
      format: parser.format,
      unit: parser.unit,
      get names() {
        return namesOf();
      },
      parser,
      resolver,
      translations: translations.table,
      userFirst: user ? user[0].firstId : Infinity,
    });
    const symbolizer = new Symbolizer(resolver);
    const threads = opts.threads ?? defaultThreads();
    const unitSize = opts.unitSize ?? DEFAULT_UNIT;
    const parallel =
      threads > 1 &&
      !opts.source &&
      !!opts.trace &&
      opts.trace !== '-' &&
      !source.gzip &&
      source.size !== undefined &&
      source.size > unitSize &&
      format.name === 'qemu-log' &&
      !parser.readBlocks;
    // Workers compute static codes with the slide known up front; if KASLR detection later picks
    // another one, the main thread recomputes them.
    const workerSlide = syms.table && opts.kaslr?.offset !== undefined ? opts.kaslr.offset : 0;
    /** Analyses that declined the current unit's merge: they consume its batches. */
    const declined = new Set<Analysis>();
    // names [user] events in --user-elf functions (no unit is merged then: see mergeable below)
    const userStage = user
      ? new UserStage(user, (b, usym, uoff) => {
          for (const a of analyses) {
            if (!a.userFunctions) {
              a.consume(b);
              continue;
            }
            // the same batch with the user stage's symbol columns, for this analysis only
            const cols = b as { sym: Int32Array; off: Float64Array };
            const { sym, off } = b;
            cols.sym = usym;
            cols.off = uoff;
            try {
              a.consume(b);
            } finally {
              cols.sym = sym;
              cols.off = off;
            }
          }
        })
      : null;
    const process = (b: EventBatch): void => {
      // the workers' static codes (and their folds of the unit) hold only with the slide they used
      const asWorkers = parallel && resolver.slide === workerSlide;
      const m = asWorkers ? b.unitMerge : null;
      if (m) m.seenBefore = symbolizer.seenFlags(m.threads);
      if (asWorkers) symbolizer.finalize(b);
      else symbolizer.apply(b);
      if (userStage) {
        userStage.push(b);
        return;
      }
      if (m) {
        declined.clear();
        for (const a of analyses) if (a.mergeUnit && !a.mergeUnit(m)) declined.add(a);
      }
      for (const a of analyses) {
        if (!asWorkers || !b.merged || !a.mergeUnit || declined.has(a)) a.consume(b);
        else a.consumeMerged?.(b);
      }
    };
    // Holds the trace's head until the KASLR slide is decided, then passes batches straight through.
    const gate = new KaslrGate(syms.table, resolver, { ...opts.kaslr, mapName: syms.mapPath }, process, parser.symbolic);
    // Binds translation records to tb pointers and gives each event its translation (file order).
    const push = (b: EventBatch): void => {
      translations.apply(b);
      gate.push(b);
    };
    let end: ReadEnd;
    try {
      end = parallel
        ? await runParallel(opts.trace!, source.size!, head, format, parser, push, syms, workerSlide, threads, unitSize, opts, () => !userStage)
        : await runSequential(source, parser, push, opts, bom);
    } catch (err) {
      throw aboutInput(err, source.name);
    }
    const kaslr = gate.finish();
    userStage?.finish();
    for (const a of analyses) await a.finish?.();
    const notes = [...kaslr.messages, ...(userStage?.messages ?? [])];
    if (notes.length > 0) syms.note = [syms.note, ...notes].filter((m) => m).join('\nbootprof: ');
    const gz = source.cut?.() ?? null;
    const cut = gz !== null || end.lastLine >= 0 ? { gzip: gz, lastLine: end.lastLine } : null;
    if (parser.stats.events === 0) {
      throw new BootprofError(
        'E_EMPTY',
        `${source.name}: no exec_tb events in ${countOf(parser.stats.lines, 'line')}${whyNoEvents(parser)}${gz ? ` (${gzipCutText(gz)})` : ''}`,
      );
    }
    return {
      parser,
      symbols: syms,
      resolver,
      get names() {
        return namesOf();
      },
      nameOf,
      bytes: end.bytes,
      inputName: source.name,
      gzip: source.gzip,
      kaslr,
      cut,
      translations,
    };
  } finally {
    bar.stop();
    await opened.close();
  }
}
