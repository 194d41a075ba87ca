/**
 * The symbol cache: a loaded SymbolTable (the resolver's typed arrays, its names, marks and counts)
 * saved in a binary file keyed by the content of the symbol files, so that the next run over the
 * same System.map reads one file instead of gunzipping, parsing and sorting 87,000 lines (~350 ms
 * of a ~550 ms run over a short trace, measured).
 *
 * Where: `$BOOTPROF_CACHE_DIR`, else `$XDG_CACHE_HOME/bootprof`, else `~/.cache/bootprof`;
 * `BOOTPROF_CACHE_DIR=off` turns the cache off. Only text sources (System.map and kallsyms copies,
 * gzip or not) are cached: an ELF file's symbols are read by positioned reads already.
 *
 * The key is a SHA-256 of the sources' raw bytes (before gunzip), in order, and of the identity of
 * the code that builds a table from them (codeIdentity: an edited or rebuilt parser or builder
 * never reads another's entry).
 * A file is written atomically (a temp file renamed) and carries a SHA-256 of its payload: an
 * entry that is truncated, corrupt, of another layout or another key is ignored and rebuilt. Any
 * failure to read or write (no home, an unwritable directory, a full disk) only skips the cache:
 * it never fails a run or changes a result. At most MAX_ENTRIES entries are kept (least recently
 * used dropped). BOOTPROF_DEBUG=1 prints why an entry was not used or written.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { REGION_LABELS } from '../model/names.js';
import { MARK_NAMES, SymbolTable, type NameSource } from './table.js';

/** Layout version of a cache file; bump when the file layout changes. */
const LAYOUT = 2;
const MAGIC = 'BPSYMTAB';
/** magic (8), layout (u32), header length (u32), SHA-256 of everything after this prefix (32). */
const PREFIX = 48;
/** Entries kept in the directory (the least recently used beyond are deleted when one is written). */
export const MAX_ENTRIES = 16;
const NAME = /^symbols-[0-9a-f]{64}\.bin$/;
/** Temp files older than this are left over from a killed run: deleted when an entry is written. */
const STALE_TMP_MS = 3600_000;

/**
 * The modules whose code decides what table a source's bytes give (parse, merge, build, region
 * labels): their files' identities are part of every key, with this module's own file (code
 * bundled into one file has none of them beside it: then that file stands for them all).
 */
const CODE = ['./kallsyms', './address', './table', './sources', '../model/names'];

/** Per source, what the summary reports about it (LoadedSymbols.sources without the path). */
export interface CachedSource {
  symbols: number;
  added: number;
  /** Module symbols (`name [module]`) were seen: a kallsyms copy, whatever its file name. */
  modules: boolean;
}

export interface CachedSymbols {
  table: SymbolTable;
  sources: CachedSource[];
}

interface Header {
  key: string;
  n: number;
  nNames: number;
  namesBytes: number;
  marks: (number | null)[];
  textSymbols: number;
  sources: CachedSource[];
}

function debug(msg: string): void {
  if (process.env.BOOTPROF_DEBUG) process.stderr.write(`bootprof: symbol cache: ${msg}\n`);
}

/**
 * The cache directory for `env` (see the file comment), or null when the cache is off or no
 * directory can be named (no home). A relative XDG_CACHE_HOME is ignored, as the XDG spec says.
 */
export function symbolCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const own = env.BOOTPROF_CACHE_DIR;
  if (own !== undefined && own !== '') return own === 'off' ? null : own;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'bootprof');
  let home = '';
  try {
    home = env.HOME || homedir();
  } catch {
    /* no home directory: no cache */
  }
  return home ? join(home, '.cache', 'bootprof') : null;
}

let codeId: string | null | undefined;

/**
 * The code's identity: path, size and modification time of this module's file and of the CODE
 * modules beside it. Any edit or build changes it (an entry made by other code is never read); null
 * when this module's own file cannot be found (no cache then).
 */
function codeIdentity(): string | null {
  if (codeId !== undefined) return codeId;
  const self = new URL(import.meta.url);
  const ext = self.pathname.endsWith('.ts') ? '.ts' : '.js';
  const ids: string[] = [];
  for (const m of [self, ...CODE.map((c) => new URL(c + ext, self))]) {
    try {
      const st = statSync(m);
      ids.push(`${m.pathname}:${st.size}:${st.mtimeMs}`);
    } catch (err) {
      if (m !== self) continue; // bundled: the bundle is this module's file
      debug(`off: ${(err as Error).message}`);
      return (codeId = null);
    }
  }
  return (codeId = ids.join('\n'));
}

