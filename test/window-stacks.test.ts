/**
 * Time windows on the reconstructed stacks (self-time --stacks, flamegraph, callers, callees), on the
 * synthetic acceptance tree whose true stack of every block is known: each block's time clipped to
 * the window by a naive computation here, charged to its stack (folded), its leaf (self) and every
 * function on it once (total); callers/callees agree with the windowed folded stacks; the evented
 * outputs are the whole run's frames clipped to the window.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';
import { sampleBytes } from './formats-helpers.js';
import { acceptanceBlocks, render, systemMap, type Block } from './synthetic.js';

const tmp = mkdtempSync(join(tmpdir(), 'bootprof-window-stacks-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const blocks = acceptanceBlocks();
const trace = join(tmp, 'synthetic.log');
const map = join(tmp, 'System.map');
writeFileSync(trace, render(blocks));
writeFileSync(map, systemMap());
// times since the first event in ns (the first block is vCPU 0's, at 0 µs)
const origin = Math.min(...blocks.map((b) => b.usec));
const ns = (b: Block): bigint => BigInt(b.usec - origin) * 1000n;

/** Folded stack -> the part of its blocks' time inside [from, to), by BigInt arithmetic. */
function naiveFolded(from: bigint, to: bigint): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const byCpu = new Map<number, Block[]>();
  for (const b of blocks) byCpu.set(b.cpu, [...(byCpu.get(b.cpu) ?? []), b]);
  for (const list of byCpu.values()) {
    list.sort((a, b) => a.usec - b.usec);
    for (let i = 0; i + 1 < list.length; i++) {
      const a = ns(list[i]) > from ? ns(list[i]) : from;
      const e = ns(list[i + 1]) < to ? ns(list[i + 1]) : to;
      if (e <= a) continue;
      const key = list[i].stack.join(';');
      out.set(key, (out.get(key) ?? 0n) + e - a);
    }
  }
  return out;
}

function foldedText(m: Map<string, bigint>): string {
  return [...m]
    .filter(([, v]) => v > 0n)
    .map(([k, v]) => `${k} ${v}`)
    .sort()
    .join('\n');
}

async function run(...args: string[]): Promise<string> {
  const r = await cli(...args, '--map', map, '-q');
  expect(r.code, r.err).toBe(0);
  return r.out;
}

const folded = async (...w: string[]): Promise<string> => run('flamegraph', trace, '--min-duration', '0', ...w);

// edges inside blocks (µs that are no block's start), at a function's first call, open-ended
const WINDOWS: [string[], bigint, bigint][] = [
  [['--from', '23.5us', '--to', '0.0001'], 23_500n, 100_000n],
  [['--from', '61us', '--to', '147.25us'], 61_000n, 147_250n],
  [['--from', 'rest_init'], -1n, 1n << 60n], // from filled in below
  [['--to', '40us'], -(1n << 60n), 40_000n],
];
const restInit = blocks.filter((b) => b.stack[b.stack.length - 1] === 'rest_init').map(ns);
WINDOWS[2][1] = restInit.reduce((a, b) => (a < b ? a : b));

