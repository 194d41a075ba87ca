import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { FrameRecorder } from '../src/analyze/frames.js';
import { flamegraphCommand, parseDuration } from '../src/commands/flamegraph.js';
import { initcallsCommand } from '../src/commands/initcalls.js';
import { selfTimeCommand } from '../src/commands/self-time.js';
import { usec } from '../src/output/chrome.js';
import { chooseThreshold, foldedLineBytes, foldedLines, foldTree } from '../src/output/folded.js';
import { AGGREGATED_PROFILE_NAME } from '../src/output/speedscope.js';
import { acceptanceBlocks, foldedText, render, runStacks, systemMap, truth } from './synthetic.js';

const require = createRequire(import.meta.url);
const SCHEMA = require.resolve('speedscope/dist/release/file-format-schema.json');
const SAMPLES = new URL('../samples/', import.meta.url).pathname;
const MAP = SAMPLES + 'System.map-6.1.0-47-cloud-amd64.gz';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'bootprof-fg-'));
}

/** A synthetic trace and its map written to a temp dir. */
function syntheticFiles(): { dir: string; trace: string; map: string } {
  const dir = tmp();
  const trace = join(dir, 'trace.log');
  const map = join(dir, 'System.map');
  writeFileSync(trace, render(acceptanceBlocks()));
  writeFileSync(map, systemMap());
  return { dir, trace, map };
}

interface SpeedscopeFile {
  $schema: string;
  shared: { frames: { name: string }[] };
  profiles: (
    | { type: 'evented'; name: string; unit: string; startValue: number; endValue: number; events: { type: 'O' | 'C'; frame: number; at: number }[] }
    | { type: 'sampled'; name: string; unit: string; startValue: number; endValue: number; samples: number[][]; weights: number[] }
  )[];
}

/** Self time per folded stack from evented profiles (what speedscope's call tree shows). */
function foldEvented(file: SpeedscopeFile): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of file.profiles) {
    if (p.type !== 'evented') continue;
    const stack: number[] = [];
    let last = p.startValue;
    for (const e of p.events) {
      if (e.at < last) throw new Error(`time goes backwards at ${e.at}`);
      if (stack.length > 0 && e.at > last) {
        const key = stack.map((f) => file.shared.frames[f].name).join(';');
        out.set(key, (out.get(key) ?? 0) + (e.at - last));
      }
      last = e.at;
      if (e.type === 'O') stack.push(e.frame);
      else if (stack.pop() !== e.frame) throw new Error(`unbalanced close at ${e.at}`);
    }
    expect(stack).toEqual([]);
    expect(last).toBeLessThanOrEqual(p.endValue);
  }
  return out;
}

