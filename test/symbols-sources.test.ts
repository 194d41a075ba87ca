import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { excerpt, parseLog, sampleLines, selfRows, shiftKernelEvs, systemMapTable, systemMapText, toQemuLog } from './formats-helpers.js';
import { loadRawSource, loadSymbolSources, mergeSources } from '../src/symbols/sources.js';
import { parseSymbolText } from '../src/symbols/kallsyms.js';
import { readElfSymbols } from '../src/symbols/elf.js';
import { parseSlide, slideHex, voteSlide } from '../src/symbols/kaslr.js';
import { SymbolTableBuilder } from '../src/symbols/table.js';
import { parseHexKey } from '../src/symbols/address.js';
import { FIRST_FUNCTION } from '../src/model/names.js';
import { writeElf } from './elf-writer.js';
import { prng } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-sym-'));
const evs = excerpt();
const trace = toQemuLog(evs);
const reference = await selfRows(trace);

/** System.map's symbols as an ELF symbol table: text symbols sized up to the next address. */
function mapAsElf(): Buffer {
  const lines = systemMapText()
    .split('\n')
    .map((l) => l.split(' '))
    .filter((p) => p.length === 3);
  const keys = lines.map((p) => parseHexKey(p[0]));
  const sortedKeys = [...new Set(keys)].sort((a, b) => a - b);
  const nextOf = new Map<number, number>();
  for (let i = 0; i < sortedKeys.length - 1; i++) nextOf.set(sortedKeys[i], sortedKeys[i + 1]);
  return writeElf(
    lines.map((p, i) => {
      const text = 'TtWw'.includes(p[1]);
      const next = nextOf.get(keys[i]);
      return {
        name: p[2],
        value: BigInt.asUintN(64, BigInt('0x' + p[0])),
        size: text && next !== undefined ? BigInt(next - keys[i]) : 0n,
        text,
        bind: p[1] === 't' ? 0 : p[1] === 'W' || p[1] === 'w' ? 2 : 1,
      };
    }),
  );
}

describe('kallsyms', () => {
  it('a kallsyms copy resolves the same pcs as the System.map; module symbols are "name [module]"', async () => {
    const text =
      systemMapText()
        .split('\n')
        .filter((l) => l !== '')
        .join('\n') + '\nffffffffc0a00000 t e1000_probe\t[e1000]\nffffffffc0a00400 T e1000_xmit_frame\t[e1000]\nffffffffc0a01000 d e1000_driver\t[e1000]\n';
    const path = join(dir, 'kallsyms');
    writeFileSync(path, text);
    const raw = await loadRawSource(path);
    expect(raw.kind).toBe('kallsyms');
    const { table } = mergeSources([raw]);
    expect((await selfRows(trace, { table })).rows).toEqual(reference.rows);
    const mod = (await selfRows('1 0xffffffffc0a00010\n2 0xffffffffc0a00410\n3 0xffffffffc0a00420\n', { table })).rows;
    expect(mod.map((r) => r[0]).sort()).toEqual(['e1000_probe [e1000]', 'e1000_xmit_frame [e1000]']);
  });

  it('an all-zero copy (kptr_restrict) is a clear error', async () => {
    const path = join(dir, 'kallsyms-restricted');
    writeFileSync(path, '0000000000000000 T _text\n0000000000000000 t startup_64\n0000000000000000 T start_kernel\n');
    await expect(loadSymbolSources({ maps: [path] })).rejects.toThrow(/kptr_restrict.*sudo cat \/proc\/kallsyms/);
  });
});

describe('ELF .symtab', () => {
  it('an ELF symbol table (gzip too) resolves the same pcs as the System.map', async () => {
    const elf = mapAsElf();
    const path = join(dir, 'vmlinux');
    writeFileSync(path, elf);
    writeFileSync(path + '.gz', gzipSync(elf));
    for (const p of [path, path + '.gz']) {
      const raw = await readElfSymbols(p);
      expect(raw.kind).toBe('ELF .symtab');
      const { table } = mergeSources([raw]);
      expect(table.textSymbols).toBe(systemMapTable().textSymbols);
      expect((await selfRows(trace, { table })).rows).toEqual(reference.rows);
    }
    const loaded = await loadSymbolSources({ vmlinux: path });
    expect(loaded.sources?.[0].kind).toBe('ELF .symtab');
  });

  it('symbol sizes bound functions: a pc past the end is no function', async () => {
    const path = join(dir, 'small.elf');
    writeFileSync(
      path,
      writeElf([
        { name: 'f', value: 0xffffffff81000000n, size: 0x10n, text: true, bind: 1 },
        { name: 'g', value: 0xffffffff81000100n, size: 0n, text: true, bind: 0 },
        { name: 'h', value: 0xffffffff81000200n, size: 0x100n, text: true, bind: 2 },
        { name: 'obj', value: 0xffffffff82000000n, size: 8n, text: false, bind: 1 },
      ]),
    );
    const raw = await readElfSymbols(path);
    expect(raw.types).toEqual(['T', 't', 'W', 'D']);
    const { table } = mergeSources([raw]);
    const name = (pc: string) => {
      const id = table.lookup(parseHexKey(pc));
      return id >= FIRST_FUNCTION ? table.names[id] : null;
    };
    expect(name('ffffffff81000000')).toBe('f');
    expect(name('ffffffff8100000f')).toBe('f');
    expect(name('ffffffff81000010')).toBe(null); // past f's 16 bytes
    expect(name('ffffffff810001f0')).toBe('g'); // no size: up to the next symbol
    expect(name('ffffffff810002ff')).toBe('h');
    expect(name('ffffffff81000300')).toBe(null);
  });
});

