/**
 * --user-elf: [user] events in a user-space ELF's functions become FILE:function, with a PIE's load
 * base given or found by the vote (symbols/user-elf.ts); self time equals an independent naive
 * computation, and runs on the main thread and in parse workers with tiny units agree.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseUserElfSpec, voteBase, loadUserElf } from '../src/symbols/user-elf.js';
import { writeElf } from './elf-writer.js';
import { cli, logLine, prng } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-user-elf-'));
const BASE = 0x7fe291103000n;
// functions of the program: entries at distinct page offsets, sizes bound them
const FUNCS = [
  { name: '_start', value: 0x1000n, size: 0x40n },
  { name: 'main', value: 0x1100n, size: 0x100n },
  { name: 'hot_loop', value: 0x1240n, size: 0x80n },
  { name: 'mix', value: 0x2040n, size: 0x30n },
  { name: 'exit', value: 0x3800n, size: 0x20n },
];
const elfPath = join(dir, 'prog');
writeFileSync(
  elfPath,
  writeElf(
    FUNCS.map((f) => ({ ...f, text: true, bind: 1 })),
    3,
  ),
);
const mapPath = join(dir, 'System.map');
writeFileSync(
  mapPath,
  'ffffffff81000000 T _text\nffffffff81000000 T startup_64\nffffffff81001000 T start_kernel\nffffffff81002000 T do_syscall_64\nffffffff81002800 T entry_SYSCALL_64\nffffffff81003000 T _etext\n',
);

// user pcs: each function's entry, places inside, a pc past a function's end, one below the program
const userPcs: bigint[] = [];
for (const f of FUNCS) userPcs.push(BASE + f.value, BASE + f.value + f.size / 2n);
userPcs.push(BASE + 0x1240n + 0x90n, BASE - 0x1000n, 0x400123n);
const kernelPcs = [0xffffffff81001010n, 0xffffffff81002800n, 0xffffffff81002000n, 0xffffffff81002040n];

const rnd = prng(7);
let t = 0;
const lines: string[] = [];
const events: { tid: number; t: number; pc: bigint }[] = [];
const push = (tid: number, pc: bigint): void => {
  t += 1 + rnd(5);
  events.push({ tid, t, pc });
  lines.push(logLine(tid, t, '0x' + pc.toString(16)));
};
// each vCPU enters the kernel first (before that a low pc is boot code, not user space)
push(101, kernelPcs[0]);
push(102, kernelPcs[0]);
for (let i = 0; i < 6000; i++) {
  const tid = rnd(3) === 0 ? 102 : 101;
  push(tid, rnd(4) === 0 ? kernelPcs[1 + rnd(3)] : userPcs[rnd(userPcs.length)]);
}
const trace = join(dir, 'trace.log');
writeFileSync(trace, lines.join(''));

/** name of a pc: the naive rule of the test's map and program. */
function naiveName(pc: bigint): string {
  if (pc >= 0xffffffff81000000n) {
    if (pc >= 0xffffffff81002800n) return 'entry_SYSCALL_64';
    if (pc >= 0xffffffff81002000n) return 'do_syscall_64';
    return pc >= 0xffffffff81001000n ? 'start_kernel' : 'startup_64';
  }
  for (const f of FUNCS) if (pc >= BASE + f.value && pc < BASE + f.value + f.size) return `prog:${f.name}`;
  return '[user]';
}

/** Self time (us) and events per name: each event runs until its vCPU's next one. */
function naiveSelf(): Map<string, { self: number; events: number }> {
  const out = new Map<string, { self: number; events: number }>();
  const last = new Map<number, { t: number; name: string }>();
  const row = (n: string) => out.get(n) ?? (out.set(n, { self: 0, events: 0 }), out.get(n)!);
  for (const e of events) {
    const name = naiveName(e.pc);
    const prev = last.get(e.tid);
    if (prev) row(prev.name).self += e.t - prev.t;
    row(name).events++;
    last.set(e.tid, { t: e.t, name });
  }
  return out;
}

function parseCsv(text: string): Map<string, { self: number; events: number }> {
  const [head, ...rows] = text.trim().split('\n');
  const cols = head.split(',');
  const out = new Map<string, { self: number; events: number }>();
  for (const r of rows) {
    const c = r.split(',');
    out.set(c[cols.indexOf('function')], { self: Number(c[cols.indexOf('self_ns')]) / 1000, events: Number(c[cols.indexOf('events')]) });
  }
  return out;
}

