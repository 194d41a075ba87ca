/**
 * 255 and 1024 vCPUs interleaved, through every command (self-time, report, timeline, syscalls,
 * resolve, info, flamegraph in its three formats, initcalls) via the CLI: per-vCPU results checked
 * against independent naive implementations (test/naive.ts, test/syscalls-naive.ts) and the
 * generator's own bookkeeping; speedscope and Chrome give one lane per vCPU; tables summarise instead
 * of listing vCPUs; cost is linear (loose timing ratios in-process).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySource } from '../../src/io/source.js';
import { runPipeline } from '../../src/pipeline.js';
import { SelfTime } from '../../src/analyze/self-time.js';
import { TraceCounts } from '../../src/analyze/trace-counts.js';
import { systemMapTable, systemMapText } from '../formats-helpers.js';
import { cli } from '../helpers.js';
import { naiveSelfTime, naiveSymbols } from '../naive.js';
import { naiveSyscalls } from '../syscalls-naive.js';
import { prng, smallMapText, type Rnd } from './gen.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-vcpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI in this process: a spawn would add Node's start-up to each of the 26 runs and test nothing more. */
async function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return cli(...args);
}

/** The generated traces only use a few hundred symbols: a small map keeps the runs and naive checks cheap. */
const MAP_TEXT = smallMapText(systemMapText());
const MAP_PATH = join(dir, 'System.map-small');
writeFileSync(MAP_PATH, MAP_TEXT);
const S = naiveSymbols(MAP_TEXT);
const ADDR = new Map<string, bigint>();
S.fn.forEach((n, i) => {
  if (n !== null && !ADDR.has(n)) ADDR.set(n, S.addrs[i]);
});
/** Where the function the naive resolution names `name` starts. */
function addr(name: string): bigint {
  const a = ADDR.get(name);
  if (a === undefined) throw new Error('no ' + name);
  return a;
}
const NAME_AT = new Map<bigint, string>(S.addrs.map((a, i) => [a, S.fn[i] ?? '']));

const KERNEL = ['schedule', 'do_syscall_64', 'native_safe_halt', 'ktime_get', 'kmem_cache_alloc', 'memcpy_orig'].filter((n) => ADDR.has(n));
const HANDLERS = ['getpid', 'read', 'write', 'openat'];
const ENTRY = addr('entry_SYSCALL_64');

interface Trace {
  text: string;
  lines: string[];
  tids: number[];
  /** Per event: vCPU index, ns since the first event, function name (or [user]). */
  cpu: number[];
  ns: number[];
  name: string[];
  pcs: bigint[];
  eventsPerCpu: number[];
}

/**
 * Every vCPU runs the same loop: kernel functions, user code, a system call (entry, handler, kernel),
 * back to user code; events of random vCPUs interleave, time rises 1-20 µs per line. Thread ids are
 * unordered (a hash of the index), so vCPU indexes (first appearance) differ from sorted tids.
 */
