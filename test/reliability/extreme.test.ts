/**
 * Extreme shapes: time that goes backwards, huge gaps, one timestamp repeated a million times; millions
 * of distinct pcs (memory bounded: the resolver's cache is capped, unresolved pcs are bucketed by
 * region); a System.map with a million symbols.
 * BOOTPROF_EXTREME=1 runs the full sizes (10 million distinct pcs); CI runs 2 million.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ByteSource } from '../../src/io/source.js';
import { memorySource } from '../../src/io/source.js';
import { runPipeline, type Symbols } from '../../src/pipeline.js';
import { SelfTime } from '../../src/analyze/self-time.js';
import { TraceCounts } from '../../src/analyze/trace-counts.js';
import { Syscalls } from '../../src/analyze/syscalls.js';
import { Timeline } from '../../src/analyze/timeline.js';
import { DistinctPcs } from '../../src/analyze/distinct-pcs.js';
import { parseSymbolText } from '../../src/symbols/kallsyms.js';
import { mergeSources } from '../../src/symbols/sources.js';
import { MAP_PATH, systemMapTable } from '../formats-helpers.js';
import { naiveSelfTime } from '../naive.js';
import { cli as cliInProcess } from '../helpers.js';
import { systemMapText } from '../formats-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-extreme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FULL = !!process.env.BOOTPROF_EXTREME;
const table = systemMapTable();
const syms: Symbols = { table, mapPath: 'System.map', note: null };

/** A source that writes `count` lines made by `line(i)` on the fly: nothing of the trace is held. */
function generated(count: number, line: (i: number) => string): ByteSource {
  let i = 0;
  let pending = Buffer.alloc(0);
  return {
    name: 'generated',
    size: undefined,
    gzip: false,
    async read(buf, off, len) {
      while (pending.length < len && i < count) {
        const parts: string[] = [];
        for (let k = 0; k < 4096 && i < count; k++) parts.push(line(i++));
        pending = Buffer.concat([pending, Buffer.from(parts.join(''), 'latin1')]);
      }
      const n = Math.min(len, pending.length);
      buf.set(pending.subarray(0, n), off);
      pending = pending.subarray(n);
      return n;
    },
    async close() {},
  };
}

