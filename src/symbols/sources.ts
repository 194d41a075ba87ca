/**
 * Symbol sources: System.map, /proc/kallsyms copies, vmlinux ELF files, several at once. `--vmlinux`
 * comes first, then each `--map` in command-line order (the kind of each file is sniffed: ELF magic,
 * else text); with neither, the one System.map* beside the trace (find-map.ts).
 *
 * Several sources: the first one wins where it has symbols; a later one only fills gaps, i.e. adds
 * the symbols lying outside the address ranges (first to last text symbol, plus its size) of every
 * earlier source, e.g. System.map for the kernel image plus a kallsyms copy for the modules.
 */
import { promises as fsp } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { BootprofError, fsError } from '../io/errors.js';
import { refuseOutputAsInput } from '../io/outputs.js';
import { isGzip } from '../io/source.js';
import { chooseMap } from './find-map.js';
import { isElf, readElfSymbols } from './elf.js';
import { parseSymbolText, symbolTextKind, type RawSymbols } from './kallsyms.js';
import { readSymbolCache, symbolCacheDir, symbolCacheKey, writeSymbolCache } from './cache.js';
import { isTextType, SymbolTableBuilder, type SymbolTable } from './table.js';

export interface SymbolSourceOptions {
  trace?: string;
  /** --map files in order (System.map, kallsyms or ELF, gzip allowed). */
  maps?: readonly string[];
  vmlinux?: string;
}

export interface LoadedSymbols {
  table: SymbolTable | null;
  /** The sources, for the summary ("a, b"); null without symbols. */
  mapPath: string | null;
  note: string | null;
  /** Per source: what it is and how many symbols it contributed. */
  sources?: { path: string; kind: string; symbols: number; added: number }[];
}

/**
 * One source file's bytes as read (gzip still compressed), or 'elf' for a regular ELF file, which
 * readElfSymbols reads by positioned reads. A regular file with a size is sniffed with a positioned
 * read; anything else (a pipe such as `<(zcat System.map.gz)`, /proc/kallsyms, whose stat size is
 * 0) is read until EOF.
 */
async function readSource(path: string): Promise<Buffer | 'elf'> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(path, 'r');
    const st = await fh.stat();
    refuseOutputAsInput(path, fh.fd);
    if (st.isDirectory()) throw new BootprofError('E_UNREADABLE', `${path}: is a directory`);
    if (st.isFile() && st.size > 0) {
      const head = Buffer.alloc(4);
      await fh.read(head, 0, 4, 0);
      if (isElf(head)) return 'elf';
    }
    return await fh.readFile();
  } catch (err) {
    if (err instanceof BootprofError) throw err;
    throw fsError(err, path);
  } finally {
    await fh?.close();
  }
}

/** The symbols in a source's bytes: ELF by its magic, gzip by its, else System.map / kallsyms text. */
async function rawFromBytes(path: string, bytes: Buffer): Promise<RawSymbols> {
  if (bytes.length === 0) throw new BootprofError('E_EMPTY', `${path}: empty symbol file`);
  if (isElf(bytes)) return readElfSymbols(path, bytes);
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw fsError(err, path);
    }
    if (isElf(bytes)) throw new BootprofError('E_SYMBOLS', `${path}: a gzip-compressed ELF file: pass it with --vmlinux`);
  }
  return parseSymbolText(bytes.toString('latin1'), path);
}

/** A regular ELF file's symbols, by positioned reads; a failed read is a one-line error naming it. */
async function readElf(path: string): Promise<RawSymbols> {
  try {
    return await readElfSymbols(path);
  } catch (err) {
    if (err instanceof BootprofError) throw err;
    throw fsError(err, path);
  }
}

/** Loads one source file, sniffing ELF by its magic and gzip by its (readSource, rawFromBytes). */
export async function loadRawSource(path: string): Promise<RawSymbols> {
  const bytes = await readSource(path);
  return bytes === 'elf' ? readElf(path) : rawFromBytes(path, bytes);
}

