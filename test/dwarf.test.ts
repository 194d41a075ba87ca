/**
 * The DWARF reader (src/symbols/dwarf.ts) on committed fixtures (test/fixtures/dwarf: four compile
 * units in different directories, DWARF 5 and 4, built by build.sh; the expectations below are what
 * `readelf --debug-dump=aranges,info` prints for them), the source-root rule, the groups
 * (symbols/groups.ts) and the regrouping of call trees (analyze/grouping.ts). With BOOTPROF_VMLINUX
 * set to the vmlinux of the samples' kernel, 200 functions are checked against binutils' answers.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupCosts, groupTree } from '../src/analyze/grouping.js';
import type { FunctionCost } from '../src/analyze/self-time.js';
import { CallTree } from '../src/model/call-tree.js';
import { parseHexKey } from '../src/symbols/address.js';
import { readCompileUnits, sourceRoot, treePath } from '../src/symbols/dwarf.js';
import { readElfSymbols } from '../src/symbols/elf.js';
import { dirGroup, Grouper, parseGroupBy } from '../src/symbols/groups.js';
import { loadSymbolSources } from '../src/symbols/sources.js';
import { systemMapFromText } from '../src/symbols/system-map.js';

const DIR = join(__dirname, 'fixtures/dwarf');

/** Function -> the DW_AT_name of the unit readelf puts it in (aranges, then the unit's DIE). */
const EXPECTED: Record<string, string> = {
  pick_next: 'kernel/sched/core.c',
  schedule: 'kernel/sched/core.c',
  sched_init: 'kernel/sched/core.c',
  sort_step: 'lib/sort.c',
  sort_r: 'lib/sort.c',
  dummy_xmit: 'drivers/net/dummy.c',
  _start: '/src/linux/arch/x86/entry/entry.S',
};

async function functionKeys(path: string): Promise<Map<string, number>> {
  const raw = await readElfSymbols(path);
  const out = new Map<string, number>();
  raw.names.forEach((n, i) => {
    if ('TtWw'.includes(raw.types[i])) out.set(n, raw.keys[i]);
  });
  return out;
}