async function selfTime(...args: string[]): Promise<{ out: string; err: string }> {
  const r = await cli('self-time', trace, '--map', mapPath, '-f', 'csv', ...args);
  expect(r.code, r.err).toBe(0);
  return r;
}

describe('--user-elf', () => {
  it('parses FILE and FILE@BASE, refusing a base that is not a page', () => {
    expect(parseUserElfSpec('a/init')).toEqual({ path: 'a/init', base: null });
    expect(parseUserElfSpec('init@0x7fe291103000')).toEqual({ path: 'init', base: 0x7fe291103000 });
    expect(() => parseUserElfSpec('init@0x7fe291103010')).toThrow(/page-aligned/);
    expect(() => parseUserElfSpec('init@123')).toThrow(/FILE@BASE/);
  });

  it('votes for the load base from function entries', async () => {
    const elf = await loadUserElf(elfPath);
    expect(elf.pie).toBe(true);
    const pcs = userPcs.map(Number);
    expect(voteBase(elf, pcs)).toEqual({ base: Number(BASE), votes: FUNCS.length });
    // without enough entries there is no base
    expect(voteBase(elf, pcs.slice(0, 3))).toBeNull();
  });

  it('names user events FILE:function, equal to a naive computation, base detected or given', async () => {
    const want = naiveSelf();
    const detected = await selfTime('--user-elf', elfPath);
    expect(detected.err).toMatch(/prog: load base 0x7fe291103000 \(detected: 5 of the first 13 distinct user pcs/);
    const got = parseCsv(detected.out);
    expect(new Set(got.keys())).toEqual(new Set([...want.keys()]));
    for (const [name, w] of want) expect(got.get(name), name).toEqual(w);
    expect(got.get('prog:hot_loop')!.events).toBeGreaterThan(0);
    expect(got.get('[user]')!.events).toBeGreaterThan(0);
    const given = await selfTime('--user-elf', `${elfPath}@0x7fe291103000`);
    expect(given.out).toBe(detected.out);
    // parse workers with tiny units give the same table
    const parallel = await selfTime('--user-elf', elfPath, '--threads', '2', '--unit-size', '65536');
    expect(parallel.out).toBe(detected.out);
  });

  it('a wrong base leaves the events [user]; a program without a base in the trace says so', async () => {
    const r = await selfTime('--user-elf', `${elfPath}@0x100000`, '-q');
    expect(r.out).not.toMatch(/prog:/);
    const plain = await selfTime('-q');
    expect(r.out).toBe(plain.out);
  });

  it('regions, syscalls and milestones still see [user]; flame graphs and resolve show the functions', async () => {
    const run = async (cmd: string, ...args: string[]): Promise<string> => {
      const r = await cli(cmd, trace, '--map', mapPath, '-q', ...args);
      expect(r.code, r.err).toBe(0);
      return r.out;
    };
    const summary = (j: string) => JSON.parse(j).summary.regions;
    expect(summary(await run('self-time', '-f', 'json', '--user-elf', elfPath))).toEqual(summary(await run('self-time', '-f', 'json')));
    expect(await run('syscalls', '-f', 'csv', '--user-elf', elfPath)).toBe(await run('syscalls', '-f', 'csv'));
    expect(await run('timeline', '-f', 'csv', '--user-elf', elfPath)).toBe(await run('timeline', '-f', 'csv'));
    const folded = await run('flamegraph', '-f', 'folded', '--user-elf', elfPath);
    // user functions are roots, as [user] is: the same total weight as without the program
    const total = (f: string) =>
      f
        .trim()
        .split('\n')
        .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    expect(folded).toMatch(/^prog:hot_loop \d+$/m);
    expect(total(folded)).toBe(total(await run('flamegraph', '-f', 'folded')));
    const resolved = await run('resolve', '--user-elf', elfPath);
    expect(resolved).toMatch(/ prog:mix\+0x18\n/);
    expect(resolved).toMatch(/ prog:_start\n| prog:_start\+0x0\n/);
  });
});

/**
 * The real boot of test/fixtures/userboot (its README): brd's functions resolve from the kallsyms
 * copy of its module lines, /init's from its ELF with the load base found by the vote (the one its
 * /proc/self/maps printed), and every function's events equal a naive count from binutils' nm.
 */
describe('--user-elf and modules on a real boot', () => {
  const FX = 'test/fixtures/userboot';
  const MAP = 'samples/System.map-6.1.0-47-cloud-amd64.gz';
  const base = Number.parseInt(readFileSync(`${FX}/init-maps.txt`, 'latin1').split('\n')[0].split(/[ -]/)[2], 16);

  function naiveCounts(): Map<string, number> {
    const fns = readFileSync(`${FX}/init.nm`, 'latin1')
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      // nm -S leaves out a size of 0: such a symbol runs to the next one
      .map((f) => (f.length === 4 ? f : [f[0], '', f[1], f[2]]))
      .map(([a, size, , name]) => ({ a: Number.parseInt(a, 16), size: size === '' ? 0 : Number.parseInt(size, 16), name, end: 0 }))
      .sort((x, y) => x.a - y.a);
    for (const f of fns) f.end = f.size > 0 ? f.a + f.size : (fns.find((g) => g.a > f.a)?.a ?? Infinity);
    const mods = readFileSync(`${FX}/modules.kallsyms`, 'latin1')
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/))
      .map(([a, type, name, mod]) => ({ a: BigInt('0x' + a), text: /^[tTwW]$/.test(type), name: `${name} ${mod}` }))
      .sort((x, y) => (x.a < y.a ? -1 : x.a > y.a ? 1 : 0));
    const counts = new Map<string, number>();
    const add = (n: string): void => void counts.set(n, (counts.get(n) ?? 0) + 1);
    const text = gunzipSync(readFileSync(`${FX}/trace.log.gz`)).toString('latin1');
    for (const m of text.matchAll(/ pc=0x([0-9a-f]+)\n/g)) {
      const pc = BigInt('0x' + m[1]);
      if (pc < 1n << 47n) {
        const off = Number(pc) - base;
        // aliases at one address (printf, _IO_printf): the names bootprof may pick from, joined by |
        const at = fns.filter((x) => off >= x.a && off < x.end);
        if (at.length > 0) add(at.map((x) => `init:${x.name}`).join('|'));
      } else if (pc >= mods[0].a) {
        let k = -1;
        for (let i = 0; i < mods.length && mods[i].a <= pc; i++) k = i;
        // the symbol at the greatest address <= pc, when it is text (several at one address: any text one)
        const at = mods.filter((x) => x.a === mods[k].a);
        const t = at.find((x) => x.text);
        if (t) add(t.name);
      }
    }
    return counts;
  }

  it('names brd [brd] functions and /init functions, counts equal to nm and kallsyms', async () => {
    const r = await cli('self-time', `${FX}/trace.log.gz`, '--map', MAP, '--map', `${FX}/modules.kallsyms`, '--user-elf', `${FX}/init`, '-f', 'csv');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`init: load base 0x${base.toString(16)} (detected`);
    const got = new Map(
      r.out
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','))
        .map((c) => [c[0], Number(c[3])] as const),
    );
    const want = naiveCounts();
    expect(want.get('init:bootprof_hot_loop')).toBeGreaterThan(1_000);
    expect(want.get('brd_do_bvec [brd]')).toBeGreaterThan(500);
    const wantNames = new Set<string>();
    for (const [names, n] of want) {
      const shown = names.split('|').filter((x) => got.has(x));
      expect(shown.length, names).toBe(1);
      expect(got.get(shown[0]), names).toBe(n);
      wantNames.add(shown[0]);
    }
    for (const name of got.keys()) if (name.startsWith('init:') || name.endsWith('[brd]')) expect(wantNames.has(name), name).toBe(true);
    // every user event of /init lands in one of its functions
    expect(got.has('[user]')).toBe(false);
    // grouped by module: brd, the program and the core kernel, adding up to the same total
    const m = await cli(
      'self-time',
      `${FX}/trace.log.gz`,
      '--map',
      MAP,
      '--map',
      `${FX}/modules.kallsyms`,
      '--user-elf',
      `${FX}/init`,
      '-f',
      'csv',
      '-q',
      '--group-by',
      'module',
    );
    expect(m.code, m.err).toBe(0);
    const groups = new Map(
      m.out
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','))
        .map((c) => [c[0], Number(c[3])] as const),
    );
    const sum = (f: (n: string) => boolean) => [...got].filter(([n]) => f(n)).reduce((a, [, v]) => a + v, 0);
    expect(groups.get('brd')).toBe(sum((n) => n.endsWith(' [brd]')));
    expect(groups.get('init')).toBe(sum((n) => n.startsWith('init:')));
    expect([...groups.values()].reduce((a, b) => a + b, 0)).toBe([...got.values()].reduce((a, b) => a + b, 0));
  });
});