const stamp = (us: number): string => `${1795310244 + Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;

describe('time going backwards, huge gaps, one timestamp a million times', () => {
  it('backwards within and across vCPUs: self time as the naive reading (negative deltas 0, counted); first calls are the earliest', async () => {
    const lines: string[] = [];
    const pcs = ['ffffffff81c00080', 'ffffffff810b0cf0', '401000', 'ffffffff81000000'];
    let us = 5_000_000;
    for (let i = 0; i < 2000; i++) {
      us += i % 17 === 0 ? -3000 : 7; // backwards every 17th line
      lines.push(`${100 + (i % 3)}@${stamp(us)}:exec_tb tb:0x1 pc=0x${pcs[(i * 7) % 4]}\n`);
    }
    const text = lines.join('');
    let st!: SelfTime;
    let tl!: Timeline;
    const run = await runPipeline(
      { source: memorySource(Buffer.from(text)) },
      (info) => [(st = new SelfTime(info.unit)), (tl = Timeline.fromInfo(info))],
      syms,
    );
    const naive = naiveSelfTime(text.replace(/\n$/, ''), systemMapText());
    expect(st.rows((id) => run.names[id]).map((r) => [run.names[r.id], r.self, r.events])).toEqual(naive.map((r) => [r.function, Number(r.self), r.events]));
    expect(st.negativeDeltas).toBeGreaterThan(100);
    const first = new Map(tl.result().functions.map((f) => [run.names[f.id], f.time]));
    // __x64_sys_getpid's earliest event is not its first line
    const getpid = lines.map((l, i) => [l, i] as const).filter(([l]) => l.includes('810b0cf0'));
    const times = getpid.map(([l]) => {
      const m = /@(\d+)\.(\d+):/.exec(l)!;
      return (Number(m[1]) - 1795310244) * 1e9 + Number(m[2]) * 1000;
    });
    const t0 = (() => {
      const m = /@(\d+)\.(\d+):/.exec(lines[0])!;
      return (Number(m[1]) - 1795310244) * 1e9 + Number(m[2]) * 1000;
    })();
    expect(first.get('__x64_sys_getpid')).toBe(Math.min(...times) - t0);
  });

  it('backwards inside a system call: its duration counts as 0 (as self time does), never negative', async () => {
    const text =
      [
        `1@${stamp(100)}:exec_tb tb:0x1 pc=0x401000`,
        `1@${stamp(200)}:exec_tb tb:0x1 pc=0xffffffff81c00080`, // entry_SYSCALL_64
        `1@${stamp(300)}:exec_tb tb:0x1 pc=0xffffffff810b0cf0`, // __x64_sys_getpid
        `1@${stamp(150)}:exec_tb tb:0x1 pc=0x401000`, // back in user space, 50 µs *before* the entry
        `1@${stamp(400)}:exec_tb tb:0x1 pc=0xffffffff81c00080`,
        `1@${stamp(500)}:exec_tb tb:0x1 pc=0xffffffff810b0cf0`,
        `1@${stamp(900)}:exec_tb tb:0x1 pc=0x401000`,
      ].join('\n') + '\n';
    const sc = new Syscalls(table.names);
    await runPipeline({ source: memorySource(Buffer.from(text)) }, () => [sc], syms);
    const rows = sc.rows();
    expect(rows.map((r) => [r.name, r.duration])).toEqual([
      ['getpid', 0],
      ['getpid', 500_000],
    ]);
    expect(sc.negativeDurations).toBe(1);
    const path = join(dir, 'backwards-syscall.log');
    writeFileSync(path, text);
    // in this process: the CSV and the warning, nothing a process of its own adds
    const r = await cliInProcess('syscalls', path, '--map', MAP_PATH, '-f', 'csv');
    expect(r.out).toBe('ts_ns,name,cpu,duration_ns,unfinished,compat\n100000,getpid,0,0,0,0\n300000,getpid,0,500000,0,0\n');
    expect(r.err).toMatch(/time went backwards 1 time/);
  });

  it('huge gaps: 100 days between two events stay exact to the nanosecond', async () => {
    const day = 86400;
    const text =
      [
        `1@1795310244.000000001:exec_tb tb:0x1 pc=0xffffffff81c00080`,
        `1@${1795310244 + 100 * day}.000000003:exec_tb tb:0x1 pc=0xffffffff810b0cf0`,
        `1@${1795310244 + 100 * day}.000000010:exec_tb tb:0x1 pc=0xffffffff810b0cf0`,
      ].join('\n') + '\n';
    let st!: SelfTime;
    const counts = new TraceCounts();
    const run = await runPipeline({ source: memorySource(Buffer.from(text)) }, ({ unit }) => [(st = new SelfTime(unit)), counts], syms);
    const rows = st.rows((id) => run.names[id]).map((r) => [run.names[r.id], r.self]);
    expect(rows).toEqual([
      ['entry_SYSCALL_64', 100 * day * 1e9 + 2],
      ['__x64_sys_getpid', 7],
    ]);
    expect(counts.span).toBe(100 * day * 1e9 + 9);
  });

  it('one timestamp repeated a million times over 4 vCPUs: zero self time, zero span, no NaN anywhere (CLI JSON)', async () => {
    const pattern = [0, 1, 2, 3]
      .map((k) => `${200 + k}@1795310244.392604:exec_tb tb:0x7fbd882054c0 pc=0xffffffff81${['c00080', '0b0cf0', '000000', '000030'][k]}\n`)
      .join('');
    const path = join(dir, 'same-time.log');
    writeFileSync(path, Buffer.alloc(pattern.length * 250_000, pattern));
    const cmds = ['self-time', 'timeline', 'info'];
    // in this process, one after the other (the CLI's own process behaviour is tested elsewhere)
    const inproc = async (args: string[]): Promise<{ code: number; out: string }> => {
      const r = await cliInProcess(...args);
      return { code: r.code, out: r.out };
    };
    const table = await inproc(['self-time', path, '--map', MAP_PATH, '-f', 'table', '-q']);
    const runs: { code: number; out: string }[] = [];
    for (const cmd of cmds) runs.push(await inproc([cmd, path, '--map', MAP_PATH, '-f', 'json', '-q']));
    runs.forEach((r, k) => {
      const cmd = cmds[k];
      expect([cmd, r.code]).toEqual([cmd, 0]);
      expect(r.out, cmd).not.toMatch(/NaN|Infinity|null,\s*"share"/);
      const j = JSON.parse(r.out);
      const summary = j.summary ?? j;
      expect([cmd, summary.events, summary.span_ns]).toEqual([cmd, 1_000_000, 0]);
      if (cmd === 'self-time') expect(j.functions.every((x: { self_ns: number; share: number }) => x.self_ns === 0 && x.share === 0)).toBe(true);
    });
    expect(table.code).toBe(0);
    expect(table.out).not.toMatch(/NaN/);
  }, 60_000);
});

describe('millions of distinct pcs: memory stays bounded', () => {
  const N = FULL ? 10_000_000 : 2_000_000;

  it(`${N.toLocaleString('en-US')} distinct user-space pcs and as many unresolvable kernel pcs: the resolver cache stays capped, [user] and [unknown] are two rows`, async () => {
    let st!: SelfTime;
    const counts = new TraceCounts();
    const before = process.memoryUsage();
    let peak = 0;
    const run = await runPipeline(
      {
        // a kernel pc first, so low pcs are [user]; then alternately a new user pc and a new kernel-half pc
        // of the direct map (no function, and too far from the text for a KASLR slide)
        source: generated(N, (i) =>
          i === 0
            ? `7@${stamp(0)}:exec_tb tb:0x1 pc=0xffffffff81000000\n`
            : `7@${stamp(i)}:exec_tb tb:0x1 pc=0x${i % 2 ? (0x400000 + i).toString(16) : 'ffff8880' + (i * 16).toString(16).padStart(8, '0')}\n`,
        ),
        onProgress: () => {
          peak = Math.max(peak, process.memoryUsage().heapUsed);
        },
        // almost no kernel pc resolves here on purpose: without this the map would be judged not
        // to match the trace (exit 2, tested in cli-errors.test.ts)
        kaslr: { mode: 'off' },
      },
      ({ unit }) => [(st = new SelfTime(unit)), counts],
      syms,
    );
    const rows = new Map(st.rows((id) => run.names[id]).map((r) => [run.names[r.id], r.events]));
    expect(rows.get('[user]')).toBe(N / 2);
    expect(rows.get('[unknown]')).toBe(N / 2 - 1);
    expect(rows.size).toBe(3);
    // caches are fixed-size by construction (the JS resolver clears at 3/4 full, its wasm twin is
    // direct-mapped): the heap bound below is what holds them to it
    expect(run.resolver.cacheClears >= 0).toBe(true);
    // columns, cache and buffers: tens of MB whatever N is
    expect(peak - before.heapUsed).toBeLessThan(120 << 20);
  }, 300_000);

  it(`info's distinct-pc count stays bounded for ${N.toLocaleString('en-US')} distinct pcs`, () => {
    const d = new DistinctPcs();
    const batch = { length: 0, pcHi: new Uint32Array(65536), pcLo: new Uint32Array(65536), sym: new Int32Array(65536) };
    for (let i = 0; i < N;) {
      let n = 0;
      for (; n < 65536 && i < N; n++, i++) {
        batch.pcHi[n] = 0;
        batch.pcLo[n] = 0x400000 + i;
      }
      batch.length = n;
      d.consume(batch as never);
    }
    // exact up to a bound, then estimated within a few percent
    expect(Math.abs(d.count - N) / N).toBeLessThan(0.03);
    expect(d.bytes()).toBeLessThan(64 << 20);
  }, 120_000);
});