describe('windowed stacks equal the naive clipped sums of the true stacks', () => {
  it('flamegraph folded, each window and windows that add up to the whole run', async () => {
    for (const [args, from, to] of WINDOWS) expect(await folded(...args), args.join(' ')).toBe(foldedText(naiveFolded(from, to)) + '\n');
    // parsed in worker threads, in small units: the same
    const [args, from, to] = WINDOWS[1];
    expect(await folded(...args, '--threads', '2', '--unit-size', '1500')).toBe(foldedText(naiveFolded(from, to)) + '\n');
    // consecutive windows: every stack's time adds up to the whole run's
    const sum = new Map<string, number>();
    for (const w of [
      ['--to', '30us'],
      ['--from', '30us', '--to', '90.5us'],
      ['--from', '90.5us'],
    ])
      for (const line of (await folded(...w)).trim().split('\n')) {
        const sp = line.lastIndexOf(' ');
        sum.set(line.slice(0, sp), (sum.get(line.slice(0, sp)) ?? 0) + Number(line.slice(sp + 1)));
      }
    expect(
      [...sum]
        .map(([k, v]) => `${k} ${v}`)
        .sort()
        .join('\n') + '\n',
    ).toBe(await folded());
  });

  it('self-time --stacks: self_ns and total_ns (each function once per stack) of the clipped time', async () => {
    for (const [args, from, to] of WINDOWS) {
      const self = new Map<string, bigint>();
      const total = new Map<string, bigint>();
      for (const [k, v] of naiveFolded(from, to)) {
        const frames = k.split(';');
        const leaf = frames[frames.length - 1];
        self.set(leaf, (self.get(leaf) ?? 0n) + v);
        for (const f of new Set(frames)) total.set(f, (total.get(f) ?? 0n) + v);
      }
      const doc = JSON.parse(await run('self-time', trace, '--stacks', '-f', 'json', ...args)) as {
        summary: { window: { from_ns: number | null } };
        functions: { function: string; self_ns: number; total_ns: number }[];
      };
      expect(doc.summary.window.from_ns, args.join(' ')).toBe(from < 0n ? null : Number(from));
      const got = doc.functions.filter((r) => r.total_ns > 0).map((r) => [r.function, r.self_ns, r.total_ns]);
      const want = [...total.keys()].filter((f) => total.get(f)! > 0n).map((f) => [f, Number(self.get(f) ?? 0n), Number(total.get(f)!)]);
      expect(new Set(got.map((r) => JSON.stringify(r))), args.join(' ')).toEqual(new Set(want.map((r) => JSON.stringify(r))));
    }
  });

  it('callers and callees in a window are sums of the windowed folded stacks', async () => {
    const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
    const schema = (c: string): object => JSON.parse(readFileSync(`schema/${c}.v1.json`, 'utf8')) as object;
    const validCallPaths = { callers: ajv.compile(schema('callers')), callees: ajv.compile(schema('callees')) };
    const [args] = WINDOWS[1];
    const lines = (await folded(...args)).trim().split('\n');
    for (const func of ['strcmp', 'walk_a', 'parse_args', 'kmalloc']) {
      for (const direction of ['callers', 'callees'] as const) {
        const want = new Map<string, number>();
        for (const line of lines) {
          const sp = line.lastIndexOf(' ');
          const frames = line.slice(0, sp).split(';');
          const i = frames.indexOf(func);
          if (i < 0) continue;
          const path = direction === 'callees' ? [func, ...frames.slice(i + 1)] : [func, ...frames.slice(0, i).reverse()];
          for (let k = 1; k <= path.length; k++) want.set(path.slice(0, k).join(';'), (want.get(path.slice(0, k).join(';')) ?? 0) + Number(line.slice(sp + 1)));
        }
        const doc = JSON.parse(await run(direction, func, trace, '-f', 'json', ...args)) as Record<
          string,
          { node: number; parent: number; function: string; total_ns: number }[]
        > & {
          summary: { window: unknown };
        };
        expect(doc.summary.window).toBeDefined();
        if (func === 'strcmp') expect(validCallPaths[direction](doc), JSON.stringify(validCallPaths[direction].errors?.slice(0, 3))).toBe(true);
        const path = new Map<number, string>();
        const got = new Map<string, number>();
        for (const r of doc[direction]) {
          const p = r.parent === 0 ? r.function : path.get(r.parent)! + ';' + r.function;
          path.set(r.node, p);
          if (r.total_ns > 0) got.set(p, r.total_ns);
        }
        expect(got, `${direction} ${func}`).toEqual(want);
      }
    }
    // calls: the frames pushed inside the window (strcmp is called four times in the whole run)
    const calls = async (...w: string[]): Promise<number> =>
      (JSON.parse(await run('callees', 'strcmp', trace, '-f', 'json', ...w)) as { callees: { calls: number }[] }).callees[0].calls;
    const entries = blocks
      .filter((b) => b.stack[b.stack.length - 1] === 'strcmp' && b.pc % 0x1000n === 0n)
      .map(ns)
      .sort((a, b) => (a < b ? -1 : 1));
    const cut = entries[1] + 1n;
    expect(await calls('--to', `${cut}ns`)).toBe(2);
    expect(await calls('--from', `${cut}ns`)).toBe(entries.length - 2);
  });

  it('chrome and speedscope: the whole run frames clipped to the window', async () => {
    type X = { ph: string; name: string; ts: number; dur: number; tid: number };
    const named = JSON.parse(await run('flamegraph', trace, '-f', 'chrome', ...WINDOWS[1][0])) as { otherData: { source: string } };
    expect(named.otherData.source).toMatch(/ \(window: 0\.000061 s to 0\.000147 s, 86\.25 µs\)$/);
    const chrome = async (...w: string[]): Promise<X[]> =>
      (JSON.parse(await run('flamegraph', trace, '--min-duration', '0', '-f', 'chrome', ...w)) as { traceEvents: X[] }).traceEvents.filter((e) => e.ph === 'X');
    const whole = await chrome();
    const toNs = (us: number): number => Math.round(us * 1000);
    for (const [args, from, to] of WINDOWS.slice(0, 2)) {
      const [f, t] = [Number(from), Number(to)];
      const want = whole
        .map((e) => ({ ...e, a: Math.max(toNs(e.ts), f), b: Math.min(toNs(e.ts) + toNs(e.dur), t) }))
        .filter((e) => e.b > e.a || (e.dur === 0 && toNs(e.ts) >= f && toNs(e.ts) < t))
        .map((e) => `${e.tid} ${e.name} ${e.a} ${e.b - e.a}`);
      const got = (await chrome(...args)).map((e) => `${e.tid} ${e.name} ${toNs(e.ts)} ${toNs(e.dur)}`);
      expect(got.sort(), args.join(' ')).toEqual(want.sort());
    }
    const [args, from, to] = WINDOWS[1];
    const ss = JSON.parse(await run('flamegraph', trace, '--min-duration', '0', '-f', 'speedscope', ...args)) as {
      profiles: { type: string; startValue: number; endValue: number; events?: { at: number }[]; weights?: number[] }[];
    };
    for (const p of ss.profiles) {
      if (p.type !== 'evented') {
        expect(p.weights!.reduce((a, b) => a + b, 0)).toBe(Number([...naiveFolded(from, to).values()].reduce((a, b) => a + b, 0n)));
        continue;
      }
      expect(p.startValue).toBeGreaterThanOrEqual(Number(from));
      expect(p.endValue).toBeLessThanOrEqual(Number(to));
      for (const e of p.events!) expect(e.at >= p.startValue && e.at <= p.endValue).toBe(true);
    }
  });
});

