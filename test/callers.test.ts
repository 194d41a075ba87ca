/**
 * callers and callees against the folded stacks flamegraph writes from the same call tree
 * (--min-duration 0 keeps every frame): a callees node's total is the sum of the lines whose suffix
 * from their first FUNC frame starts with its path, a callers node's the sum of the lines grouped by
 * the frames before their first FUNC; on the synthetic acceptance tree (recursion, interrupts, two
 * vCPUs) and on committed samples.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';
import { acceptanceBlocks, render, systemMap } from './synthetic.js';

type Direction = 'callers' | 'callees';
interface Sums {
  self: number;
  total: number;
}

/** The tree folded lines give: path (root label first, ';'-joined) -> self and total. */
function expected(folded: string, direction: Direction, isF: (name: string) => boolean, root: string): Map<string, Sums> {
  const out = new Map<string, Sums>();
  const at = (k: string): Sums => out.get(k) ?? (out.set(k, { self: 0, total: 0 }), out.get(k)!);
  for (const line of folded.split('\n')) {
    if (!line) continue;
    const sp = line.lastIndexOf(' ');
    const frames = line.slice(0, sp).split(';');
    const v = Number(line.slice(sp + 1));
    const i = frames.findIndex(isF);
    if (i < 0) continue;
    const path = direction === 'callees' ? [root, ...frames.slice(i + 1)] : [root, ...frames.slice(0, i).reverse()];
    const leafIsF = isF(frames[frames.length - 1]);
    for (let k = 1; k <= path.length; k++) {
      const s = at(path.slice(0, k).join(';'));
      s.total += v;
      // callees: the line's own path only; callers: FUNC's own time, along its whole chain
      if (direction === 'callees' ? k === path.length : leafIsF) s.self += v;
    }
  }
  return out;
}

interface Row {
  node: number;
  parent: number;
  depth: number;
  function: string;
  calls: number;
  self_ns: number;
  total_ns: number;
  events: number;
  total_events: number;
  self_insns?: number;
  total_insns?: number;
  share: number;
}

/** The rows of a callers/callees JSON document as path -> self and total in `weight`. */
function actual(rows: Row[], weight: 'time' | 'insns' | 'events'): Map<string, Sums> {
  const path = new Map<number, string>();
  const out = new Map<string, Sums>();
  for (const r of rows) {
    const p = r.parent === 0 ? r.function : path.get(r.parent)! + ';' + r.function;
    expect(r.parent === 0 || path.has(r.parent), 'a parent row comes first').toBe(true);
    path.set(r.node, p);
    const [self, total] = weight === 'insns' ? [r.self_insns!, r.total_insns!] : weight === 'events' ? [r.events, r.total_events] : [r.self_ns, r.total_ns];
    if (total > 0) out.set(p, { self, total });
  }
  return out;
}

async function json(...args: string[]): Promise<{ summary: Record<string, unknown>; rows: Row[] }> {
  const r = await cli(...args, '-f', 'json', '-q');
  expect(r.code, r.err).toBe(0);
  const doc = JSON.parse(r.out);
  return { summary: doc.summary, rows: doc[args[0]] };
}

async function foldedOf(trace: string, map: string, ...extra: string[]): Promise<string> {
  const r = await cli('flamegraph', trace, '--map', map, '--min-duration', '0', '-q', ...extra);
  expect(r.code, r.err).toBe(0);
  return r.out;
}

/** Checks both directions of FUNC against the folded stacks. */
async function agree(
  trace: string,
  map: string,
  folded: string,
  func: string,
  o: { regex?: boolean; weight?: 'time' | 'insns' | 'events'; implicit?: boolean } = {},
): Promise<number> {
  const re = o.regex ? new RegExp(func) : null;
  const isF = (n: string): boolean => (re ? re.test(n) : n === func);
  const weight = o.weight ?? 'time';
  const flags = [...(o.regex ? ['--regex'] : []), ...(o.weight && !o.implicit ? ['--weight', o.weight] : [])];
  let rootTotal = -1;
  for (const direction of ['callers', 'callees'] as const) {
    const { summary, rows } = await json(direction, func, trace, '--map', map, ...flags);
    expect(summary.weight).toBe(weight);
    const root = rows[0].function;
    expect(root).toBe((summary.matched as string[]).length === 1 ? (summary.matched as string[])[0] : `/${func}/`);
    const want = expected(folded, direction, isF, root);
    expect(want.size, `${direction} ${func}: the folded stacks have it`).toBeGreaterThan(0);
    expect(actual(rows, weight)).toEqual(want);
    // both roots: FUNC's inclusive weight counted once per stack, and the same calls
    if (rootTotal < 0) rootTotal = want.get(root)!.total;
    else expect(want.get(root)!.total).toBe(rootTotal);
  }
  return rootTotal;
}

