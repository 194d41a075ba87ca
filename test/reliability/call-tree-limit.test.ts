/**
 * The call tree is bounded (model/stacks.ts MAX_NODES): a trace of random function entries makes a
 * new stack per event; past the limit new stacks fold into `[other stacks]` nodes, the folds are
 * reported once on stderr, and self time stays exact (the tree's self times add up to the flat self
 * time; every function's flat self time is unchanged). Run here against a small limit.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SelfTime } from '../../src/analyze/self-time.js';
import { StackReconstruction } from '../../src/analyze/stacks.js';
import { EventBatch } from '../../src/model/batch.js';
import { FIRST_FUNCTION, REGION_LABELS } from '../../src/model/names.js';
import { MAX_NODES, OTHER_STACKS, OTHER_STACKS_LABEL } from '../../src/model/call-tree.js';
import { MAP_PATH, systemMapText } from '../formats-helpers.js';
import { prng } from './gen.js';
import { inproc } from './output-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-tree-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  StackReconstruction.treeLimit = MAX_NODES;
});

/** Random entries (offset 0) into `fns` functions, sometimes a block inside one (a return), one or two vCPUs. */
function randomBatches(events: number, fns: number, seed: number): EventBatch[] {
  const rnd = prng(seed);
  const out: EventBatch[] = [];
  let b = new EventBatch(4096);
  let now = 0;
  for (let i = 0; i < events; i++) {
    if (b.full) {
      out.push(b);
      b = new EventBatch(4096);
    }
    const k = b.length++;
    const sym = FIRST_FUNCTION + rnd(fns);
    const off = rnd(8) === 0 ? 16 : 0;
    b.time[k] = now += 1 + rnd(1000);
    b.thread[k] = rnd(4) === 0 ? 1 : 0;
    b.pcHi[k] = 0xffffffff;
    b.pcLo[k] = 0x81000000 + sym * 0x100 + off;
    b.sym[k] = sym;
    b.off[k] = off;
  }
  out.push(b);
  return out;
}

function reconstruct(batches: EventBatch[], names: string[], limit: number): { sr: StackReconstruction; st: SelfTime } {
  const sr = new StackReconstruction('ns', names, limit);
  const st = new SelfTime('ns');
  for (const b of batches) {
    st.consume(b);
    sr.consume(b);
  }
  sr.finish();
  return { sr, st };
}

describe('call tree node limit', () => {
  it('random entries against a limit of 1000 nodes: bounded, folded, self time exact, reconstruction unchanged', () => {
    const names = [...REGION_LABELS, ...Array.from({ length: 3000 }, (_, i) => `fn_${i}`)];
    const batches = randomBatches(100_000, 3000, 7);
    const small = reconstruct(batches, names, 1000);
    const full = reconstruct(batches, names, MAX_NODES);
    const tree = small.sr.tree;
    expect(full.sr.tree.count).toBeGreaterThan(50_000);
    expect(tree.count).toBeLessThanOrEqual(1000);
    expect(tree.folded).toBeGreaterThan(0);
    let other = 0;
    let sum = 0;
    for (let n = 1; n < tree.count; n++) {
      if (tree.fn[n] === OTHER_STACKS) other++;
      sum += tree.self[n];
    }
    expect(other).toBeGreaterThan(0);
    // every event's time is on some node: the tree's total equals the flat total, to the ns
    expect(sum).toBe(small.st.totalSelf());
    expect(tree.totals()[0]).toBe(small.st.totalSelf());
    // the shadow stacks keep the real functions: the reconstruction itself does not change
    expect(small.sr.stats).toEqual(full.sr.stats);
    // kept nodes keep their exact self time; per-function totals stay within the grand total
    const fnTotals = tree.functionTotals(names.length);
    for (let id = 0; id < names.length; id++) expect(fnTotals[id]).toBeLessThanOrEqual(sum);
    expect(small.sr.treeLimitNote()).toMatch(/^call tree limit reached: [\d,]+ stacks folded into "\[other stacks\]"/);
    expect(full.sr.treeLimitNote()).toBeNull();
  });

  it('through the CLI (self-time --stacks, flamegraph folded and speedscope, initcalls): one message, sums exact', async () => {
    const starts = systemMapText()
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => (f[1] === 't' || f[1] === 'T') && /^[a-z]/.test(f[2] ?? '') && !f[2].startsWith('entry_'))
      .map((f) => f[0].replace(/^0+/, ''));
    const rnd = prng(11);
    const lines: string[] = [];
    for (let i = 0; i < 40_000; i++) {
      const us = 1000 + i * 3 + rnd(3);
      lines.push(
        `4415@${1795310244 + Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}:exec_tb tb:0x7fbd882054c0 pc=0x${starts[rnd(starts.length)]}\n`,
      );
    }
    const trace = join(dir, 'random.log');
    writeFileSync(trace, lines.join(''));
    StackReconstruction.treeLimit = 2000;
    const run = async (args: string[]): Promise<{ out: string; err: string }> => {
      const out = join(dir, 'out-' + args.join('-').replace(/\W/g, ''));
      const r = await inproc([...args, trace, '--map', MAP_PATH, '-q', '-o', out]);
      return { out: readFileSync(out, 'utf8'), err: r.err };
    };
    const limitLines = (err: string): string[] => err.split('\n').filter((l) => l.includes('call tree limit reached'));

    const flat = await run(['self-time', '--format', 'csv']);
    expect(limitLines(flat.err)).toEqual([]);
    const stacks = await run(['self-time', '--stacks', '--format', 'csv']);
    expect(limitLines(stacks.err)).toHaveLength(1);
    expect(limitLines(stacks.err)[0]).toMatch(
      /^bootprof: call tree limit reached: [\d,]+ stacks folded into "\[other stacks\]" \(the tree holds at most 2,000 call nodes/,
    );
    // the flat columns are exactly those of the run without stacks
    const rowsOf = (csv: string) =>
      csv
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','));
    const flatRows = rowsOf(flat.out).map((r) => [r[0], r[1], r[3]]);
    const stackRows = rowsOf(stacks.out);
    expect(stackRows.map((r) => [r[0], r[1], r[4]])).toEqual(flatRows);
    const total = flatRows.reduce((s, r) => s + Number(r[1]), 0);
    for (const r of stackRows) expect(Number(r[2])).toBeLessThanOrEqual(total);

    const folded = await run(['flamegraph', '--format', 'folded', '--min-duration', '0']);
    expect(limitLines(folded.err)).toHaveLength(1);
    const values = folded.out
      .trim()
      .split('\n')
      .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
    expect(values.reduce((s, v) => s + v, 0)).toBe(total);
    expect(folded.out).toContain(OTHER_STACKS_LABEL + ' ');

    const speedscope = await run(['flamegraph', '--format', 'speedscope']);
    expect(limitLines(speedscope.err)).toHaveLength(1);
    const doc = JSON.parse(speedscope.out) as { shared: { frames: { name: string }[] }; profiles: { type: string; weights?: number[] }[] };
    expect(doc.shared.frames.map((f) => f.name)).toContain(OTHER_STACKS_LABEL);
    const sampled = doc.profiles.find((p) => p.type === 'sampled')!;
    expect(sampled.weights!.reduce((s, v) => s + v, 0)).toBe(total);

    const initcalls = await run(['initcalls', '--format', 'csv']);
    expect(limitLines(initcalls.err)).toHaveLength(1);
  });
});