function makeTrace(rnd: Rnd, vcpus: number, events: number): Trace {
  const tids = Array.from({ length: vcpus }, (_, i) => 10000 + ((i * 7919) % 65521));
  const step = new Array<number>(vcpus).fill(0);
  const index = new Map<number, number>();
  const t: Trace = { text: '', lines: [], tids: [], cpu: [], ns: [], name: [], pcs: [], eventsPerCpu: [] };
  let us = 0;
  const parts: string[] = [];
  for (let e = 0; e < events; e++) {
    // the first 2*vcpus events visit every vCPU once, in a shuffled order, then random ones
    const v = e < vcpus ? (e * 613) % vcpus : rnd(vcpus);
    us += 1 + rnd(20);
    const s = step[v]++ % 8;
    let pc: bigint;
    let name: string;
    if (s === 0 || s === 1 || s === 7) {
      name = KERNEL[rnd(KERNEL.length)];
      pc = addr(name);
    } else if (s === 2 || s === 3) {
      pc = BigInt(0x400000 + rnd(0x10000));
      name = '[user]';
    } else if (s === 4) {
      pc = ENTRY;
      name = 'entry_SYSCALL_64';
    } else if (s === 5) {
      const h = HANDLERS[rnd(HANDLERS.length)];
      pc = addr(`__x64_sys_${h}`);
      name = NAME_AT.get(pc)!;
    } else {
      pc = BigInt(0x400000 + rnd(0x10000));
      name = '[user]';
    }
    const tid = tids[v];
    if (!index.has(tid)) {
      index.set(tid, index.size);
      t.tids.push(tid);
      t.eventsPerCpu.push(0);
    }
    const cpu = index.get(tid)!;
    t.eventsPerCpu[cpu]++;
    t.cpu.push(cpu);
    t.ns.push(us * 1000);
    t.name.push(name);
    t.pcs.push(pc);
    const line = `${tid}@${1795310244 + Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}:exec_tb tb:0x7fbd88205${rnd(4096).toString(16)} pc=0x${pc.toString(16)}`;
    parts.push(line);
  }
  const first = t.ns[0];
  t.ns = t.ns.map((x) => x - first);
  t.lines = parts;
  t.text = parts.join('\n') + '\n';
  return t;
}