describe('flamegraph outputs on the synthetic tree', () => {
  const want = truth(acceptanceBlocks());

  it('folded: exactly the known stacks, integer ns, root first', async () => {
    const f = syntheticFiles();
    const out = join(f.dir, 'out.folded');
    await flamegraphCommand(f.trace, { map: f.map, output: out, format: 'folded', quiet: true });
    expect(readFileSync(out, 'utf8')).toBe(foldedText(want.folded).join('\n') + '\n');
  });

  it('speedscope: validates against the shipped schema; evented profiles replay the exact stacks', async () => {
    const f = syntheticFiles();
    const out = join(f.dir, 'out.speedscope.json');
    await flamegraphCommand(f.trace, { map: f.map, output: out, format: 'speedscope', minDuration: '0', quiet: true });
    const file = JSON.parse(readFileSync(out, 'utf8')) as SpeedscopeFile;
    const ajv = new Ajv({ strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')));
    expect(validate(file), JSON.stringify(validate.errors)).toBe(true);
    expect(file.$schema).toBe('https://www.speedscope.app/file-format-schema.json');
    expect(file.profiles.map((p) => p.name)).toEqual(['vCPU 0', 'vCPU 1', AGGREGATED_PROFILE_NAME]);
    expect(file.profiles.every((p) => p.unit === 'nanoseconds')).toBe(true);
    const replay = foldEvented(file);
    const expected = new Map([...want.folded].filter(([, v]) => v > 0));
    expect(new Map([...replay].sort())).toEqual(new Map([...expected].sort()));
    // aggregated profile: one sample per stack, weighted by its self time
    const agg = file.profiles[2];
    if (agg.type !== 'sampled') throw new Error('sampled');
    const fromSamples = new Map(agg.samples.map((s, i) => [s.map((x) => file.shared.frames[x].name).join(';'), agg.weights[i]]));
    expect(new Map([...fromSamples].sort())).toEqual(new Map([...expected].sort()));
  });

  it('chrome: X events in µs, one tid per vCPU with thread_name metadata', async () => {
    const f = syntheticFiles();
    const out = join(f.dir, 'out.json');
    await flamegraphCommand(f.trace, { map: f.map, output: out, format: 'chrome', minDuration: '0', quiet: true });
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      traceEvents: { name: string; ph: string; ts?: number; dur?: number; tid: number; args?: { name?: string } }[];
    };
    const meta = json.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name');
    expect(meta.map((e) => [e.tid, e.args?.name])).toEqual([
      [0, 'vCPU 0 (thread 4415)'],
      [1, 'vCPU 1 (thread 4416)'],
    ]);
    const xs = json.traceEvents.filter((e) => e.ph === 'X');
    expect(xs.length).toBeGreaterThan(20);
    const root0 = xs.find((e) => e.tid === 0 && e.name === 'start_kernel')!;
    const blocks = acceptanceBlocks().filter((b) => b.cpu === 0);
    expect(root0.ts).toBe(0);
    expect(root0.dur).toBe(blocks[blocks.length - 1].usec);
    // self time per stack from the X events equals the truth
    const selfOf = new Map<string, number>();
    for (const tid of [0, 1]) {
      const evs = xs.filter((e) => e.tid === tid).sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
      const stack: { name: string; end: number }[] = [];
      const path = (): string => stack.map((s) => s.name).join(';');
      let t = evs[0].ts!;
      const advance = (to: number): void => {
        while (stack.length > 0) {
          const top = stack[stack.length - 1];
          const until = Math.min(to, top.end);
          if (until > t) selfOf.set(path(), (selfOf.get(path()) ?? 0) + Math.round((until - t) * 1000));
          t = Math.max(t, until);
          if (top.end <= to) stack.pop();
          else break;
        }
        t = to;
      };
      for (const e of evs) {
        advance(e.ts!);
        stack.push({ name: e.name, end: e.ts! + e.dur! });
      }
      advance(Infinity);
    }
    const expected = new Map([...want.folded].filter(([, v]) => v > 0));
    expect(new Map([...selfOf].filter(([, v]) => v > 0).sort())).toEqual(new Map([...expected].sort()));
  });
});

describe('folding short frames', () => {
  it('--min-duration folds frames into their parent and keeps the total', async () => {
    const { sr, run } = await runStacks(render(acceptanceBlocks()));
    const totals = sr.tree.totals();
    const all = foldedLines(sr.tree, run.names, foldTree(sr.tree, totals, 0));
    const some = foldedLines(sr.tree, run.names, foldTree(sr.tree, totals, 20_000));
    const sum = (ls: string[]): number => ls.reduce((s, l) => s + Number(l.split(' ').pop()), 0);
    expect(some.length).toBeLessThan(all.length);
    expect(sum(some)).toBe(sum(all));
    for (const l of some) {
      const stack = l.slice(0, l.lastIndexOf(' '));
      if (stack.includes(';')) expect(totals[all.findIndex((x) => x.startsWith(stack + ' '))] ?? 20_000).toBeGreaterThanOrEqual(0);
    }
  });

  it('chooses the default threshold from the output budget', async () => {
    const { sr, run } = await runStacks(render(acceptanceBlocks()));
    const totals = sr.tree.totals();
    expect(chooseThreshold(sr.tree, totals, run.names, 1e9, foldedLineBytes)).toBe(0);
    const t = chooseThreshold(sr.tree, totals, run.names, 400, foldedLineBytes);
    expect(t).toBeGreaterThan(0);
    const lines = foldedLines(sr.tree, run.names, foldTree(sr.tree, totals, t));
    expect(lines.join('\n').length).toBeLessThanOrEqual(400);
  });

  it('FrameRecorder: adaptive raising gives exactly the frames of its final threshold', async () => {
    const runWith = async (rec: FrameRecorder): Promise<FrameRecorder> => {
      await runStacks(render(acceptanceBlocks()), { configure: (s) => (s.frameSink = rec) });
      return rec;
    };
    const adaptive = await runWith(new FrameRecorder(0, true, 10));
    expect(adaptive.raises).toBeGreaterThan(0);
    expect(adaptive.kept).toBeLessThanOrEqual(10);
    const fixed = await runWith(new FrameRecorder(adaptive.threshold, false));
    for (let cpu = 0; cpu < 2; cpu++) {
      const a = adaptive.events(cpu);
      const b = fixed.events(cpu);
      expect([...a.ev.subarray(0, a.count)]).toEqual([...b.ev.subarray(0, b.count)]);
      expect([...a.at.subarray(0, a.count)]).toEqual([...b.at.subarray(0, b.count)]);
    }
  });

  it('parses durations', () => {
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('1500')).toBe(1500);
    expect(parseDuration('2us')).toBe(2000);
    expect(parseDuration('1.5ms')).toBe(1_500_000);
    expect(parseDuration('1s')).toBe(1e9);
    expect(() => parseDuration('fast')).toThrow(/min-duration/);
    expect(usec(1234567)).toBe('1234.567');
    expect(usec(5000)).toBe('5');
    expect(usec(5100)).toBe('5.1');
  });
});