describe('a System.map with a million symbols', () => {
  it('loads, resolves exactly and stays within a bounded memory (measured: see docs/RELIABILITY.md)', async () => {
    const M = 1_000_000;
    const lines: string[] = [];
    for (let i = 0; i < M; i++) lines.push(`ffffffff${(0x81000000 + i * 16).toString(16)} ${i % 5 === 0 ? 't' : 'T'} fn_${i}`);
    const before = process.memoryUsage().heapUsed;
    const t0 = Date.now();
    const big = mergeSources([parseSymbolText(lines.join('\n') + '\n', 'big.map')]).table;
    const seconds = (Date.now() - t0) / 1000;
    const heap = process.memoryUsage().heapUsed - before;
    expect(big.textSymbols).toBe(M);
    const text: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const k = (i * 7919) % M;
      text.push(`1@${stamp(i)}:exec_tb tb:0x1 pc=0xffffffff${(0x81000000 + k * 16 + (i % 16)).toString(16)}\n`);
    }
    let st!: SelfTime;
    const run = await runPipeline({ source: memorySource(Buffer.from(text.join(''))) }, ({ unit }) => [(st = new SelfTime(unit))], {
      table: big,
      mapPath: 'big',
      note: null,
    });
    const rows = st.rows((id) => run.names[id]);
    expect(rows.length).toBe(20_000);
    expect(rows.every((r) => run.names[r.id].startsWith('fn_'))).toBe(true);
    expect(run.names[rows.find((r) => r.events === 1 && r.self === 1000)!.id]).toMatch(/^fn_\d+$/);
    expect(seconds).toBeLessThan(30);
    expect(heap).toBeLessThan(600 << 20);
    console.log(`1M-symbol map: built in ${seconds.toFixed(1)} s, heap +${(heap / 2 ** 20).toFixed(0)} MiB`);
  }, 120_000);
});
