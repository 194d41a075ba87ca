/**
 * The symbol cache (src/symbols/cache.ts): a table read back from its cache file is the table the
 * map gives (arrays, names, marks, lookups at every symbol and around it); an entry that is
 * corrupt, truncated or of other content is never used and is rebuilt; an unusable cache directory
 * only skips the cache; a CLI run with a warm cache prints what a cold one printed.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeSymbolCache, encodeSymbolCache, MAX_ENTRIES, readSymbolCache, symbolCacheDir, symbolCacheKey, writeSymbolCache } from '../src/symbols/cache.js';
import { loadSymbolSources, type LoadedSymbols } from '../src/symbols/sources.js';
import type { SymbolTable } from '../src/symbols/table.js';
import { systemMapFromText } from '../src/symbols/system-map.js';
import { tableToTransfer } from '../src/symbols/transfer.js';
import { MAP_PATH, systemMapTable, systemMapText } from './formats-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-symcache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first lines of the shipped map (text symbols and the kernel text marks among them). */
const EXCERPT = systemMapText().split('\n').slice(0, 3000).join('\n') + '\n';

let n = 0;
/** A new file (new path, so the in-process memo of loadSymbolSources never answers) with `bytes`. */
function file(bytes: string | Buffer, name = 'System.map'): string {
  const d = join(dir, `f${n++}`);
  mkdirSync(d);
  const p = join(d, name);
  writeFileSync(p, bytes);
  return p;
}

/** A fresh cache directory for one test, set as BOOTPROF_CACHE_DIR (the suite's own is put back after). */
let cacheDir = '';
const suiteCache = process.env.BOOTPROF_CACHE_DIR;
beforeEach(() => {
  cacheDir = join(dir, `cache${n++}`);
  process.env.BOOTPROF_CACHE_DIR = cacheDir;
});
afterEach(() => {
  process.env.BOOTPROF_CACHE_DIR = suiteCache;
});

function entries(d = cacheDir): string[] {
  return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.bin')) : [];
}

/** Keys spread over the table: every address, one below and above it, and beyond both ends. */
function probes(t: SymbolTable): number[] {
  const out = [t.addrs[0] - 1, t.addrs[t.addrs.length - 1] + 1, t.addrs[t.addrs.length - 1] + 2 ** 40, -(2 ** 53) + 1, 0];
  for (const a of t.addrs) out.push(a - 1, a, a + 1);
  return out;
}