describe('compile units of the fixtures', () => {
  for (const v of [5, 4]) {
    it(`DWARF ${v}: units, names, the source root, each function's unit (aranges and DIE ranges agree)`, async () => {
      const path = join(DIR, `dwarf${v}.elf`);
      const got = (await readCompileUnits(path))!;
      expect(got.map.units.map((u) => [u.name, u.compDir, u.file])).toEqual([
        ['kernel/sched/core.c', '/src/linux', 'kernel/sched/core.c'],
        ['lib/sort.c', '/src/linux', 'lib/sort.c'],
        ['drivers/net/dummy.c', '/src/linux', 'drivers/net/dummy.c'],
        ['/src/linux/arch/x86/entry/entry.S', '/src/linux', 'arch/x86/entry/entry.S'],
      ]);
      expect(got.map.root).toBe('/src/linux');
      expect(got.stats).toMatchObject({ units: 4, fromAranges: 4, fromDie: 0 });
      const fromDie = (await readCompileUnits(path, { aranges: false }))!;
      expect(fromDie.stats).toMatchObject({ units: 4, fromAranges: 0, fromDie: 4 });
      const keys = await functionKeys(path);
      for (const [fn, name] of Object.entries(EXPECTED)) {
        expect(got.map.unitAt(keys.get(fn)!)?.name, fn).toBe(name);
        expect(fromDie.map.unitAt(keys.get(fn)!)?.name, `${fn} from the DIE`).toBe(name);
      }
      // the last byte of a unit's range is in it, the next one not (sched_init ends the text)
      expect(got.map.unitAt(keys.get('sched_init')! + 0x23)?.name).toBe('kernel/sched/core.c');
      expect(got.map.unitAt(keys.get('sched_init')! + 0x24)).toBeUndefined();
      expect(got.map.unitAt(parseHexKey('ffffffff80000000'))).toBeUndefined();
    });
  }

  it('an ELF without DWARF gives null; a unit whose abbreviation is missing is skipped', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'bootprof-dwarf-'));
    try {
      const bytes = readFileSync(join(DIR, 'dwarf5.elf'));
      // rename .debug_info in the section name table: the file then has no DWARF to read
      const noInfo = Buffer.from(bytes);
      const at = noInfo.indexOf('.debug_info\0');
      noInfo.write('.nodbg_info', at, 'latin1');
      writeFileSync(join(tmp, 'plain.elf'), noInfo);
      expect(await readCompileUnits(join(tmp, 'plain.elf'))).toBeNull();
      // a unit whose first DIE uses an abbreviation that is not there
      const bad = Buffer.from(bytes);
      const abbrev = bad.indexOf(Buffer.from([0x01, 0x11, 0x01]));
      bad[abbrev] = 0x7f;
      writeFileSync(join(tmp, 'bad.elf'), bad);
      const got = (await readCompileUnits(join(tmp, 'bad.elf')))!;
      expect(got.map.units.length).toBeLessThan(4);
      copyFileSync(join(DIR, 'dwarf5.elf'), join(tmp, 'copy.elf'));
      expect((await readCompileUnits(join(tmp, 'copy.elf')))!.map.units).toHaveLength(4);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('the source root', () => {
  it("Debian's layout: relative C units in a relative build directory, absolute assembler units", () => {
    const units = [
      { name: '/build/linux-6.1/arch/x86/kernel/head_64.S', compDir: '/build/linux-6.1/debian/build/amd64' },
      { name: 'arch/x86/kernel/head64.c', compDir: 'debian/build/amd64' },
      { name: 'init/main.c', compDir: 'debian/build/amd64' },
    ];
    const root = sourceRoot(units);
    expect(root).toBe('/build/linux-6.1');
    expect(units.map((u) => treePath(u, root))).toEqual(['arch/x86/kernel/head_64.S', 'arch/x86/kernel/head64.c', 'init/main.c']);
  });

  it('built in the tree, or in a directory under it (O=build): the top of the tree', () => {
    const inTree = [
      { name: 'kernel/fork.c', compDir: '/home/u/linux' },
      { name: '/home/u/linux/arch/x86/entry/entry_64.S', compDir: '/home/u/linux' },
    ];
    expect(sourceRoot(inTree)).toBe('/home/u/linux');
    expect(inTree.map((u) => treePath(u, '/home/u/linux'))).toEqual(['kernel/fork.c', 'arch/x86/entry/entry_64.S']);
    const under = [
      { name: '../kernel/fork.c', compDir: '/home/u/linux/build' },
      { name: '../mm/slub.c', compDir: '/home/u/linux/build' },
    ];
    expect(sourceRoot(under)).toBe('/home/u/linux');
    expect(treePath(under[0], '/home/u/linux')).toBe('kernel/fork.c');
  });

  it('no absolute path at all: names as written', () => {
    expect(sourceRoot([{ name: './lib/sort.c', compDir: '' }])).toBe('');
    expect(treePath({ name: './lib/sort.c', compDir: '' }, '')).toBe('lib/sort.c');
  });

  it('dir and dir:N', () => {
    expect(dirGroup('arch/x86/kernel/head_64.S', 0)).toBe('arch/x86/kernel');
    expect(dirGroup('arch/x86/kernel/head_64.S', 1)).toBe('arch');
    expect(dirGroup('arch/x86/kernel/head_64.S', 2)).toBe('arch/x86');
    expect(dirGroup('arch/x86/kernel/head_64.S', 9)).toBe('arch/x86/kernel');
    expect(dirGroup('/usr/include/x.h', 1)).toBe('/usr');
    expect(dirGroup('top.c', 2)).toBe('.');
  });
});

describe('groups', () => {
  it('--group-by values', () => {
    expect(parseGroupBy('dir:2')).toEqual({ kind: 'dir', depth: 2 });
    expect(parseGroupBy('file')).toEqual({ kind: 'file', depth: 0 });
    for (const bad of ['dir:0', 'file:1', 'files', 'dir:', 'dir:x']) expect(() => parseGroupBy(bad), bad).toThrow(/--group-by takes/);
  });

  it('file, dir, module and region of functions, labels and module symbols', async () => {
    const vmlinux = join(DIR, 'dwarf5.elf');
    const tmp = mkdtempSync(join(tmpdir(), 'bootprof-groups-'));
    try {
      // a kallsyms copy adds a module function
      writeFileSync(join(tmp, 'kallsyms'), 'ffffffff81001000 t pick_next\nffffffffc0001000 t e1000_xmit\t[e1000]\n');
      const { table } = await loadSymbolSources({ vmlinux, maps: [join(tmp, 'kallsyms')] });
      const units = (await readCompileUnits(vmlinux))!.map;
      const g = (by: string) => new Grouper(parseGroupBy(by)!, table, units);
      expect(['schedule', 'sort_r', '_start', 'e1000_xmit [e1000]', '[user]', 'nowhere'].map((n) => g('file').of(n))).toEqual([
        'kernel/sched/core.c',
        'lib/sort.c',
        'arch/x86/entry/entry.S',
        '[module e1000]',
        '[user]',
        '[no address]',
      ]);
      expect(['schedule', '_start', 'dummy_xmit'].map((n) => g('dir').of(n))).toEqual(['kernel/sched', 'arch/x86/entry', 'drivers/net']);
      expect(['schedule', '_start'].map((n) => g('dir:1').of(n))).toEqual(['kernel', 'arch']);
      expect(['schedule', 'e1000_xmit [e1000]', '[boot]'].map((n) => g('module').of(n))).toEqual(['vmlinux', 'e1000', '[boot]']);
      // regions by the map's marks
      const map = systemMapFromText(
        'ffffffff81000000 T _text\nffffffff81001005 T schedule\nffffffff81001073 T _etext\nffffffff81001073 T _sinittext\nffffffff81001073 T sched_init\nffffffff81001097 T _einittext\nffffffff81002000 T after\nffffffffc0001000 t e1000_xmit\t[e1000]\n',
      );
      const region = new Grouper(parseGroupBy('region')!, map, null);
      expect(['schedule', 'sched_init', 'after', 'e1000_xmit [e1000]', '[firmware]'].map((n) => region.of(n))).toEqual([
        '.text',
        '.init.text',
        '[other kernel text]',
        '[modules]',
        '[firmware]',
      ]);
      expect(() => new Grouper(parseGroupBy('file')!, table, null)).toThrow(/needs a vmlinux with debug info/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('regrouping results', () => {
  it('a call tree: frames replaced by their group, a frame of its caller group merged into it, every value kept', () => {
    // names: 0 a, 1 b, 2 c, 3 d; groups: a, b -> X (0); c -> Y (1); d -> X (0)
    const t = new CallTree();
    const add = (path: number[], self: number): void => {
      let n = 0;
      for (const f of path) n = t.child(n, f);
      t.self[n] += self;
      t.events[n] += 1;
      t.insns[n] += self * 2;
    };
    add([0], 5);
    add([0, 1], 7); // X;X -> X
    add([0, 1, 2], 11); // X;Y
    add([0, 2, 3], 13); // X;Y;X
    add([2, 0], 17); // Y;X
    const g = groupTree(t, Int32Array.from([0, 0, 1, 0]));
    const stacks = new Map<string, number>();
    for (let n = 1; n < g.count; n++) stacks.set(g.path(n).join(';'), g.self[n]);
    expect(Object.fromEntries(stacks)).toEqual({ '0': 12, '0;1': 11, '0;1;0': 13, '1': 0, '1;0': 17 });
    const sum = (a: Float64Array, n: number): number => a.subarray(0, n).reduce((s, v) => s + v, 0);
    expect(sum(g.self, g.count)).toBe(sum(t.self, t.count));
    expect(sum(g.insns, g.count)).toBe(sum(t.insns, t.count));
    expect(sum(g.events, g.count)).toBe(5);
    // inclusive: X holds everything under an outermost X once (12 + 11 + 13), plus Y;X (17)
    expect(Array.from(g.functionTotals(2))).toEqual([53, 41]);
  });

  it('function rows: sums per group, shares of the same total, sorted by the weight', () => {
    const row = (f: string, self: number, events: number): FunctionCost => ({
      function: f,
      self,
      total: 0,
      share: 0,
      events,
      selfInsns: events * 3,
      totalInsns: 0,
      insnsShare: 0,
    });
    const rows = [row('a', 10, 1), row('b', 30, 2), row('c', 25, 9), row('[user]', 35, 4)];
    const out = groupCosts(rows, (n) => (n === 'a' || n === 'b' ? 'X' : n === 'c' ? 'Y' : n), 'time');
    expect(out.map((r) => [r.function, r.self, r.events, r.share, r.selfInsns])).toEqual([
      ['X', 40, 3, 40, 9],
      ['[user]', 35, 4, 35, 12],
      ['Y', 25, 9, 25, 27],
    ]);
    expect(groupCosts(rows, (n) => (n === 'a' || n === 'b' ? 'X' : n), 'events').map((r) => r.function)).toEqual(['c', '[user]', 'X']);
  });
});

describe.skipIf(!process.env.BOOTPROF_VMLINUX)('the kernel of the samples (BOOTPROF_VMLINUX)', () => {
  it('200 functions of a sample in the compile unit binutils gives', async () => {
    const vmlinux = process.env.BOOTPROF_VMLINUX!;
    const rows = readFileSync(join(DIR, 'kernel-cu.tsv'), 'utf8').trim().split('\n').slice(1);
    expect(rows).toHaveLength(200);
    const got = (await readCompileUnits(vmlinux))!;
    const keys = await functionKeys(vmlinux);
    const bad: string[] = [];
    for (const row of rows) {
      const [fn, address, offset, name] = row.split('\t');
      const key = parseHexKey(address);
      const u = got.map.unitAt(key);
      if (keys.get(fn) !== key || !u || `0x${u.offset.toString(16)}` !== offset || u.name !== name) bad.push(`${fn}: ${u?.name}`);
    }
    expect(bad).toEqual([]);
  });
});
