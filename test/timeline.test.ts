/** timeline: first-call semantics, milestone rules, phases and idle time on hand-made traces. */
import { describe, expect, it } from 'vitest';
import { memorySource } from '../src/io/source.js';
import { runPipeline } from '../src/pipeline.js';
import { systemMapFromText } from '../src/symbols/system-map.js';
import { TraceCounts } from '../src/analyze/trace-counts.js';
import { Timeline } from '../src/analyze/timeline.js';
import { buildSummary } from '../src/commands/summary.js';
import { timelineCsv, timelineJson, timelineTableText, parseGrep, type TimelineReport } from '../src/commands/timeline.js';
import { MILESTONES, PHASES } from '../src/analyze/milestones.js';
import { CHUNK_SIZES, logLine } from './helpers.js';

/** Runs the real pipeline over `text` with a System.map given as text; returns the report. */
async function runTimeline(text: string, map: string | null, o: { chunkSize?: number; batchSize?: number } = {}): Promise<TimelineReport> {
  const table = map !== null ? systemMapFromText(map) : null;
  const counts = new TraceCounts();
  let tl!: Timeline;
  const run = await runPipeline(
    { source: memorySource(Buffer.from(text, 'latin1'), 'test.log'), chunkSize: o.chunkSize, batchSize: o.batchSize },
    (info) => [counts, (tl = Timeline.fromInfo(info))],
    { table, mapPath: table ? 'test.map' : null, note: null },
  );
  const result = tl.result();
  return { result, names: run.names, summary: buildSummary(run, counts, { negativeDeltas: result.negativeDeltas }) };
}

const MAP = `
ffffffff81000000 T _text
ffffffff81000000 T startup_64
ffffffff81000100 T alpha
ffffffff81000200 T beta
ffffffff81000300 T gamma
ffffffff81000400 T eta
ffffffff81000500 T zeta
ffffffff81000600 t helper.isra.0
ffffffff81000700 T _etext
`;

const K = (off: number): string => '0x' + (0xffffffff81000000n + BigInt(off)).toString(16);

// Two vCPUs (tids 100, 200); times in µs. Lines of vCPU 1 come after later lines of vCPU 0.
const FIRST_CALLS =
  logLine(100, 0, '0xfffffff0') + // [firmware]
  logLine(100, 10, '0x100000') + // [boot] (decompressor)
  logLine(100, 20, '0x1000000') + // startup_64, physically addressed: the kernel entry
  logLine(100, 30, K(0x100)) + // alpha
  logLine(200, 25, K(0x200)) + // beta on vCPU 1, earlier than the line above
  logLine(100, 35, K(0x204)) + // beta on vCPU 0: later
  logLine(200, 40, K(0x300)) + // gamma: vCPU 1 and 0 at the same time, vCPU 1's line first
  logLine(100, 40, K(0x300)) +
  logLine(100, 50, '0x400000') + // [user]: vCPU 0 has run the kernel
  logLine(100, 70, K(0x500)) + // zeta and eta at the same time: rows by name
  logLine(200, 70, K(0x400)) +
  logLine(200, 80, '0x8000000000000000') + // non-canonical: [unknown]
  logLine(200, 90, K(0x600)) + // helper.isra.0
  logLine(100, 95, K(0x10)); // startup_64 again, later: no change

const FIRST_CALLS_CSV = `function,first_ns,cpu,milestone
[firmware],0,0,firmware starts
[boot],10000,0,first [boot] event
startup_64,20000,0,kernel entry (first kernel pc)
beta,25000,1,
alpha,30000,0,
gamma,40000,1,
[user],50000,0,first user-space event
eta,70000,1,
zeta,70000,0,
[unknown],80000,1,
helper.isra.0,90000,1,
`;