/** Merges sources: the first wins; later ones add symbols outside earlier sources' text ranges. */
export function mergeSources(raws: readonly RawSymbols[]): { table: SymbolTable; added: number[] } {
  const b = new SymbolTableBuilder();
  const ranges: [number, number][] = [];
  const added: number[] = [];
  for (const raw of raws) {
    let lo = Infinity;
    let hi = -Infinity;
    let count = 0;
    for (let k = 0; k < raw.keys.length; k++) {
      const key = raw.keys[k];
      if (ranges.length > 0 && ranges.some(([a, z]) => key >= a && key <= z)) continue;
      b.add(key, raw.types[k], raw.names[k], raw.sizes[k]);
      count++;
      if (isTextType(raw.types[k]) && key !== 0) {
        if (key < lo) lo = key;
        if (key + raw.sizes[k] > hi) hi = key + raw.sizes[k];
      }
    }
    b.malformed += raw.malformed;
    if (lo <= hi) ranges.push([lo, hi]);
    added.push(count);
  }
  return { table: b.build(), added };
}

/**
 * The last table loaded in this process, keyed by the sources' paths and identities (device, inode,
 * size, mtime): a process that runs several commands over the same map (the tests, a library user)
 * loads it once. Only regular files are remembered; the table is never modified after it is built.
 */
let memo: { key: string; result: LoadedSymbols } | null = null;

async function memoKey(paths: readonly string[]): Promise<string | null> {
  const parts: string[] = [];
  for (const p of paths) {
    try {
      const st = await fsp.stat(p);
      if (!st.isFile()) return null;
      parts.push(`${p}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`);
    } catch {
      return null;
    }
  }
  return parts.join('\0');
}

/** The symbol table for a run (see the file comment). */
export async function loadSymbolSources(opts: SymbolSourceOptions): Promise<LoadedSymbols> {
  const paths: string[] = [];
  if (opts.vmlinux) paths.push(opts.vmlinux);
  for (const m of opts.maps ?? []) paths.push(m);
  // no input may be an output of this run: checked before anything is read
  if (opts.trace && opts.trace !== '-') refuseOutputAsInput(opts.trace);
  for (const p of paths) refuseOutputAsInput(p);
  let note: string | null = null;
  if (paths.length === 0) {
    const choice = chooseMap(undefined, opts.trace);
    if (!choice.path) return { table: null, mapPath: null, note: choice.note };
    refuseOutputAsInput(choice.path);
    paths.push(choice.path);
    note = choice.note;
  }
  const key = await memoKey(paths);
  if (key !== null && memo !== null && memo.key === key) return { ...memo.result, note };
  // every source is read first (the cache key covers them all); an error reading one is raised
  // where a source-by-source load would have met it, after the errors of the sources before it
  const read: (Buffer | 'elf' | { error: unknown })[] = [];
  for (const p of paths) read.push(await readSource(p).catch((error: unknown) => ({ error })));
  // text sources only (cache.ts): an ELF file's symbols are read by positioned reads already
  const dir = symbolCacheDir();
  const texts = read.filter((b): b is Buffer => b instanceof Buffer && !isElf(b));
  const cacheKey = dir !== null && texts.length === read.length ? symbolCacheKey(texts) : null;
  const cached = cacheKey !== null ? readSymbolCache(dir!, cacheKey) : null;
  let result: LoadedSymbols;
  if (cached !== null && cached.sources.length === paths.length) {
    result = {
      table: cached.table,
      mapPath: paths.join(', '),
      note,
      sources: cached.sources.map((s, i) => ({ path: paths[i], kind: symbolTextKind(paths[i], s.modules ? 1 : 0), symbols: s.symbols, added: s.added })),
    };
  } else {
    const raws: RawSymbols[] = [];
    for (let i = 0; i < paths.length; i++) {
      const b = read[i];
      if (b === 'elf') raws.push(await readElf(paths[i]));
      else if ('error' in b) throw b.error;
      else raws.push(await rawFromBytes(paths[i], b));
    }
    const { table, added } = mergeSources(raws);
    if (table.textSymbols === 0) {
      const bad = raws.reduce((s, r) => s + r.malformed, 0);
      const why = bad > 0 ? ` (${bad} ${bad === 1 ? 'line is' : 'lines are'} not "ADDR TYPE NAME")` : '';
      throw new BootprofError('E_SYMBOLS', `${paths.join(', ')}: no text symbols (types T, t, W, w)${why}`);
    }
    result = {
      table,
      mapPath: paths.join(', '),
      note,
      sources: raws.map((r, i) => ({ path: r.path, kind: r.kind, symbols: r.keys.length, added: added[i] })),
    };
    if (cacheKey !== null)
      writeSymbolCache(
        dir!,
        cacheKey,
        table,
        raws.map((r, i) => ({ symbols: r.keys.length, added: added[i], modules: r.modules > 0 })),
      );
  }
  if (key !== null) memo = { key, result };
  return result;
}