/** The first index where two lists differ, or -1 (a plain loop: deep equality of 260,000 numbers is slow). */
function firstDifference(a: ArrayLike<unknown>, b: ArrayLike<unknown>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function expectSameTable(got: SymbolTable, want: SymbolTable): void {
  expect(firstDifference(got.addrs, want.addrs)).toBe(-1);
  expect(firstDifference(got.fnAt, want.fnAt)).toBe(-1);
  expect(firstDifference(got.names, want.names)).toBe(-1);
  expect(got.marks).toEqual(want.marks);
  expect(got.textSymbols).toBe(want.textSymbols);
  const keys = probes(want);
  expect(
    firstDifference(
      keys.map((k) => got.lookup(k)),
      keys.map((k) => want.lookup(k)),
    ),
  ).toBe(-1);
  expect(
    firstDifference(
      keys.map((k) => got.indexOf(k)),
      keys.map((k) => want.indexOf(k)),
    ),
  ).toBe(-1);
}

function sameLoad(got: LoadedSymbols, want: LoadedSymbols): void {
  expectSameTable(got.table!, want.table!);
  expect(got.sources).toEqual(want.sources);
  expect(got.mapPath).toBe(want.mapPath);
}

/** Loads `paths` with the cache off: the reference. */
async function fresh(paths: string[]): Promise<LoadedSymbols> {
  process.env.BOOTPROF_CACHE_DIR = 'off';
  try {
    return await loadSymbolSources({ maps: paths });
  } finally {
    process.env.BOOTPROF_CACHE_DIR = cacheDir;
  }
}

describe('the cache file', () => {
  it('gives back the shipped map as loaded: arrays, names, marks, every lookup', () => {
    const t = systemMapTable();
    const key = 'k'.repeat(64);
    const bytes = encodeSymbolCache(key, t, [{ symbols: 87200, added: 87200, modules: false }])!;
    const got = decodeSymbolCache(bytes, key);
    if (typeof got === 'string') throw new Error(got);
    // one name at a time (the list is not made yet), then the list
    const ids = [0, 4, 5, 6, 1000, t.names.length - 1, t.names.length, -1];
    expect(ids.map((id) => got.table.nameOf(id))).toEqual(ids.map((id) => t.names[id]));
    expectSameTable(got.table, t);
    expect(ids.map((id) => got.table.nameOf(id))).toEqual(ids.map((id) => t.names[id]));
    expect(got.sources).toEqual([{ symbols: 87200, added: 87200, modules: false }]);
    expect(got.table.addressOf('start_kernel')).toBe(t.addressOf('start_kernel'));
    // its arrays are views of the file's bytes; what goes to parse workers is a whole copy
    const x = tableToTransfer(got.table);
    expect(x.addrs.byteLength).toBe(x.addrs.buffer.byteLength);
    expect(Array.from(x.fnAt)).toEqual(Array.from(t.fnAt));
  });

  it('a map without kernel text marks, and a misaligned buffer', () => {
    const t = systemMapFromText('0000000000001000 T a\n0000000000002000 t b\n0000000000002000 W c\n0000000000003000 d data\n');
    const bytes = encodeSymbolCache('x', t, [{ symbols: 4, added: 4, modules: true }])!;
    const shifted = Buffer.alloc(bytes.length + 1).subarray(1);
    bytes.copy(shifted);
    const got = decodeSymbolCache(shifted, 'x');
    if (typeof got === 'string') throw new Error(got);
    expectSameTable(got.table, t);
    expect(Number.isNaN(got.table.marks._text)).toBe(true);
  });

  it('refuses other keys, other layouts, truncation and any flipped byte', () => {
    const t = systemMapFromText(EXCERPT);
    const bytes = encodeSymbolCache('key', t, [])!;
    expect(decodeSymbolCache(bytes, 'other')).toBe('another key');
    const layout = Buffer.from(bytes);
    layout.writeUInt32LE(99, 8);
    expect(decodeSymbolCache(layout, 'key')).toMatch(/layout 99/);
    for (const len of [0, 10, 48, 60, bytes.length - 1]) expect(typeof decodeSymbolCache(bytes.subarray(0, len), 'key')).toBe('string');
    for (const at of [0, 9, 20, 50, 100, bytes.length >> 1, bytes.length - 1]) {
      const bad = Buffer.from(bytes);
      bad[at] ^= 0x10;
      expect(typeof decodeSymbolCache(bad, 'key'), `byte ${at}`).toBe('string');
    }
  });
});

describe('the key', () => {
  it('follows the content of the sources and their order, not their names', () => {
    const a = Buffer.from(EXCERPT);
    const b = Buffer.from(EXCERPT.replace('T _text', 'T _texu'));
    expect(symbolCacheKey([a])).toMatch(/^[0-9a-f]{64}$/);
    expect(symbolCacheKey([a])).toBe(symbolCacheKey([Buffer.from(a)]));
    expect(symbolCacheKey([a])).not.toBe(symbolCacheKey([b]));
    expect(symbolCacheKey([a, b])).not.toBe(symbolCacheKey([b, a]));
    // where one source ends is part of it
    expect(symbolCacheKey([Buffer.from('ab'), Buffer.from('c')])).not.toBe(symbolCacheKey([Buffer.from('a'), Buffer.from('bc')]));
  });
});

describe('loadSymbolSources with the cache', () => {
  it('the first load writes an entry, a load of the same content (elsewhere) reads it: the same symbols', async () => {
    const gz = gzipSync(EXCERPT);
    const want = await fresh([file(gz)]);
    expect(entries()).toEqual([]);
    const p1 = file(gz);
    const first = await loadSymbolSources({ maps: [p1] });
    expect(entries()).toHaveLength(1);
    const p2 = file(gz);
    expect(readSymbolCache(cacheDir, symbolCacheKey([readFileSync(p2)])!)).not.toBeNull();
    const second = await loadSymbolSources({ maps: [p2] });
    expect(second.table).not.toBe(first.table);
    sameLoad(first, { ...want, mapPath: p1, sources: [{ ...want.sources![0], path: p1 }] });
    sameLoad(second, { ...want, mapPath: p2, sources: [{ ...want.sources![0], path: p2 }] });
    expect(entries()).toHaveLength(1);
  });

  it('the shipped map, gzip: cold and warm loads give the same table', async () => {
    const [a, b] = ['a', 'b'].map((d) => {
      mkdirSync(join(dir, d));
      copyFileSync(MAP_PATH, join(dir, d, 'System.map.gz'));
      return join(dir, d, 'System.map.gz');
    });
    const cold = await loadSymbolSources({ maps: [a] });
    expect(entries()).toHaveLength(1);
    const warm = await loadSymbolSources({ maps: [b] });
    expect(warm.table).not.toBe(cold.table);
    expectSameTable(warm.table!, systemMapTable());
    expect(warm.sources).toEqual([{ ...cold.sources![0], path: b }]);
  });

  it('several sources; the kind of each is told by its own name', async () => {
    const mods = 'ffffffffc0a00000 t e1000_probe\t[e1000]\nffffffffc0a00400 T e1000_xmit\t[e1000]\n';
    const plain = 'ffffffffc0b00000 T other_fn\n';
    const paths = [file(EXCERPT), file(mods, 'modules.txt'), file(plain, 'kallsyms')];
    const want = await fresh(paths);
    expect(want.sources!.map((s) => s.kind)).toEqual(['System.map', 'kallsyms', 'kallsyms']);
    await loadSymbolSources({ maps: paths });
    // the same bytes, the third under a name that says nothing
    const again = [file(EXCERPT), file(mods, 'm.txt'), file(plain, 'plain.map')];
    const got = await loadSymbolSources({ maps: again });
    expect(entries()).toHaveLength(1);
    expectSameTable(got.table!, want.table!);
    expect(got.sources).toEqual(want.sources!.map((s, i) => ({ ...s, path: again[i], kind: i === 2 ? 'System.map' : s.kind })));
  });

  it('a corrupt or truncated entry is not used: it is rebuilt', async () => {
    const want = await fresh([file(EXCERPT)]);
    await loadSymbolSources({ maps: [file(EXCERPT)] });
    const [name] = entries();
    const path = join(cacheDir, name);
    const good = readFileSync(path);
    const damaged = [Buffer.from(good).fill(0x41, 200, 260), good.subarray(0, good.length >> 1), Buffer.alloc(0), Buffer.from('not a cache')];
    for (const bad of damaged) {
      writeFileSync(path, bad);
      const got = await loadSymbolSources({ maps: [file(EXCERPT)] });
      expectSameTable(got.table!, want.table!);
      expect(readFileSync(path).equals(good)).toBe(true);
    }
  });

  it('an unusable cache directory (under a file) or BOOTPROF_CACHE_DIR=off: loads as without a cache', async () => {
    const want = await fresh([file(EXCERPT)]);
    const blocker = file('x', 'a-file');
    process.env.BOOTPROF_CACHE_DIR = join(blocker, 'cache');
    expectSameTable((await loadSymbolSources({ maps: [file(EXCERPT)] })).table!, want.table!);
    process.env.BOOTPROF_CACHE_DIR = 'off';
    expectSameTable((await loadSymbolSources({ maps: [file(EXCERPT)] })).table!, want.table!);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('errors are those of a load without a cache, and are not cached', async () => {
    const zero = file('0000000000000000 T a\n0000000000000000 t b\n', 'kallsyms');
    await expect(loadSymbolSources({ maps: [zero] })).rejects.toThrow(/kptr_restrict/);
    await expect(loadSymbolSources({ maps: [file('ffffffff81000000 D data\n')] })).rejects.toThrow(/no text symbols/);
    // the first failing source is the one reported, as when sources were read one by one
    await expect(loadSymbolSources({ maps: [file(''), join(dir, 'missing')] })).rejects.toThrow(/empty symbol file/);
    expect(entries()).toEqual([]);
  });
});

describe('the cache directory', () => {
  it('BOOTPROF_CACHE_DIR, else XDG_CACHE_HOME (absolute), else ~/.cache; off disables it', () => {
    expect(symbolCacheDir({ BOOTPROF_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/c');
    expect(symbolCacheDir({ BOOTPROF_CACHE_DIR: 'off', HOME: '/h' })).toBeNull();
    expect(symbolCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/bootprof');
    expect(symbolCacheDir({ XDG_CACHE_HOME: 'rel', HOME: '/h' })).toBe('/h/.cache/bootprof');
    expect(symbolCacheDir({ BOOTPROF_CACHE_DIR: '', HOME: '/h' })).toBe('/h/.cache/bootprof');
  });

  it(`keeps the ${MAX_ENTRIES} most recently used entries`, () => {
    const t = systemMapFromText('0000000000001000 T a\n');
    const keys = Array.from({ length: MAX_ENTRIES + 3 }, (_, i) => i.toString(16).padStart(64, '0'));
    keys.forEach((k, i) => {
      writeSymbolCache(cacheDir, k, t, []);
      const when = new Date(Date.now() - (keys.length - i) * 60_000);
      utimesSync(join(cacheDir, `symbols-${k}.bin`), when, when);
    });
    // each write kept the newest MAX_ENTRIES: keys 0-2 are gone, 3 is the oldest left
    expect(entries()).toHaveLength(MAX_ENTRIES);
    expect(readSymbolCache(cacheDir, keys[2])).toBeNull();
    expect(readSymbolCache(cacheDir, keys[3])).not.toBeNull(); // used now: the most recent
    writeSymbolCache(cacheDir, 'f'.repeat(64), t, []);
    const left = entries();
    expect(left).toHaveLength(MAX_ENTRIES);
    expect(left).toContain(`symbols-${keys[3]}.bin`);
    expect(left).not.toContain(`symbols-${keys[4]}.bin`);
  });
});

describe('the CLI', () => {
  it('a warm run prints what the cold run printed, byte for byte', () => {
    const trace = file(
      [0x81000000, 0x81000190, 0x81000200, 0x81000190]
        .map((pc, i) => `1@1700000000.00000${i}:exec_tb tb:0x7f0000001000 pc=0xffffffff${pc.toString(16)}\n`)
        .join(''),
      'trace.log',
    );
    const map = file(gzipSync(EXCERPT), 'System.map.gz');
    const run = () =>
      spawnSync('node', [new URL('../bin/bootprof.js', import.meta.url).pathname, 'self-time', trace, '--map', map, '-f', 'csv'], {
        encoding: 'utf8',
        env: { ...process.env, BOOTPROF_CACHE_DIR: cacheDir },
      });
    const cold = run();
    expect(cold.status).toBe(0);
    expect(entries()).toHaveLength(1);
    const warm = run();
    expect(warm.stdout).toBe(cold.stdout);
    expect(warm.stderr).toBe(cold.stderr);
    expect(cold.stdout.split('\n').length).toBeGreaterThan(2);
  });
});