describe('several sources', () => {
  it('later sources only fill gaps', async () => {
    const a = parseSymbolText('ffffffff81000000 T _text\nffffffff81000000 T startup_64\nffffffff81000100 T start_kernel\nffffffff81000200 T _etext\n', 'a');
    const b = parseSymbolText('ffffffff81000000 T other_startup\nffffffff81000180 T not_used\nffffffffc0000000 t mod_init\t[mod]\n', 'b');
    const { table, added } = mergeSources([a, b]);
    expect(added).toEqual([4, 1]);
    expect(table.names[table.lookup(parseHexKey('ffffffff81000190'))]).toBe('start_kernel');
    expect(table.names[table.lookup(parseHexKey('ffffffffc0000010'))]).toBe('mod_init [mod]');
  });

  it('System.map then kallsyms through loadSymbolSources', async () => {
    const kpath = join(dir, 'modules.kallsyms');
    writeFileSync(kpath, 'ffffffffc0a00000 t e1000_probe\t[e1000]\n');
    const mpath = join(dir, 'System.map');
    writeFileSync(mpath, systemMapText());
    const s = await loadSymbolSources({ maps: [mpath, kpath] });
    expect(s.mapPath).toBe(`${mpath}, ${kpath}`);
    expect(s.sources?.map((x) => x.added)).toEqual([87200, 1]);
    expect((await selfRows(trace, { table: s.table })).rows).toEqual(reference.rows);
  });
});

/** The excerpt with every kernel-half pc moved by `slide`. */
function shifted(slide: bigint): string {
  return toQemuLog(shiftKernelEvs(evs, slide));
}