/** The key of a table built from these sources' raw bytes, in order; null when there is no cache. */
export function symbolCacheKey(sources: readonly Uint8Array[]): string | null {
  const code = codeIdentity();
  if (code === null) return null;
  const h = createHash('sha256');
  h.update(`bootprof symbols ${LAYOUT}\n${code}\n`);
  const len = Buffer.alloc(8);
  for (const s of sources) {
    len.writeDoubleLE(s.length);
    h.update(len);
    h.update(s);
  }
  return h.digest('hex');
}

function entryPath(dir: string, key: string): string {
  return join(dir, `symbols-${key}.bin`);
}

function pad8(n: number): number {
  return (n + 7) & ~7;
}

/** Where the parts of a file with this header lie (byte offsets). */
function layoutOf(headerLen: number, n: number, nNames: number): { addrs: number; fnAt: number; ends: number; names: number } {
  const addrs = PREFIX + headerLen;
  const fnAt = addrs + n * 8;
  const ends = fnAt + n * 4;
  return { addrs, fnAt, ends, names: pad8(ends + nNames * 4) };
}

/** The cache file of a table (see decodeSymbolCache for the layout), or null when its names cannot be stored. */
export function encodeSymbolCache(key: string, table: SymbolTable, sources: readonly CachedSource[]): Buffer | null {
  const list = table.names;
  const names = list.join('\n');
  if (list.some((s) => s.includes('\n'))) return null;
  const nameBytes = Buffer.from(names, 'latin1');
  // a name that is not latin1 would not come back the same
  if (nameBytes.length !== names.length) return null;
  const n = table.addrs.length;
  const header: Header = {
    key,
    n,
    nNames: list.length,
    namesBytes: nameBytes.length,
    marks: MARK_NAMES.map((m) => (Number.isNaN(table.marks[m]) ? null : table.marks[m])),
    textSymbols: table.textSymbols,
    sources: sources.map((s) => ({ symbols: s.symbols, added: s.added, modules: s.modules })),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerLen = pad8(json.length);
  const at = layoutOf(headerLen, n, list.length);
  const out = Buffer.alloc(at.names + nameBytes.length, 0x20);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(LAYOUT, 8);
  out.writeUInt32LE(headerLen, 12);
  json.copy(out, PREFIX);
  const ab = out.buffer;
  new Float64Array(ab, out.byteOffset + at.addrs, n).set(table.addrs);
  new Int32Array(ab, out.byteOffset + at.fnAt, n).set(table.fnAt);
  const ends = new Int32Array(ab, out.byteOffset + at.ends, list.length);
  let end = -1;
  list.forEach((name, i) => (ends[i] = end += 1 + name.length));
  out.fill(0, at.ends + list.length * 4, at.names);
  nameBytes.copy(out, at.names);
  createHash('sha256').update(out.subarray(PREFIX)).digest().copy(out, 16);
  return out;
}

/** The names of a cache file, made into strings as they are asked for (table.ts NameSource). */
class CachedNames implements NameSource {
  private readonly made = new Map<number, string>();

  constructor(
    private readonly buf: Buffer,
    private readonly at: number,
    /** Where each name ends in the names' bytes (exclusive); the next starts 1 further (a newline). */
    private readonly ends: Int32Array,
  ) {}

  name(id: number): string {
    let s = this.made.get(id);
    if (s === undefined) {
      if (!(id >= 0 && id < this.ends.length)) return undefined as unknown as string; // as a list would
      s = this.buf.toString('latin1', this.at + (id === 0 ? 0 : this.ends[id - 1] + 1), this.at + this.ends[id]);
      this.made.set(id, s);
    }
    return s;
  }

  all(): string[] {
    return this.buf.toString('latin1', this.at, this.buf.length).split('\n');
  }
}

/**
 * The table in a cache file's bytes, or why they are not a whole entry of this layout for `key`.
 * Layout: MAGIC, u32 LAYOUT, u32 header length, SHA-256 of the rest; the JSON header (space-padded
 * to 8 bytes); addrs (Float64, n); fnAt (Int32, n); where each name ends (Int32, nNames),
 * zero-padded to 8 bytes; the names in latin1, joined by newlines. Little-endian, as typed arrays
 * are on every platform Node runs on.
 */
export function decodeSymbolCache(buf: Buffer, key: string): CachedSymbols | string {
  if (buf.length < PREFIX || buf.toString('latin1', 0, 8) !== MAGIC) return 'not a cache file';
  if (buf.readUInt32LE(8) !== LAYOUT) return `layout ${buf.readUInt32LE(8)}, not ${LAYOUT}`;
  const headerLen = buf.readUInt32LE(12);
  if (PREFIX + headerLen > buf.length) return 'truncated';
  const sum = createHash('sha256').update(buf.subarray(PREFIX)).digest();
  if (!sum.equals(buf.subarray(16, PREFIX))) return 'checksum mismatch (truncated or corrupt)';
  let h: Header;
  try {
    h = JSON.parse(buf.toString('utf8', PREFIX, PREFIX + headerLen)) as Header;
  } catch {
    return 'unreadable header';
  }
  if (h.key !== key) return 'another key';
  const { n, nNames } = h;
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(nNames) || nNames < REGION_LABELS.length) return 'bad counts';
  const at = layoutOf(headerLen, n, nNames);
  if (at.names + h.namesBytes !== buf.length) return 'sizes do not match';
  // views of the file's bytes (copying them costs a short run ~5 ms); a copy when misaligned
  const whole = buf.byteOffset % 8 === 0 ? buf : Buffer.from(new Uint8Array(buf).buffer);
  const addrs = new Float64Array(whole.buffer, whole.byteOffset + at.addrs, n);
  const fns = new Int32Array(whole.buffer, whole.byteOffset + at.fnAt, n);
  const ends = new Int32Array(whole.buffer, whole.byteOffset + at.ends, nNames);
  if (ends[nNames - 1] !== h.namesBytes) return 'names do not match';
  const names = new CachedNames(whole, at.names, ends);
  if (REGION_LABELS.some((l, i) => names.name(i) !== l)) return 'names do not match';
  const marks: Record<string, number> = {};
  MARK_NAMES.forEach((m, i) => (marks[m] = h.marks[i] ?? NaN));
  return { table: new SymbolTable(addrs, fns, names, marks, h.textSymbols), sources: h.sources };
}