describe('commands on the committed samples', () => {
  it('self-time keeps its CSV byte-identical without --stacks and adds total_ns with it', async () => {
    const dir = tmp();
    const plain = join(dir, 'plain.csv');
    const stacks = join(dir, 'stacks.csv');
    const trace = SAMPLES + 'start-kernel-120k.log.gz';
    await selfTimeCommand(trace, { map: MAP, output: plain, format: 'csv', quiet: true });
    await selfTimeCommand(trace, { map: MAP, output: stacks, format: 'csv', quiet: true, stacks: true });
    const a = readFileSync(plain, 'utf8').trim().split('\n');
    const b = readFileSync(stacks, 'utf8').trim().split('\n');
    expect(a[0]).toBe('function,self_ns,share,events');
    expect(b[0]).toBe('function,self_ns,total_ns,share,events');
    expect(b.length).toBe(a.length);
    for (let i = 1; i < a.length; i++) {
      const x = a[i].split(',');
      const y = b[i].split(',');
      expect([y[0], y[1], y[3], y[4]]).toEqual(x);
      expect(Number(y[2])).toBeGreaterThanOrEqual(Number(y[1]));
    }
    const sk = b.find((l) => l.startsWith('start_kernel,'))!.split(',');
    expect(Number(sk[2])).toBeGreaterThan(0.8 * 120e6); // start_kernel encloses most of the excerpt
  });

  it('speedscope from a real excerpt validates against the schema', async () => {
    const dir = tmp();
    const out = join(dir, 'sk.speedscope.json');
    await flamegraphCommand(SAMPLES + 'start-kernel-120k.log.gz', { map: MAP, output: out, format: 'speedscope', quiet: true });
    const file = JSON.parse(readFileSync(out, 'utf8')) as SpeedscopeFile;
    const ajv = new Ajv({ strict: false });
    expect(ajv.validate(JSON.parse(readFileSync(SCHEMA, 'utf8')), file), JSON.stringify(ajv.errors)).toBe(true);
    foldEvented(file);
  });

  it('initcalls writes vCPU indexes and the documented header', async () => {
    const f = syntheticFiles();
    const out = join(f.dir, 'ic.csv');
    await initcallsCommand(f.trace, { map: f.map, output: out, format: 'csv', quiet: true });
    expect(readFileSync(out, 'utf8').split('\n')[0]).toBe('initcall,start_ns,duration_ns,cpu,returned');
  });
});