const tmp = mkdtempSync(join(tmpdir(), 'bootprof-callers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('callers and callees on the synthetic acceptance tree', () => {
  const trace = join(tmp, 'synthetic.log');
  const map = join(tmp, 'System.map');
  writeFileSync(trace, render(acceptanceBlocks()));
  writeFileSync(map, systemMap());
  let folded = '';

  for (const [func, regex] of [
    ['strcmp', false], // called from several places, once under an interrupted parse_one
    ['walk_a', false], // indirect recursion: walk_a -> walk_b -> walk_a
    ['walk_b', false],
    ['parse_args', false], // on both vCPUs
    ['sysvec_apic_timer_interrupt', false], // inside interrupts
    ['^walk_', true], // two functions that call each other, merged
    ['^(kmalloc|memset)$', true],
  ] as const) {
    it(`${func}${regex ? ' (--regex)' : ''}: the trees are sums of the folded stacks`, async () => {
      folded ||= await foldedOf(trace, map);
      await agree(trace, map, folded, func, { regex });
    });
  }

  it("the root's total is self-time --stacks' total_ns (recursion counted once per stack)", async () => {
    const st = JSON.parse((await cli('self-time', trace, '--map', map, '--stacks', '-f', 'json', '-q')).out);
    const totalOf = (f: string): number => st.functions.find((r: { function: string }) => r.function === f).total_ns;
    for (const f of ['walk_a', 'walk_b', 'strcmp', 'start_kernel']) {
      for (const d of ['callers', 'callees']) expect([f, d, (await json(d, f, trace, '--map', map)).rows[0].total_ns]).toEqual([f, d, totalOf(f)]);
    }
  });

  it('counts calls: strcmp called four times, walk_a twice but once from outside itself', async () => {
    const callees = (await json('callees', 'strcmp', trace, '--map', map)).rows;
    expect(callees[0].calls).toBe(4);
    const walk = (await json('callers', 'walk_a', trace, '--map', map)).rows;
    expect(walk.map((r) => [r.depth, r.function, r.calls])).toEqual([
      [0, 'walk_a', 1],
      [1, 'rest_init', 1],
      [2, 'start_kernel', 1],
    ]);
    const inner = (await json('callees', 'walk_a', trace, '--map', map)).rows;
    expect(inner.filter((r) => r.function === 'walk_a').map((r) => [r.depth, r.calls])).toEqual([
      [0, 1],
      [2, 1],
    ]);
  });

  it('--depth and --min-share prune, the table indents and says what was left out', async () => {
    const all = (await json('callees', 'start_kernel', trace, '--map', map)).rows;
    const shallow = (await json('callees', 'start_kernel', trace, '--map', map, '--depth', '1')).rows;
    expect(shallow.map((r) => r.function)).toEqual(all.filter((r) => r.depth <= 1).map((r) => r.function));
    const big = (await json('callees', 'start_kernel', trace, '--map', map, '--min-share', '20')).rows;
    expect(big.length).toBeGreaterThan(1);
    for (const r of big) expect(r.share).toBeGreaterThanOrEqual(20);
    const t = await cli('callees', 'start_kernel', trace, '--map', map, '--depth', '1', '-f', 'table', '-q');
    expect(t.code, t.err).toBe(0);
    const lines = t.out.split('\n');
    expect(lines[0]).toMatch(/^ +total +share +self +calls +function$/);
    expect(lines[2]).toMatch(/100\.00% .* start_kernel$/);
    expect(lines[3]).toMatch(/ {2}\S+$/);
    expect(t.out).toMatch(new RegExp(`\\.\\.\\. ${all.length - shallow.length} more nodes deeper than --depth 1`));
  });

  it('refuses what it cannot answer', async () => {
    const none = await cli('callers', 'no_such_function', trace, '--map', map, '-q');
    expect([none.code, none.err]).toEqual([1, `bootprof: callers: no function named 'no_such_function' in ${trace}'s symbols (--regex to match a pattern)\n`]);
    const bad = await cli('callees', '(', trace, '--map', map, '--regex', '-q');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^bootprof: --regex: \( is not a JavaScript regular expression/);
    expect((await cli('callees', 'kmalloc', trace, '--map', map, '--min-share', '101')).code).toBe(1);
    expect((await cli('callees', 'kmalloc', trace, '--map', map, '--depth', '-1')).code).toBe(1);
    const insns = await cli('callees', 'kmalloc', trace, '--map', map, '--weight', 'insns', '-q');
    expect(insns.code).toBe(1);
    expect(insns.err).toMatch(/--weight insns: .* has no translation records/);
  });

  it('a function that never ran on a stack: no rows, said so', async () => {
    const r = await cli('callees', 'console_init', trace, '--map', map, '-f', 'table');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^console_init never ran on a reconstructed stack in this trace\n/);
    expect((await json('callees', 'console_init', trace, '--map', map)).rows).toEqual([]);
  });
});

describe('callers and callees on committed samples', () => {
  const MAP = 'samples/System.map-6.1.0-47-cloud-amd64.gz';

  it('start-kernel-120k: the trees are sums of the folded stacks (time)', async () => {
    const trace = 'samples/start-kernel-120k.log.gz';
    const folded = await foldedOf(trace, MAP);
    for (const f of ['sort_r', '__x86_return_thunk', 'vsnprintf']) expect(await agree(trace, MAP, folded, f)).toBeGreaterThan(0);
  });

  it('inasm-start-kernel-200k: weighed in instructions by default, as flamegraph is', async () => {
    const trace = 'samples/inasm-start-kernel-200k.log.gz';
    const folded = await foldedOf(trace, MAP);
    expect(await agree(trace, MAP, folded, 'sort_r', { weight: 'insns', implicit: true })).toBeGreaterThan(0);
    const events = await foldedOf(trace, MAP, '--weight', 'events');
    expect(await agree(trace, MAP, events, '^jump_label_', { regex: true, weight: 'events' })).toBeGreaterThan(0);
  });
});
