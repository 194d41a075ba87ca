/**
 * timeline on the committed excerpts of one real 1-vCPU boot (Linux 6.1, QEMU 7.2 TCG). Expected
 * values were checked against the raw lines: e.g. start_kernel (0xffffffff8304ce41) is line 19,330
 * of start-kernel-120k at 1795310253.027566, 30.988 ms after its first line.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TraceCounts } from '../src/analyze/trace-counts.js';
import { Timeline } from '../src/analyze/timeline.js';
import { buildSummary } from '../src/commands/summary.js';
import { timelineCommand, timelineCsv, timelineJson, type TimelineReport } from '../src/commands/timeline.js';
import { loadSymbols, runPipeline, type Symbols } from '../src/pipeline.js';

const MAP = 'samples/System.map-6.1.0-47-cloud-amd64.gz';
let symbols: Symbols | undefined;

async function sample(name: string, o: { chunkSize?: number; batchSize?: number } = {}): Promise<TimelineReport> {
  symbols ??= await loadSymbols({ map: MAP });
  const counts = new TraceCounts();
  let tl!: Timeline;
  const run = await runPipeline({ trace: `samples/${name}`, map: MAP, ...o }, (info) => [counts, (tl = Timeline.fromInfo(info))], symbols);
  const result = tl.result();
  return { result, names: run.names, summary: buildSummary(run, counts, { negativeDeltas: result.negativeDeltas }) };
}

type Json = {
  summary: Record<string, unknown>;
  phases: Record<string, unknown>[];
  milestones: { milestone: string; function: string; time_ns: number; cpu: number }[];
  first_calls: { function: string; first_ns: number; cpu: number; milestone: string | null }[];
};
const json = (rep: TimelineReport): Json => JSON.parse(timelineJson(rep));
const phases = (j: Json): unknown[] => j.phases.map((p) => [p.phase, p.start_ns, p.duration_ns, p.idle_ns, p.partial]);
const milestones = (j: Json): unknown[] => j.milestones.map((m) => [m.milestone, m.function, m.time_ns, m.cpu]);

describe('timeline on the start-kernel excerpt', () => {
  it('finds start_kernel and setup_arch; the excerpt starts in a partial early-kernel phase', async () => {
    const j = json(await sample('start-kernel-120k.log.gz'));
    expect(milestones(j)).toEqual([
      ['start_kernel', 'start_kernel', 30988000, 0],
      ['setup_arch', 'setup_arch', 37942000, 0],
    ]);
    expect(phases(j)).toEqual([
      ['early_kernel', 0, 30988000, 0, true],
      ['start_kernel', 30988000, 164820000, 0, false],
    ]);
    expect(j.summary).toMatchObject({
      span_ns: 195808000,
      boot_cpu: 0,
      starts_in: 'kernel',
      firmware_start_ns: null,
      linux_start_kernel_ns: 30988000,
      linux_start_user_ns: null,
      functions: 138,
    });
    // x86_64_start_kernel is seen (a return into it) but not called: a row, no milestone
    expect(j.first_calls.find((f) => f.function === 'x86_64_start_kernel')).toEqual({
      function: 'x86_64_start_kernel',
      first_ns: 23043000,
      cpu: 0,
      milestone: null,
    });
    expect(j.first_calls[0]).toEqual({ function: 'clear_bss', first_ns: 0, cpu: 0, milestone: null });
  });

  it('is identical for other chunk and batch sizes', async () => {
    const ref = timelineCsv(await sample('start-kernel-120k.log.gz'));
    expect(timelineCsv(await sample('start-kernel-120k.log.gz', { chunkSize: 4093, batchSize: 1000 }))).toBe(ref);
  });
});

describe('timeline on the user-space excerpt', () => {
  it('finds the first user-space event (init) and the first syscall; kernel_init is a return, not a call', async () => {
    const j = json(await sample('userspace-500k.log.gz'));
    expect(milestones(j)).toEqual([
      ['first_user', '[user]', 82765000, 0], // line 39,787: pc=0x40ebf0
      ['first_syscall', 'entry_SYSCALL_64', 130808000, 0], // line 65,914
    ]);
    expect(phases(j)).toEqual([['user', 0, 931072000, 0, true]]);
    expect(j.summary).toMatchObject({ span_ns: 931072000, starts_in: 'kernel', linux_start_user_ns: 82765000, linux_start_kernel_ns: null, functions: 1359 });
    expect(j.first_calls.find((f) => f.function === 'kernel_init')).toEqual({ function: 'kernel_init', first_ns: 56152000, cpu: 0, milestone: null });
    expect(j.first_calls.find((f) => f.function === '[user]')).toEqual({ function: '[user]', first_ns: 82765000, cpu: 0, milestone: 'first user-space event' });
  });
});

describe('timeline on the kernel-entry excerpt', () => {
  it('finds the physically-addressed kernel entry and the first virtual C code', async () => {
    const j = json(await sample('kernel-entry-20k.log.gz', { chunkSize: 1000 }));
    expect(milestones(j)).toEqual([
      ['kernel_entry', 'startup_64', 13818000, 0], // line 9,373: pc=0x1000000
      ['x86_64_start_kernel', 'x86_64_start_kernel', 16493000, 0], // line 10,028
    ]);
    expect(j.phases.map((p) => [p.phase, p.start_ns, p.duration_ns, p.partial, p.firmware_ns, p.boot_ns])).toEqual([
      ['firmware', 0, 13818000, true, 0, 13818000],
      ['early_kernel', 13818000, 17488000, false, null, null],
    ]);
    expect(j.summary).toMatchObject({ span_ns: 31306000, starts_in: 'boot' });
  });
});

describe('bootprof timeline (command)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bootprof-timeline-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes CSV, JSON and the table to -o', async () => {
    const trace = 'samples/kernel-entry-20k.log.gz';
    await timelineCommand(trace, { map: MAP, output: join(dir, 't.csv'), quiet: true });
    const csv = readFileSync(join(dir, 't.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('function,first_ns,cpu,milestone');
    expect(csv[1]).toBe('[boot],0,0,');
    expect(csv[2]).toBe('startup_64,13818000,0,kernel entry (first kernel pc)');
    await timelineCommand(trace, { map: MAP, output: join(dir, 't.json'), grep: '^startup_64$' });
    const j = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8'));
    expect(j.first_calls).toEqual([{ function: 'startup_64', first_ns: 13818000, cpu: 0, milestone: 'kernel entry (first kernel pc)' }]);
    await timelineCommand(trace, { map: MAP, format: 'table', output: join(dir, 't.txt'), all: true });
    const text = readFileSync(join(dir, 't.txt'), 'utf8');
    expect(text).toMatch(/^Phases\n/);
    expect(text).toContain('First call of every function (19)');
    expect(text).toMatch(/0\.013818 +startup_64 +0 +kernel entry \(first kernel pc\)\n/);
  });
});