describe('instructions in a window: the events that start inside it', () => {
  it('self_insns and total_insns of consecutive windows add up to the whole run; flat and stacked agree', async () => {
    const dirIsa = mkdtempSync(join(tmpdir(), 'bootprof-window-isa-'));
    const text = sampleBytes('inasm-start-kernel-200k.log.gz').toString('latin1').split('\n').slice(0, 20_000).join('\n') + '\n';
    const isa = join(dirIsa, 'inasm.log');
    writeFileSync(isa, text);
    const MAP = 'samples/System.map-6.1.0-47-cloud-amd64.gz';
    type F = { function: string; self_ns: number; total_ns: number; events: number; self_insns: number; total_insns: number };
    const fns = async (...args: string[]): Promise<F[]> => {
      const r = await cli('self-time', isa, '--map', MAP, '-q', '-f', 'json', ...args);
      expect(r.code, r.err).toBe(0);
      return (JSON.parse(r.out) as { functions: F[] }).functions;
    };
    const sum = new Map<string, number[]>();
    for (const w of [
      ['--to', '60.5ms'],
      ['--from', '60.5ms'],
    ]) {
      const stacked = await fns('--stacks', ...w);
      const flat = new Map((await fns(...w)).map((r) => [r.function, [r.self_ns, r.events, r.self_insns]]));
      for (const r of stacked) {
        if (r.events > 0 || r.self_ns > 0) expect([r.function, ...flat.get(r.function)!]).toEqual([r.function, r.self_ns, r.events, r.self_insns]);
        const v = sum.get(r.function) ?? [0, 0, 0, 0];
        sum.set(r.function, [v[0] + r.self_ns, v[1] + r.total_ns, v[2] + r.self_insns, v[3] + r.total_insns]);
      }
    }
    const whole = (await fns('--stacks')).map((r) => [r.function, [r.self_ns, r.total_ns, r.self_insns, r.total_insns]] as const);
    expect(new Map([...sum].sort())).toEqual(new Map([...whole].sort()));
    rmSync(dirIsa, { recursive: true, force: true });
  });
});