describe('KASLR', () => {
  // a fixed "random" 2 MiB multiple below 1 GiB (x86-64's range), and a small one
  // fixed 2 MiB multiples below 1 GiB (x86-64's range), a small one, and one drawn at random per run
  // (a sweep of every multiple from -128 MiB to +1 GiB found each one, all with confidence high)
  const random = BigInt(1 + Math.floor(Math.random() * 511)) * 0x200000n;
  const slides = [0x1e000000n, 0x2a600000n, 0x200000n, random];

  for (const slide of slides) {
    it(`slide 0x${slide.toString(16)}: --kaslr auto finds it and resolves exactly`, async () => {
      const data = shifted(slide);
      const r = await selfRows(data, { kaslr: { mode: 'auto' } });
      expect(r.run.kaslr?.slide).toBe(Number(slide));
      expect(r.run.kaslr?.method).toBe('detected');
      expect(r.run.kaslr?.vote?.confidence).toBe('high');
      expect(r.rows).toEqual(reference.rows);
      for (const chunkSize of [64, 1 << 20])
        expect((await selfRows(data, { kaslr: { mode: 'auto' }, chunkSize, batchSize: 512 })).rows).toEqual(reference.rows);
      // --kaslr-offset gives the same
      expect((await selfRows(data, { kaslr: { offset: Number(slide) } })).rows).toEqual(reference.rows);
    });
  }

  it('by default, a large slide (few pcs resolve) is detected too; --kaslr off warns', async () => {
    const data = shifted(0x1e000000n);
    const d = await selfRows(data);
    expect(d.run.kaslr?.slide).toBe(0x1e000000);
    expect(d.rows).toEqual(reference.rows);
    expect(d.run.symbols.note).toMatch(/KASLR slide 0x1e000000 detected/);
    const off = await selfRows(data, { kaslr: { mode: 'off' } });
    expect(off.run.kaslr?.slide).toBe(0);
    expect(off.run.symbols.note).toMatch(/resolve to a function: the symbols do not match/);
  });

  it('by default, a small slide is applied too: decided by function-start votes, not by the share that resolves', async () => {
    const r = await selfRows(shifted(0x200000n));
    const k = r.run.kaslr!;
    expect([k.slide, k.method]).toEqual([0x200000, 'detected']);
    expect(r.rows).toEqual(reference.rows);
  });

  it('by default, user space with a small slide: the kernel pcs resolve to the right names', async () => {
    const lines = sampleLines('userspace-500k.log.gz').slice(0, 30000);
    const user = shiftKernelEvs(parseLog(lines), 0x200000n);
    const r = await selfRows(toQemuLog(user));
    expect(r.run.kaslr?.sampleRate0).toBeGreaterThan(0.5);
    expect(r.run.kaslr?.slide).toBe(0x200000);
    expect(r.rows).toEqual((await selfRows(toQemuLog(parseLog(lines)))).rows);
  });

  it('a kernel moved down (not what KASLR does) is not taken for a negative slide', async () => {
    const r = await selfRows(shifted(-0x200000n));
    expect(r.run.kaslr?.slide).toBe(0);
    expect(r.run.kaslr?.vote?.slide).toBeGreaterThanOrEqual(0);
  });

  it('thin evidence (29 distinct kernel pcs): taken only because nothing resolves without it', async () => {
    const few = shiftKernelEvs(evs.slice(0, 2000), 0x1e000000n);
    const want = (await selfRows(toQemuLog(evs.slice(0, 2000)))).rows;
    const r = await selfRows(toQemuLog(few));
    expect(r.run.kaslr?.slide).toBe(0x1e000000);
    expect(r.run.kaslr?.vote?.confidence).toBe('low');
    expect(r.rows).toEqual(want);
  });

  it('an unshifted trace keeps slide 0, also under --kaslr auto', async () => {
    for (const mode of [undefined, 'auto'] as const) {
      const r = await selfRows(trace, { kaslr: { mode } });
      expect(r.run.kaslr?.slide).toBe(0);
      expect(r.run.kaslr?.method).toBe(mode === 'auto' ? 'detected' : 'checked');
      expect(r.rows).toEqual(reference.rows);
    }
  });

  it('votes: the winning slide and its margin', () => {
    const table = systemMapTable();
    const pcs = new Map<number, number>();
    const start = table.addrs.findIndex((_, i) => table.fnAt[i] >= FIRST_FUNCTION);
    for (let i = start; i < start + 200; i++) if (table.fnAt[i] >= FIRST_FUNCTION) pcs.set(table.addrs[i] + 0x400000, 1);
    const v = voteSlide(table, pcs);
    expect(v.slide).toBe(0x400000);
    expect(v.confidence).toBe('high');
  });

  it('votes as counting every (pc, function start) pair with the same low 21 bits does', () => {
    const table = systemMapTable();
    const starts = Array.from(table.addrs).filter((_, i) => table.fnAt[i] >= FIRST_FUNCTION);
    /** The vote by its definition: every voter against every function start (a double modulo). */
    function reference(pcs: Map<number, number>) {
      const voters = [...pcs.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 4096);
      const mod = (k: number) => ((k % 0x200000) + 0x200000) % 0x200000;
      const votes = new Map<number, number>();
      for (const s of starts)
        for (const [pc] of voters) {
          const slide = pc - s;
          if (mod(pc) === mod(s) && slide >= 0 && slide <= 2 ** 32) votes.set(slide, (votes.get(slide) ?? 0) + 1);
        }
      const best = [...votes].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0] ?? [0, 0];
      const [slide, hits] = (votes.get(0) ?? 0) >= best[1] ? [0, votes.get(0) ?? 0] : best;
      return { slide, hits, zero: votes.get(0) ?? 0 };
    }
    const rnd = prng(7);
    for (const n of [1, 3, 40]) {
      const pcs = new Map<number, number>();
      for (let k = 0; k < n; k++) {
        const s = starts[rnd(starts.length)];
        // a function start moved by a 2 MiB multiple, or a pc inside a function
        pcs.set(rnd(2) ? s + 0x200000 * rnd(600) : s + 1 + rnd(64), 1 + rnd(5));
      }
      const { slide, hits, zero } = voteSlide(table, pcs);
      expect({ slide, hits, zero }, `${n} voters`).toEqual(reference(pcs));
    }
  });

  it('parses --kaslr-offset', () => {
    expect(parseSlide('0x1e000000')).toBe(0x1e000000);
    expect(parseSlide('0X1E000000')).toBe(0x1e000000);
    expect(() => parseSlide('1E000000')).toThrow(/0x prefix/);
    expect(() => parseSlide('-0x200000')).toThrow(/not negative/);
    expect(slideHex(-0x200000)).toBe('-0x200000');
    expect(() => parseSlide('zz')).toThrow(/hex slide/);
    expect(() => parseSlide('0xzz')).toThrow(/not hex/);
  });
});

describe('table extents', () => {
  it('unsized symbols keep the old rule', () => {
    const b = new SymbolTableBuilder();
    b.add(100, 'T', 'a');
    b.add(200, 'T', 'b', 10);
    b.add(300, 'D', 'c');
    const t = b.build();
    expect(t.names[t.lookup(150)]).toBe('a');
    expect(t.names[t.lookup(205)]).toBe('b');
    expect(t.lookup(215)).toBe(-1);
    expect(t.indexOf(205)).toBe(1);
  });
});