for (const N of [255, 1024]) {
  describe(`${N} vCPUs through every command`, () => {
    let tr: Trace;
    let path: string;
    const runs: Record<string, { code: number | null; out: string; err: string }> = {};
    beforeAll(async () => {
      tr = makeTrace(prng(N), N, N * 16);
      path = join(dir, `v${N}.log`);
      writeFileSync(path, tr.text);
      const cmds: Record<string, string[]> = {
        'self-time json': ['self-time', path, '--map', MAP_PATH, '-f', 'json'],
        'self-time table': ['self-time', path, '--map', MAP_PATH, '-f', 'table'],
        'timeline json': ['timeline', path, '--map', MAP_PATH, '-f', 'json'],
        'timeline table': ['timeline', path, '--map', MAP_PATH, '-f', 'table'],
        'syscalls json': ['syscalls', path, '--map', MAP_PATH, '-f', 'json'],
        'syscalls summary table': ['syscalls', path, '--map', MAP_PATH, '-f', 'table', '--summary'],
        resolve: ['resolve', path, '--map', MAP_PATH, '-q', '-o', join(dir, `v${N}.resolved`)],
        'info json': ['info', path, '--map', MAP_PATH, '-f', 'json'],
        'info table': ['info', path, '--map', MAP_PATH],
        'report json': ['report', path, '--map', MAP_PATH, '-f', 'json', '--top', '100000'],
        'report table': ['report', path, '--map', MAP_PATH, '-f', 'table'],
        'flamegraph folded': ['flamegraph', path, '--map', MAP_PATH, '-q'],
        'flamegraph speedscope': ['flamegraph', path, '--map', MAP_PATH, '-f', 'speedscope', '-q'],
        'flamegraph chrome': ['flamegraph', path, '--map', MAP_PATH, '-f', 'chrome', '-q'],
        'initcalls json': ['initcalls', path, '--map', MAP_PATH, '-f', 'json'],
        'initcalls table': ['initcalls', path, '--map', MAP_PATH, '-f', 'table'],
      };
      // tables once, at 1024 vCPUs
      const entries = Object.entries(cmds).filter(([k]) => N === 1024 || !/table/.test(k));
      for (const [k, args] of entries) runs[k] = await run(args);
    }, 120_000);

    it('every command exits 0', () => {
      for (const [k, r] of Object.entries(runs)) expect([k, r.code, r.err.includes('internal error')]).toEqual([k, 0, false]);
    });

    it('self-time: rows equal the naive implementation; events per vCPU and tids in order of appearance', () => {
      const j = JSON.parse(runs['self-time json'].out);
      const naive = naiveSelfTime(tr.text, MAP_TEXT);
      expect(j.functions.map((r: { function: string; self_ns: number; events: number }) => [r.function, r.self_ns, r.events])).toEqual(
        naive.map((r) => [r.function, Number(r.self), r.events]),
      );
      expect(j.summary.threads).toBe(N);
      expect(j.summary.vcpus).toEqual(tr.tids.map((tid, cpu) => ({ cpu, tid, events: tr.eventsPerCpu[cpu] })));
    });

    it('timeline: first call of each function with its vCPU', () => {
      const j = JSON.parse(runs['timeline json'].out);
      const first = new Map<string, [number, number]>();
      tr.name.forEach((n, i) => {
        if (!first.has(n)) first.set(n, [tr.ns[i], tr.cpu[i]]);
      });
      const got = new Map<string, [number, number]>(
        j.first_calls.map((f: { function: string; first_ns: number; cpu: number }) => [f.function, [f.first_ns, f.cpu]]),
      );
      expect(got).toEqual(first);
      expect(j.summary.vcpus).toHaveLength(N);
    });

    it('syscalls: every call with its vCPU, as the naive reading; per-vCPU counts', () => {
      const j = JSON.parse(runs['syscalls json'].out);
      const naive = naiveSyscalls(tr.lines, MAP_TEXT);
      const key = (c: { ts: number; name: string; cpu: number; duration: number; unfinished: boolean }) =>
        `${c.ts} ${c.cpu} ${c.name} ${c.duration} ${c.unfinished}`;
      const got = j.calls.map((c: { ts_ns: number; name: string; cpu: number; duration_ns: number; unfinished: boolean }) =>
        key({ ts: c.ts_ns, name: c.name, cpu: c.cpu, duration: c.duration_ns, unfinished: c.unfinished }),
      );
      expect(got.slice().sort()).toEqual(naive.map(key).sort());
      expect(j.calls.length).toBeGreaterThan(N);
      const per = new Array<number>(N).fill(0);
      for (const c of naive) per[c.cpu]++;
      expect(j.summary.syscalls.per_vcpu).toEqual(per.map((calls, cpu) => ({ cpu, tid: tr.tids[cpu], calls })));
    });

    it('resolve: every line carries its event time, vCPU index and function', () => {
      const lines = readFileSync(join(dir, `v${N}.resolved`), 'latin1')
        .split('\n')
        .slice(0, -1);
      expect(lines.length).toBe(tr.ns.length);
      lines.forEach((l, i) => {
        const [t, cpu, what] = l.split(' ');
        const want = tr.name[i] === '[user]' ? `[user]+0x${tr.pcs[i].toString(16)}` : `${tr.name[i]}+0x0`;
        if (Number(t) !== tr.ns[i] || Number(cpu) !== tr.cpu[i] || what !== want) expect(l, `line ${i + 1}`).toBe(`${tr.ns[i]} ${tr.cpu[i]} ${want}`);
      });
    });

    it('info: every vCPU with its thread id and events (JSON)', () => {
      const j = JSON.parse(runs['info json'].out).summary;
      expect(j.vcpus).toEqual(tr.tids.map((tid, cpu) => ({ cpu, tid, events: tr.eventsPerCpu[cpu] })));
      expect(j.events).toBe(tr.ns.length);
    });

    it('report: self time as the naive reading, system calls per vCPU', () => {
      const j = JSON.parse(runs['report json'].out);
      const naive = naiveSelfTime(tr.text, MAP_TEXT);
      expect(j.functions.map((r: { function: string; self_ns: number; events: number }) => [r.function, r.self_ns, r.events])).toEqual(
        naive.map((r) => [r.function, Number(r.self), r.events]),
      );
      expect(j.summary.vcpus).toHaveLength(N);
      const per = new Array<number>(N).fill(0);
      for (const c of naiveSyscalls(tr.lines, MAP_TEXT)) per[c.cpu]++;
      expect(j.summary.syscalls.per_vcpu.map((v: { calls: number }) => v.calls)).toEqual(per);
    });

    it('flamegraph: one speedscope profile and one Chrome lane per vCPU, named by index and thread id', () => {
      const sp = JSON.parse(runs['flamegraph speedscope'].out);
      const evented = sp.profiles.filter((p: { type: string }) => p.type === 'evented');
      expect(evented.map((p: { name: string }) => p.name)).toEqual(Array.from({ length: N }, (_, cpu) => `vCPU ${cpu}`));
      expect(sp.profiles.filter((p: { type: string }) => p.type === 'sampled')).toHaveLength(1);
      const ch = JSON.parse(runs['flamegraph chrome'].out);
      const lanes = ch.traceEvents.filter((e: { name: string }) => e.name === 'thread_name');
      expect(lanes.map((e: { tid: number; args: { name: string } }) => [e.tid, e.args.name])).toEqual(
        tr.tids.map((tid, cpu) => [cpu, `vCPU ${cpu} (thread ${tid})`]),
      );
      const x = ch.traceEvents.filter((e: { ph: string }) => e.ph === 'X');
      expect(x.length).toBeGreaterThan(N);
      expect(x.every((e: { tid: number }) => e.tid >= 0 && e.tid < N)).toBe(true);
      expect(new Set(x.map((e: { tid: number }) => e.tid)).size).toBe(N);
      // folded: `frame;frame VALUE` lines, values integers
      const folded = runs['flamegraph folded'].out.trim().split('\n');
      expect(folded.length).toBeGreaterThan(3);
      expect(folded.every((l) => /^\S.* \d+$/.test(l))).toBe(true);
    });

    it('initcalls: runs (the generated loop calls no initcall: an empty list and a warning)', () => {
      const j = JSON.parse(runs['initcalls json'].out);
      expect(j).toBeTruthy();
      expect(runs['initcalls json'].err).toMatch(/no calls from do_one_initcall/);
    });

    it.runIf(N === 1024)('tables summarise: no line lists the vCPUs, output stays short', () => {
      for (const k of ['self-time table', 'timeline table', 'syscalls summary table', 'info table', 'report table', 'initcalls table']) {
        const r = runs[k];
        const lines = (r.out + r.err).split('\n');
        const widest = Math.max(...lines.map((l) => l.length));
        expect([k, widest < 400]).toEqual([k, true]);
        expect([k, lines.length < 120]).toEqual([k, true]);
      }
      expect(runs['self-time table'].out).toContain(`... (${N} vCPUs, min ${Math.min(...tr.eventsPerCpu)}, max ${Math.max(...tr.eventsPerCpu)})`);
      expect(runs['info table'].out).toMatch(new RegExp(`vCPUs: +${N}: 0=tid ${tr.tids[0]} .*, \\.\\.\\.$`, 'm'));
    });
  });
}