describe('timeline: first call of every function', () => {
  it('takes the earliest event over vCPUs, earlier line on ties, names on equal times, regions included', async () => {
    const rep = await runTimeline(FIRST_CALLS, MAP);
    expect(timelineCsv(rep)).toBe(FIRST_CALLS_CSV);
  });

  it('gives identical results for every chunk and batch size', async () => {
    for (const chunkSize of CHUNK_SIZES) {
      for (const batchSize of [1, 3, 1 << 16]) {
        const rep = await runTimeline(FIRST_CALLS, MAP, { chunkSize, batchSize });
        expect(timelineCsv(rep), `chunk ${chunkSize} batch ${batchSize}`).toBe(FIRST_CALLS_CSV);
        expect(timelineJson(rep)).toBe(timelineJson(await runTimeline(FIRST_CALLS, MAP)));
      }
    }
  });

  it('--grep filters function rows', async () => {
    const rep = await runTimeline(FIRST_CALLS, MAP);
    expect(timelineCsv(rep, parseGrep('^[a-g]'))).toBe('function,first_ns,cpu,milestone\nbeta,25000,1,\nalpha,30000,0,\ngamma,40000,1,\neta,70000,1,\n');
    const json = JSON.parse(timelineJson(rep, parseGrep('eta$')));
    expect(json.first_calls.map((f: { function: string }) => f.function)).toEqual(['beta', 'eta', 'zeta']);
    expect(() => parseGrep('(')).toThrow(/--grep/);
  });

  it('without symbols: kernel pcs are [kernel], the kernel entry is the first of them', async () => {
    const rep = await runTimeline(logLine(1, 0, '0xffff0') + logLine(1, 5, '0xffffffff81000000') + logLine(1, 9, '0x400000'), null);
    expect(timelineCsv(rep)).toBe(
      'function,first_ns,cpu,milestone\n[firmware],0,0,firmware starts\n[kernel],5000,0,kernel entry (first kernel pc)\n[user],9000,0,first user-space event\n',
    );
  });

  it('untimed traces count in events (event ordinals as times)', async () => {
    const text = 'exec_tb tb:0x1 pc=0xfffffff0\nexec_tb tb:0x2 pc=0x1000000\nexec_tb tb:0x3 pc=0xffffffff81000100\nexec_tb tb:0x4 pc=0x400000\n';
    const rep = await runTimeline(text, MAP);
    expect(rep.summary.unit).toBe('events');
    expect(timelineCsv(rep)).toBe(
      'function,first_ns,cpu,milestone\n[firmware],0,0,firmware starts\nstartup_64,1,0,kernel entry (first kernel pc)\nalpha,2,0,\n[user],3,0,first user-space event\n',
    );
    expect(rep.result.phases.map((p) => [p.key, p.start, p.duration])).toEqual([
      ['firmware', 0, 1],
      ['early_kernel', 1, 2],
    ]);
    expect(timelineTableText(rep)).toMatch(/early kernel +1 +2 +66\.67%/);
  });

  it('JSON has the documented shape', async () => {
    const rep = await runTimeline(FIRST_CALLS, MAP);
    const json = JSON.parse(timelineJson(rep));
    expect(Object.keys(json)).toEqual(['$schema', 'format_version', 'summary', 'phases', 'phase_idle', 'milestones', 'first_calls']);
    expect(json.first_calls[0]).toEqual({ function: '[firmware]', first_ns: 0, cpu: 0, milestone: 'firmware starts' });
    expect(json.first_calls[3]).toEqual({ function: 'beta', first_ns: 25000, cpu: 1, milestone: null });
    expect(json.summary).toMatchObject({
      events: 14,
      threads: 2,
      span_ns: 95000,
      boot_cpu: 0,
      starts_in: 'firmware',
      firmware_start_ns: 0,
      linux_start_kernel_ns: null,
      linux_start_user_ns: 50000,
    });
  });
});

// A boot with every phase: addresses are arbitrary but the layout mirrors x86-64 (init text apart).
const BOOT_MAP = `
ffffffff81000000 T _text
ffffffff81000000 T startup_64
ffffffff81000100 t mm_init
ffffffff81000200 t kernel_init
ffffffff81000300 t run_init_process
ffffffff81000400 T kernel_execve
ffffffff81000500 t start_secondary
ffffffff81000600 t native_safe_halt
ffffffff81000700 T default_idle
ffffffff81000800 T kernel_power_off
ffffffff81000900 T work
ffffffff81000a00 T rest_init
ffffffff81000b00 T smp_init
ffffffff81001000 T _etext
ffffffff81100000 T entry_SYSCALL_64
ffffffff83000000 T _sinittext
ffffffff83000000 T x86_64_start_kernel
ffffffff83000100 T start_kernel
ffffffff83000200 T setup_arch
ffffffff83000300 t mm_init
ffffffff83000400 T sched_init
ffffffff83000500 t kernel_init_freeable
ffffffff83000600 T time_init
ffffffff83001000 T _einittext
`;
const A = (addr: string): string => '0xffffffff' + addr;

/**
 * Times in µs. vCPU 0 (tid 10) boots; vCPU 1 (tid 11) and vCPU 2 (tid 12) are APs.
 * Milestone traps: a fork-time mm_init (not init text) before the init-text one, a return into
 * setup_arch before its call, a usermode-helper kernel_execve before kernel_init, a kernel_execve
 * after kernel_init but before run_init_process, time_init called only after kernel_init.
 */