/** The cached table for `key` in `dir`, or null (no entry, or one not to be used: it is rebuilt). */
export function readSymbolCache(dir: string, key: string): CachedSymbols | null {
  const path = entryPath(dir, key);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return null;
  }
  const got = decodeSymbolCache(buf, key);
  if (typeof got === 'string') {
    debug(`${path}: ${got}: rebuilding it`);
    return null;
  }
  try {
    const now = new Date();
    utimesSync(path, now, now); // recently used: kept when older entries are pruned
  } catch {
    /* read-only cache: fine */
  }
  return got;
}

/** Saves a table under `key` in `dir` (atomically); any failure only skips the cache. */
export function writeSymbolCache(dir: string, key: string, table: SymbolTable, sources: readonly CachedSource[]): void {
  const bytes = encodeSymbolCache(key, table, sources);
  if (bytes === null) return;
  const path = entryPath(dir, key);
  const tmp = join(dir, `.symbols-${key.slice(0, 16)}-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    debug(`not written in ${dir}: ${(err as Error).message}`);
    try {
      unlinkSync(tmp);
    } catch {
      /* never created */
    }
    return;
  }
  prune(dir);
}

/** Keeps the MAX_ENTRIES most recently used entries; deletes temp files left by killed runs. */
function prune(dir: string): void {
  try {
    const entries: { path: string; mtime: number }[] = [];
    const now = Date.now();
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (NAME.test(f)) entries.push({ path: p, mtime: statSync(p).mtimeMs });
      else if (f.startsWith('.symbols-') && f.endsWith('.tmp') && now - statSync(p).mtimeMs > STALE_TMP_MS) unlinkSync(p);
    }
    entries.sort((a, b) => b.mtime - a.mtime);
    for (const e of entries.slice(MAX_ENTRIES)) unlinkSync(e.path);
  } catch {
    /* another run pruning at the same time, or no permission: next time */
  }
}
