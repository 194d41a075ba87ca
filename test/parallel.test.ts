/**
 * Output is byte-identical for any number of parse workers, any work-unit size and any read
 * chunk size, for every command, including across unit seams in the middle of per-vCPU state
 * (pending self time, kernel-entry state of low pcs, open syscalls, first calls).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, logLine, prng } from './helpers.js';
import { sampleBytes } from './formats-helpers.js';

const SAMPLES = new URL('../samples/', import.meta.url).pathname;
const MAP = SAMPLES + 'System.map-6.1.0-47-cloud-amd64.gz';
const tmp = mkdtempSync(join(tmpdir(), 'bootprof-par-'));

/** The CLI in this process (worker threads are real threads either way; no node start-up per run). */
async function run(args: string[]): Promise<string> {
  const r = await cli(...args, '-q');
  if (r.code !== 0) throw new Error(`bootprof ${args.join(' ')} failed: ${r.err}`);
  return r.out;
}

/** Two vCPUs from firmware to user space and syscalls, lines of the two interleaved. */
function twoVcpuTrace(): string {
  const rnd = prng(11);
  const kernelPcs = ['0xffffffff81c00080', '0xffffffff810b0cf0', '0xffffffff81002460', '0xffffffff819fc710', '0xffffffff8129cdd0'];
  let out = '';
  let t = 0;
  for (let i = 0; i < 6000; i++) {
    const tid = rnd(3) === 0 ? 501 : 500;
    t += rnd(20);
    const phase = i < 600 ? 0 : i < 1200 ? 1 : 2;
    const pc =
      phase === 0
        ? rnd(2)
          ? '0xfffffff0'
          : '0x' + (0x9000 + rnd(0x1000)).toString(16)
        : phase === 1
          ? '0x' + (0x1000000 + rnd(0x1000)).toString(16)
          : rnd(4) === 0
            ? '0x' + (0x400000 + rnd(0x10000)).toString(16)
            : kernelPcs[rnd(kernelPcs.length)];
    out += logLine(tid, t, pc);
  }
  return out;
}

describe('parallel parsing gives byte-identical output', () => {
  const user = join(tmp, 'userspace.log');
  writeFileSync(user, sampleBytes('userspace-500k.log.gz').subarray(0, 6_000_000));
  const two = join(tmp, 'two.log');
  writeFileSync(two, twoVcpuTrace());
  const cases: [string, string[]][] = [
    ['self-time', ['--format', 'csv']],
    ['timeline', ['--format', 'csv', '--all']],
    ['syscalls', ['--format', 'csv']],
    ['info', ['--format', 'json']],
    ['flamegraph', ['--format', 'folded']],
    ['initcalls', ['--format', 'csv']],
    ['report', ['--format', 'json']],
  ];
  // units of 7,777 bytes: ~50 seams in the two-vCPU trace; ~300 of 19,999 in the 6 MB excerpt
  for (const [file, name, small] of [
    [user, 'user-space excerpt', '19999'],
    [two, 'two vCPUs, firmware to user space', '7777'],
  ] as const) {
    for (const [cmd, extra] of cases) {
      it(`${cmd} on the ${name}`, async () => {
        const ref = await run([cmd, file, '--map', MAP, ...extra, '--threads', '1']);
        expect(ref.length).toBeGreaterThan(cmd === 'initcalls' ? 30 : 100);
        for (const [threads, unit, chunk] of [
          ['2', '65536', '4096'],
          ['3', small, '1000'],
          ['2', '1000000', '65536'],
        ]) {
          const out = await run([cmd, file, '--map', MAP, ...extra, '--threads', threads, '--unit-size', unit, '--chunk-size', chunk]);
          expect(out, `--threads ${threads} --unit-size ${unit} --chunk-size ${chunk}`).toBe(ref);
        }
      });
    }
  }
});

describe('translation records that start mid-trace', () => {
  it("units before the first record merge their workers' folds, units after are consumed: the same output", async () => {
    // exec_tb lines without records, then a trace with -d in_asm records (another boot: times jump back)
    const mixed = join(tmp, 'mixed.log');
    const plain = sampleBytes('userspace-500k.log.gz').subarray(0, 1_000_000);
    const inasm = sampleBytes('inasm-start-kernel-200k.log.gz').subarray(0, 2_000_000);
    writeFileSync(mixed, Buffer.concat([plain.subarray(0, plain.lastIndexOf(10) + 1), inasm.subarray(0, inasm.lastIndexOf(10) + 1)]));
    // report: self time and the counts (both merged from the workers' folds), timeline, syscalls
    for (const [cmd, extra] of [['report', ['--format', 'json']]] as const) {
      const ref = await run([cmd, mixed, '--map', MAP, ...extra, '--threads', '1']);
      expect(JSON.parse(ref).summary.translation.records).toBeGreaterThan(300);
      for (const unit of ['19999', '262144'])
        expect(await run([cmd, mixed, '--map', MAP, ...extra, '--threads', '2', '--unit-size', unit]), `${cmd} ${unit}`).toBe(ref);
    }
  });
});

describe('parse workers kept between runs in one process', () => {
  it('start each run afresh: another trace, format and map give the output of a single-threaded run', async () => {
    const user = join(tmp, 'kept-user.log');
    writeFileSync(user, sampleBytes('userspace-500k.log.gz').subarray(0, 3_000_000));
    const st = join(tmp, 'kept-st.txt');
    // a simpletrace-text trace of the same events (another format, another line layout)
    writeFileSync(st, readFileSync(new URL('fixtures/simpletrace-text/exec_tb.txt', import.meta.url)));
    const runs: [string, string[]][] = [
      [user, ['--map', MAP]],
      [st, ['--map', MAP]],
      [user, ['--map', MAP]],
      [st, []],
    ];
    for (const [file, extra] of runs) {
      const ref = await run(['self-time', file, ...extra, '--format', 'csv', '--threads', '1']);
      // three workers, then two (one kept idle), small units
      const unit = file === st ? '600' : '30000';
      for (const threads of ['3', '2'])
        expect(await run(['self-time', file, ...extra, '--format', 'csv', '--threads', threads, '--unit-size', unit])).toBe(ref);
    }
  });
});