const BOOT =
  logLine(10, 0, '0xfffffff0') + // firmware
  logLine(10, 100, '0xf0000') + // firmware
  logLine(10, 200, '0x90000') + // [boot]
  logLine(10, 300, '0x1000000') + // kernel entry: startup_64 (physical)
  logLine(10, 400, A('83000000')) + // x86_64_start_kernel
  logLine(10, 500, A('83000100')) + // start_kernel
  logLine(10, 550, A('83000208')) + // inside setup_arch: not a call
  logLine(10, 600, A('83000200')) + // setup_arch called
  logLine(10, 650, A('81000100')) + // fork-time mm_init (not init text): not the milestone
  logLine(10, 700, A('83000300')) + // init-text mm_init: the milestone
  logLine(10, 800, A('83000400')) + // sched_init
  logLine(10, 850, A('81000400')) + // kernel_execve from a usermode helper: before kernel_init
  logLine(10, 900, A('81000a00')) + // rest_init
  logLine(10, 1000, A('81000200')) + // kernel_init
  logLine(10, 1100, A('83000500')) + // kernel_init_freeable
  logLine(10, 1150, A('83000600')) + // time_init after kernel_init: not the milestone
  logLine(10, 1200, A('81000b00')) + // smp_init
  logLine(11, 1300, '0x99000') + // AP trampoline: [boot] on vCPU 1
  logLine(11, 1310, A('81000500')) + // start_secondary on vCPU 1
  logLine(11, 1320, A('81000600')) + // vCPU 1 idles until 1900
  logLine(12, 1400, A('81000500')) + // start_secondary on vCPU 2
  logLine(12, 1410, A('81000900')) +
  logLine(10, 1500, A('81000600')) + // boot vCPU idles 1500..1600 (native_safe_halt)
  logLine(10, 1600, A('81000700')) + // default_idle 1600..1650, then work
  logLine(10, 1650, A('81000900')) +
  logLine(10, 1700, A('81000400')) + // kernel_execve after kernel_init (modprobe): run_init_process still wins
  logLine(10, 1800, A('81000300')) + // run_init_process: init exec
  logLine(10, 1850, A('81000400')) +
  logLine(11, 1900, A('81000900')) +
  logLine(10, 2000, '0x401000') + // first user-space event
  logLine(10, 2100, A('81100000')) + // first syscall
  logLine(10, 2200, A('81000600')) + // idle in user space 2200..2500
  logLine(10, 2500, '0x401010') +
  logLine(10, 2600, A('81000800')) + // kernel_power_off
  logLine(10, 3000, A('81000900'));