describe('cost is linear in events and independent of the number of vCPUs', () => {
  const table = systemMapTable();
  async function seconds(text: string): Promise<number> {
    const bytes = Buffer.from(text);
    let best = Infinity;
    for (let k = 0; k < 2; k++) {
      const t0 = performance.now();
      await runPipeline({ source: memorySource(bytes) }, ({ unit }) => [new TraceCounts(), new SelfTime(unit)], { table, mapPath: 'm', note: null });
      best = Math.min(best, performance.now() - t0);
    }
    return best / 1000;
  }

  it('1024 vCPUs cost about what 1 vCPU costs; 4x the events about 4x the time (loose bounds: a shared machine)', async () => {
    const E = 60_000;
    const one = await seconds(makeTrace(prng(1), 1, E).text);
    const many = await seconds(makeTrace(prng(2), 1024, E).text);
    const many4 = await seconds(makeTrace(prng(3), 1024, 4 * E).text);
    console.log(`self-time pass: 1 vCPU ${one.toFixed(3)} s, 1024 vCPUs ${many.toFixed(3)} s, 1024 vCPUs x4 events ${many4.toFixed(3)} s`);
    expect(many / one).toBeLessThan(4);
    expect(many4 / many).toBeLessThan(10);
  }, 60_000);
});
