/**
 * Pins every self-time rule on a hand-made trace with exact numbers: chunk seams, regions, the
 * physical mapping of startup code, per-vCPU deltas, negative deltas, untimed traces.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SelfTime } from '../src/analyze/self-time.js';
import { TraceCounts } from '../src/analyze/trace-counts.js';
import { CHUNK_SIZES, cli, logLine, runText } from './helpers.js';
import { acceptanceBlocks, render, systemMap } from './synthetic.js';

export const MAP = `
ffffffff81000000 T _text
ffffffff81000000 T startup_64
ffffffff81000100 T func_a
ffffffff81000200 t func_b
ffffffff81000200 W weak_b
ffffffff81000300 t __do_sys_getpid
ffffffff81000300 T __ia32_sys_getpid
ffffffff81000300 T __x64_sys_getpid
ffffffff81000400 D some_data
ffffffff81000500 T func_c
ffffffff81000600 t dup
ffffffff81000700 t dup
ffffffff81001000 T _etext
ffffffff82000000 T _sinittext
ffffffff82000000 T init_func
ffffffff82001000 T _einittext
`;

async function selfTime(text: string, opts: { chunkSize?: number; map?: string | null } = {}) {
  let st!: SelfTime;
  const counts = new TraceCounts();
  const run = await runText(
    text,
    ({ unit }) => {
      st = new SelfTime(unit);
      return [counts, st];
    },
    { map: opts.map === null ? undefined : (opts.map ?? MAP), chunkSize: opts.chunkSize },
  );
  const rows = Object.fromEntries(st.rows((id) => run.names[id]).map((r) => [run.names[r.id], [r.self, r.events]]));
  return { rows, run, st, counts };
}

// tid 100 boots: firmware, boot code, physical startup code, then the virtual kernel, then user.
// tid 200 (a second vCPU) starts in the AP trampoline and interleaves.
const TRACE =
  logLine(100, 0, '0xfffffff0') + //            [firmware] reset vector: 10 us
  logLine(100, 10, '0xf0000') + //              [firmware] legacy BIOS area: 5 us
  logLine(100, 15, '0x100000') + //             [boot] (1 MiB: not firmware): 20 us
  logLine(100, 35, '0x1000150') + //            physical -> func_a: 5 us
  logLine(200, 36, '0x9a000') + //              vCPU 1: [boot] (AP trampoline, < 0xc0000): 4 us
  logLine(100, 40, '0x2000010') + //            physical -> init_func: 10 us
  logLine(200, 40, '0xffffffff81000200') + //   vCPU 1: weak_b (W beats t): 60 us
  logLine(100, 50, '0xffffffff81000100') + //   func_a, first virtual pc of vCPU 0: 50 us
  logLine(100, 100, '0x400000') + //            [user] now: 1 us
  logLine(100, 101, '0x1000150') + //           low pc after the kernel: [user], not func_a: 9 us
  logLine(100, 110, '0xffffffff81000410') + //  in some_data: [unknown]: 20 us
  logLine(200, 100, '0xffffffff81000310') + //  vCPU 1: __x64_sys_getpid: 0 (its last event)
  logLine(100, 130, '0xffffffff81000650') + //  dup (first of two static dups): 10 us
  logLine(100, 140, '0xffffffff81000750') + //  dup (second): 30 us
  logLine(100, 170, '0xffffffff81000500') + //  func_c: time goes back next: 0, negative delta
  logLine(100, 160, '0xffffffff810f0000') + //  beyond _etext, still the last text symbol: ...
  '';

describe('self-time on a hand-made trace', () => {
  it('charges each event the time to the next event of its own vCPU, with regions and physical mapping', async () => {
    const { rows, st, counts, run } = await selfTime(TRACE);
    expect(rows).toEqual({
      '[firmware]': [15000, 2],
      '[boot]': [24000, 2],
      func_a: [55000, 2],
      init_func: [10000, 1],
      weak_b: [60000, 1],
      '[user]': [10000, 2],
      '[unknown]': [20000, 1],
      __x64_sys_getpid: [0, 1],
      dup: [40000, 2],
      func_c: [0, 1],
      _etext: [0, 1],
    });
    expect(st.negativeDeltas).toBe(1);
    expect(run.parser.threadIds).toEqual([100, 200]);
    expect(counts.threadEvents[0]).toBe(13);
    expect(counts.threadEvents[1]).toBe(3);
    expect(counts.span).toBe(170000);
  });

  it('gives identical results for every chunk size (seams anywhere)', async () => {
    const ref = (await selfTime(TRACE)).rows;
    for (const chunkSize of CHUNK_SIZES) expect((await selfTime(TRACE, { chunkSize })).rows).toEqual(ref);
  });

  it('without symbols: kernel pcs are [kernel] and still end the early regions', async () => {
    const { rows } = await selfTime(TRACE, { map: null });
    expect(rows['[firmware]']).toEqual([15000, 2]);
    expect(rows['[boot]']).toEqual([24000 + 15000, 4]); // physical startup code is [boot] without a map
    expect(rows['[kernel]'][1]).toBe(8);
    expect(rows['[user]']).toEqual([10000, 2]);
  });

  it('counts untimed traces in events', async () => {
    const text = 'exec_tb tb:0x1 pc=0xffffffff81000100\nexec_tb tb:0x2 pc=0xffffffff81000100\nexec_tb tb:0x3 pc=0x400000\n';
    const { rows, run } = await selfTime(text);
    expect(run.parser.unit).toBe('events');
    expect(rows).toEqual({ func_a: [2, 2], '[user]': [1, 1] });
  });

  it('reads ISO-8601 stamped lines (QEMU 10.1+) to the nanosecond', async () => {
    const text =
      '2025-07-21T18:43:28.089797Z exec_tb tb:0x1 pc=0xffffffff81000100\n' +
      '2025-07-21T18:43:29.000000123Z exec_tb tb:0x2 pc=0xffffffff81000500\n' +
      '2025-07-21T18:43:29.5Z exec_tb tb:0x3 pc=0xffffffff81000100\n';
    const { rows, run } = await selfTime(text);
    expect(run.parser.format).toContain('ISO');
    expect(rows.func_a).toEqual([910203123, 2]);
    expect(rows.func_c).toEqual([499999877, 1]);
  });
});

describe('self-time --sort', () => {
  it('orders by self, total (with --stacks), events or insns; the default is the weight; what it cannot sort by is refused', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'bootprof-sort-'));
    try {
      const trace = join(tmp, 'synthetic.log');
      const map = join(tmp, 'System.map');
      writeFileSync(trace, render(acceptanceBlocks()));
      writeFileSync(map, systemMap());
      type Row = { function: string; self_ns: number; total_ns: number; events: number };
      const rows = async (...extra: string[]): Promise<Row[]> => {
        const r = await cli('self-time', trace, '--map', map, '-f', 'json', '-q', ...extra);
        expect(r.code, r.err).toBe(0);
        return JSON.parse(r.out).functions;
      };
      const byWeight = await rows('--stacks');
      const sorted = (key: keyof Row): Row[] => [...byWeight].sort((a, b) => (b[key] as number) - (a[key] as number));
      expect(await rows('--stacks', '--sort', 'self')).toEqual(byWeight); // time is the weight here
      const total = await rows('--stacks', '--sort', 'total');
      expect(total).toEqual(sorted('total_ns'));
      expect(total[0].function).toBe('start_kernel');
      expect(total.map((r) => r.function)).not.toEqual(byWeight.map((r) => r.function));
      expect(await rows('--stacks', '--sort', 'events')).toEqual(sorted('events'));
      expect((await rows('--sort', 'events')).map((r) => r.function)).toEqual(sorted('events').map((r) => r.function));

      const noStacks = await cli('self-time', trace, '--map', map, '--sort', 'total', '-q');
      expect([noStacks.code, noStacks.out, noStacks.err]).toEqual([
        1,
        '',
        'bootprof: --sort total needs --stacks: inclusive time (total_ns) comes from the reconstructed call stacks\n',
      ]);
      const insns = await cli('self-time', trace, '--map', map, '--sort', 'insns', '-q');
      expect([insns.code, insns.err]).toEqual([
        1,
        `bootprof: --sort insns: ${trace} has no translation records; record the trace with -d nochain,in_asm (QEMU then logs every translated block's instructions)\n`,
      ]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('insns: by self_insns on a trace with translation records', async () => {
    const r = await cli('self-time', 'samples/inasm-start-kernel-200k.log.gz', '--weight', 'time', '--sort', 'insns', '-f', 'json', '-q');
    expect(r.code, r.err).toBe(0);
    const got = JSON.parse(r.out).functions as { self_insns: number }[];
    expect(got.map((x) => x.self_insns)).toEqual([...got.map((x) => x.self_insns)].sort((a, b) => b - a));
  });
});