describe('timeline: milestones and phases', () => {
  it('finds each milestone by its rule, in time order', async () => {
    const rep = await runTimeline(BOOT, BOOT_MAP);
    const ms = JSON.parse(timelineJson(rep)).milestones.map((m: { milestone: string; function: string; time_ns: number; cpu: number }) => [
      m.milestone,
      m.function,
      m.time_ns / 1000,
      m.cpu,
    ]);
    expect(ms).toEqual([
      ['firmware', '[firmware]', 0, 0],
      ['boot_loader', '[boot]', 200, 0],
      ['kernel_entry', 'startup_64', 300, 0],
      ['x86_64_start_kernel', 'x86_64_start_kernel', 400, 0],
      ['start_kernel', 'start_kernel', 500, 0],
      ['setup_arch', 'setup_arch', 600, 0],
      ['mm_init', 'mm_init', 700, 0],
      ['sched_init', 'sched_init', 800, 0],
      ['rest_init', 'rest_init', 900, 0],
      ['kernel_init', 'kernel_init', 1000, 0],
      ['kernel_init_freeable', 'kernel_init_freeable', 1100, 0],
      ['smp_init', 'smp_init', 1200, 0],
      ['ap_start', 'start_secondary', 1310, 1],
      ['ap_start', 'start_secondary', 1400, 2],
      ['init_exec', 'run_init_process', 1800, 0],
      ['first_user', '[user]', 2000, 0],
      ['first_syscall', 'entry_SYSCALL_64', 2100, 0],
      ['power_off', 'kernel_power_off', 2600, 0],
    ]);
  });

  it('labels a function row only when its first call is the milestone', async () => {
    const rep = await runTimeline(BOOT, BOOT_MAP);
    const csv = timelineCsv(rep);
    expect(csv).toContain('\nsetup_arch,550000,0,\n'); // first seen inside it, called at 600 µs
    expect(csv).toContain('\nmm_init,650000,0,\n'); // the fork-time one ran first
    expect(csv).toContain('\nstart_secondary,1310000,1,secondary CPU starts (start_secondary)\n');
    expect(csv).toContain('\nstart_kernel,500000,0,start_kernel\n');
  });

  it('splits the span into phases with idle time and the [firmware]/[boot] split', async () => {
    for (const chunkSize of CHUNK_SIZES) {
      const rep = await runTimeline(BOOT, BOOT_MAP, { chunkSize, batchSize: 4 });
      const json = JSON.parse(timelineJson(rep));
      const idleBy = (phase: unknown): number[] =>
        json.phase_idle.filter((r: { phase: string }) => r.phase === phase).map((r: { cpu: number; idle_ns: number }) => r.idle_ns);
      const ph = json.phases.map((p: Record<string, unknown>) => [p.phase, p.start_ns, p.duration_ns, p.idle_ns, idleBy(p.phase), p.partial]);
      expect(ph).toEqual([
        ['firmware', 0, 300000, 0, [0, 0, 0], false],
        ['early_kernel', 300000, 200000, 0, [0, 0, 0], false],
        ['start_kernel', 500000, 500000, 0, [0, 0, 0], false],
        // boot vCPU: native_safe_halt 1500..1600 + default_idle 1600..1650; vCPU 1: 1320..1800
        ['initcalls', 1000000, 800000, 150000, [150000, 480000, 0], false],
        // vCPU 1: 1800..1900; boot vCPU: 2200..2500
        ['user', 1800000, 1200000, 300000, [300000, 100000, 0], false],
      ]);
      expect(json.phases[0]).toMatchObject({ firmware_ns: 200000, boot_ns: 100000, share: 10 });
      const sum = json.phases.reduce((s: number, p: { duration_ns: number }) => s + p.duration_ns, 0);
      expect(sum).toBe(json.summary.span_ns);
      expect(json.summary).toMatchObject({ boot_cpu: 0, firmware_start_ns: 0, linux_start_kernel_ns: 500000, linux_start_user_ns: 2000000, idle_ns: 1030000 });
    }
  });

  it('uses the fallbacks: kernel_execve after kernel_init when run_init_process is never called', async () => {
    const noRun = BOOT.split('\n')
      .filter((l) => !l.endsWith('pc=0xffffffff81000300'))
      .join('\n');
    const rep = await runTimeline(noRun, BOOT_MAP);
    const exec = rep.result.milestones.find((m) => m.key === 'init_exec')!;
    expect([rep.names[exec.id], exec.time]).toEqual(['kernel_execve', 1700000]);
  });

  it('drops a boot-only milestone that happens after its `before` milestone', async () => {
    const rep = await runTimeline(BOOT, BOOT_MAP);
    expect(rep.result.milestones.find((m) => m.key === 'time_init')).toBeUndefined();
  });

  it('an excerpt that starts in the kernel has no kernel entry and starts with a partial phase', async () => {
    const excerpt = BOOT.split('\n').slice(5).join('\n'); // from start_kernel on
    const rep = await runTimeline(excerpt, BOOT_MAP);
    const keys = rep.result.milestones.map((m) => m.key);
    expect(keys.slice(0, 2)).toEqual(['start_kernel', 'setup_arch']);
    expect(keys).not.toContain('kernel_entry');
    expect(rep.result.startsIn).toBe('kernel');
    expect(rep.result.phases.map((p) => [p.key, p.start, p.partial])).toEqual([
      ['start_kernel', 0, false], // times count from the excerpt's first event
      ['initcalls', 500000, false],
      ['user', 1300000, false],
    ]);
    const late = BOOT.split('\n').slice(12).join('\n'); // from rest_init (900 µs) on: inside start_kernel
    const rep2 = await runTimeline(late, BOOT_MAP);
    expect(rep2.result.phases.map((p) => [p.key, p.start, p.partial])).toEqual([
      ['start_kernel', 0, true],
      ['initcalls', 100000, false],
      ['user', 900000, false],
    ]);
  });

  it('the table shows phases, milestones and, on request, functions', async () => {
    const rep = await runTimeline(BOOT, BOOT_MAP);
    const text = timelineTableText(rep);
    expect(text).toMatch(/^Phases\nphase +start \(s\) +duration +share +idle \(vCPU 0\)/);
    expect(text).toContain('initcalls and rootfs');
    expect(text).toMatch(/0\.001800 +400\.0 µs +init exec \(run_init_process\) +run_init_process +0/);
    expect(text).not.toContain('First call of');
    expect(text).toContain('firmware_start 0.000000 s, linux_start_kernel 0.000500 s, linux_start_user 0.002000 s');
    const all = timelineTableText(rep, { grep: parseGrep('^mm_') });
    expect(all).toMatch(/First call of functions matching \/\^mm_\/ \(1\)\n/);
    expect(all).toMatch(/0\.000650 +mm_init +0\n/);
  });
});

describe('milestones.ts', () => {
  it('has unique keys; before/after and phases refer to existing milestones', () => {
    const keys = new Set(MILESTONES.map((m) => m.key));
    expect(keys.size).toBe(MILESTONES.length);
    for (const m of MILESTONES) {
      if (m.when?.before) expect(keys.has(m.when.before), m.key).toBe(true);
      if (m.when?.after) expect(keys.has(m.when.after), m.key).toBe(true);
    }
    for (const p of PHASES) expect(p.start === 'trace_start' || keys.has(p.start), p.key).toBe(true);
  });
});
