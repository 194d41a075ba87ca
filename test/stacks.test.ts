import { describe, expect, it } from 'vitest';
import { memorySource } from '../src/io/source.js';
import { runPipeline } from '../src/pipeline.js';
import { MAX_DEPTH, StackReconstruction, type CallSink } from '../src/analyze/stacks.js';
import { InitcallCollector, initcallNamesFromMap } from '../src/analyze/initcalls.js';

/** Initcall-table symbols as System.map lists them (5.16+ and older spellings). */
const INITCALL_TABLE = [
  'ffffffff8324a9d0 d __initcall__kmod_foo__386_2229_foo_init4',
  'ffffffff8324a9d0 D __initcall_start',
  'ffffffff8324a9d4 d __initcall_bar_initearly',
  'ffffffff8324a9d8 d __initcall__kmod_x__1_2_baz_init7s',
].join('\n');
import { foldedLines, foldTree } from '../src/output/folded.js';
import { CHUNK_SIZES, logLine } from './helpers.js';
import { acceptanceBlocks, addrOf, call, foldedText, prog, render, runProgram, runStacks, truth, work, type FnName } from './synthetic.js';

function folded(sr: StackReconstruction, names: readonly string[], threshold = 0): string[] {
  return foldedLines(sr.tree, names, foldTree(sr.tree, sr.tree.totals(), threshold));
}

const line = (tid: number, usec: number, fn: FnName, off = 0): string => logLine(tid, usec, '0x' + addrOf(fn, off).toString(16));

/** The initcalls of blocks (function, offset) 10 us apart on one vCPU, with `table`'s initcall symbols. */
async function initcallsOf(seq: readonly [FnName, number][], table: string): Promise<{ ic: InitcallCollector; names: readonly string[] }> {
  const text = seq.map(([fn, off], i) => line(7, i * 10, fn, off)).join('');
  let ic!: InitcallCollector;
  const { run } = await runStacks(text, {
    configure: (s) => {
      ic = new InitcallCollector(s.tree, s.names, false, initcallNamesFromMap(table));
      s.callSink = ic;
    },
  });
  return { ic, names: run.names };
}

describe('stack reconstruction on the synthetic acceptance tree', () => {
  const blocks = acceptanceBlocks();
  const text = render(blocks);
  const want = truth(blocks);

  for (const chunkSize of CHUNK_SIZES) {
    it(`recovers the exact folded stacks, self and total times (chunk ${chunkSize})`, async () => {
      const { sr, st, run } = await runStacks(text, { chunkSize, batchSize: 13 });
      expect(folded(sr, run.names)).toEqual(foldedText(want.folded));
      const totals = sr.tree.functionTotals(run.names.length);
      for (const [fn, v] of want.total) expect([fn, totals[run.names.indexOf(fn)]]).toEqual([fn, v]);
      for (const [fn, v] of want.self) expect([fn, st.self[run.names.indexOf(fn)]]).toEqual([fn, v]);
      expect(sr.stats.interrupts).toBe(2);
      expect(sr.vcpus).toBe(2);
    });
  }

  it('charges exactly the flat self time of every function', async () => {
    const { sr, st, run } = await runStacks(text);
    const perFn = new Float64Array(run.names.length);
    for (let n = 1; n < sr.tree.count; n++) perFn[sr.tree.fn[n]] += sr.tree.self[n];
    for (let id = 0; id < run.names.length; id++) expect(perFn[id]).toBe(st.self[id] ?? 0);
  });

  it('keeps the tree small: one node per distinct stack', async () => {
    const { sr } = await runStacks(text);
    expect(sr.tree.count - 1).toBe(
      new Set(blocks.map((b) => b.stack.join(';')).flatMap((k) => k.split(';').map((_, i, a) => a.slice(0, i + 1).join(';')))).size,
    );
  });
});

describe('reconstruction rules', () => {
  it('collapses direct recursion into one frame (a loop to offset 0 looks the same)', async () => {
    const text =
      line(1, 0, 'start_kernel') +
      line(1, 1, 'fact') +
      line(1, 2, 'fact', 0x10) +
      line(1, 3, 'fact') + // fact calls itself
      line(1, 4, 'fact', 0x10) +
      line(1, 5, 'fact', 0x30) + // inner returns into outer
      line(1, 6, 'start_kernel', 0x40) +
      line(1, 7, 'start_kernel', 0x48);
    const { sr, run } = await runStacks(text);
    expect(folded(sr, run.names)).toEqual(['start_kernel 2000', 'start_kernel;fact 5000']);
    const totals = sr.tree.functionTotals(run.names.length);
    expect(totals[run.names.indexOf('fact')]).toBe(5000);
  });

  it('treats retpoline and return thunks as transient leaves; a logged-late entry after a retpoline is a call', async () => {
    const text =
      line(1, 0, 'start_kernel') +
      line(1, 1, 'start_kernel', 0x10) +
      line(1, 2, '__x86_indirect_thunk_rax') +
      line(1, 3, '__x86_indirect_thunk_rax', 0xc) +
      line(1, 4, '__x86_return_thunk') +
      line(1, 5, 'kmalloc', 0x40) + // kmalloc+0 was not logged
      line(1, 6, '__x86_return_thunk') +
      line(1, 7, 'start_kernel', 0x20) +
      line(1, 8, 'start_kernel', 0x28);
    const { sr, run } = await runStacks(text);
    expect(folded(sr, run.names)).toEqual([
      'start_kernel 3000',
      'start_kernel;__x86_indirect_thunk_rax 2000',
      'start_kernel;__x86_return_thunk 1000',
      'start_kernel;kmalloc 1000',
      'start_kernel;kmalloc;__x86_return_thunk 1000',
    ]);
  });

  it('learns blocks that return, so a call right after an unlogged return lands under the caller', async () => {
    const text =
      line(1, 0, 'start_kernel') +
      line(1, 1, 'kmalloc') +
      line(1, 2, 'kmalloc', 0x20) + // returns: the landing block is logged this time
      line(1, 3, 'start_kernel', 0x10) +
      line(1, 4, 'kmalloc') +
      line(1, 5, 'kmalloc', 0x20) + // returns; the landing block is not logged and calls memset
      line(1, 6, 'memset') +
      line(1, 7, 'start_kernel', 0x30) +
      line(1, 8, 'start_kernel', 0x38);
    const { sr, run } = await runStacks(text);
    expect(folded(sr, run.names)).toEqual(['start_kernel 3000', 'start_kernel;kmalloc 4000', 'start_kernel;memset 1000']);
  });

  it('follows a task switch: saved stacks are resumed and the initcall keeps its call time', async () => {
    const t = (fn: FnName, off = 0): [FnName, number] => [fn, off];
    const seq: [FnName, number][] = [
      // kworker B starts and sleeps
      t('ret_from_fork'),
      t('worker_thread'),
      t('worker_thread', 0x10),
      t('schedule'),
      t('__schedule'),
      t('__switch_to_asm'),
      t('__switch_to'),
      // kernel_init A starts, calls an initcall that sleeps
      t('ret_from_fork'),
      t('kernel_init'),
      t('do_one_initcall'),
      t('initcall_blacklisted'),
      t('do_one_initcall', 0x10),
      t('foo_init'),
      t('foo_init', 0x10),
      t('msleep'),
      t('schedule'),
      t('__schedule'),
      t('__switch_to_asm'),
      t('__switch_to'),
      // B resumes and works
      t('__schedule', 0x40),
      t('schedule', 0x30),
      t('worker_thread', 0x20),
      t('process_one_work'),
      t('process_one_work', 0x10),
      t('worker_thread', 0x28),
      t('schedule'),
      t('__schedule'),
      t('__switch_to_asm'),
      t('__switch_to'),
      // A resumes, the initcall returns
      t('__schedule', 0x40),
      t('schedule', 0x30),
      t('msleep', 0x20),
      t('foo_init', 0x20),
      t('do_one_initcall', 0x20),
      t('bar_init'),
      t('bar_init', 0x10),
      t('do_one_initcall', 0x30),
      t('kernel_init', 0x10),
    ];
    const text = seq.map(([fn, off], i) => line(7, i * 10, fn, off)).join('');
    let ic!: InitcallCollector;
    const { sr, run } = await runStacks(text, {
      configure: (s) => {
        ic = new InitcallCollector(s.tree, s.names);
        s.callSink = ic;
      },
    });
    const rows = ic.sorted().map((r) => [run.names[r.fn], r.start, r.duration, r.cpu, r.returned]);
    const at = (fn: FnName, off = 0): number => seq.findIndex(([f, o]) => f === fn && o === off) * 10_000;
    expect(rows).toEqual([
      ['foo_init', at('foo_init'), at('do_one_initcall', 0x20) - at('foo_init'), 0, true],
      ['bar_init', at('bar_init'), at('do_one_initcall', 0x30) - at('bar_init'), 0, true],
    ]);
    expect(sr.stats.adoptions).toBe(2);
    const lines = folded(sr, run.names);
    expect(lines).toContain('ret_from_fork;worker_thread;process_one_work 20000');
    expect(lines.some((l) => l.startsWith('ret_from_fork;kernel_init;do_one_initcall;foo_init;process_one_work'))).toBe(false);
  });

  it('reads the initcall table from System.map', () => {
    expect([...initcallNamesFromMap(INITCALL_TABLE)].sort()).toEqual(['bar_init', 'baz_init', 'foo_init']);
  });

  it('initcalls: a callee seen under a do_one_initcall helper still counts; interrupts and helpers do not', async () => {
    const seq: [FnName, number][] = [
      ['kernel_init', 0],
      ['do_one_initcall', 0],
      ['initcall_blacklisted', 0],
      ['initcall_blacklisted', 0x10],
      // the helper's return was not logged and do_one_initcall called the initcall right away
      ['foo_init', 0],
      ['foo_init', 0x10],
      ['do_one_initcall', 0x20],
      // an interrupt while in do_one_initcall itself
      ['asm_sysvec_apic_timer_interrupt', 0],
      ['asm_sysvec_apic_timer_interrupt', 0x10],
      ['native_irq_return_iret', 0],
      ['do_one_initcall', 0x20],
      ['bar_init', 0],
      ['bar_init', 0x10],
      ['do_one_initcall', 0x30],
      ['kernel_init', 0x10],
    ];
    const { ic, names } = await initcallsOf(seq, INITCALL_TABLE);
    expect(ic.sorted('duration').map((r) => [names[r.fn], r.start, r.duration])).toEqual([
      ['foo_init', 40_000, 20_000],
      ['bar_init', 110_000, 20_000],
    ]);
  });

  it('initcalls: console initcalls are the ones console_init calls that the table lists (con level)', async () => {
    const seq: [FnName, number][] = [
      ['start_kernel', 0],
      ['console_init', 0],
      ['memset', 0], // not an initcall
      ['console_init', 0x10],
      ['bar_init', 0],
      ['bar_init', 0x10],
      ['console_init', 0x20],
      ['start_kernel', 0x10],
    ];
    const table = INITCALL_TABLE + '\nffffffff8324b2bc d __initcall__kmod_vt__336_3557_bar_initcon';
    const { ic, names } = await initcallsOf(seq, table);
    expect(ic.sorted().map((r) => [names[r.fn], r.start, r.duration])).toEqual([['bar_init', 40_000, 20_000]]);
  });

  it('initcalls: an initcall whose frame was lost still ends at the next do_one_initcall block', async () => {
    const text =
      line(7, 0, 'kernel_init') +
      line(7, 10, 'do_one_initcall') +
      line(7, 20, 'foo_init') +
      line(7, 30, 'foo_init', 0x10) +
      logLine(7, 40, '0x401000') + // a region block drops the stack (no returns)
      line(7, 50, 'do_one_initcall', 0x20) +
      line(7, 60, 'bar_init') +
      line(7, 70, 'do_one_initcall', 0x30);
    let ic!: InitcallCollector;
    const { run } = await runStacks(text, {
      configure: (s) => {
        ic = new InitcallCollector(s.tree, s.names);
        s.callSink = ic;
      },
    });
    expect(ic.sorted().map((r) => [run.names[r.fn], r.start, r.duration, r.returned])).toEqual([
      ['foo_init', 20_000, 30_000, true],
      ['bar_init', 60_000, 10_000, true],
    ]);
    expect(ic.fallbacks).toBe(1);
  });

  it('never grows without bound and never crashes on arbitrary pcs', async () => {
    let x = 12345;
    const rnd = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x % n;
    };
    const names: FnName[] = [
      'start_kernel',
      'kmalloc',
      'memset',
      'walk_a',
      'walk_b',
      'fact',
      'asm_sysvec_apic_timer_interrupt',
      'native_irq_return_iret',
      '__switch_to_asm',
      'ret_from_fork',
      '__x86_return_thunk',
      '__x86_indirect_thunk_rax',
    ];
    let text = '';
    for (let i = 0; i < 20000; i++) {
      const fn = names[rnd(names.length)];
      // mostly entries: the worst case for growth
      text += line(1 + rnd(2), i, fn, rnd(4) === 0 ? 8 * rnd(16) : 0);
      if (rnd(50) === 0) text += logLine(1, i, '0x401000'); // user space
    }
    const { sr, st } = await runStacks(text, { chunkSize: 4096 });
    expect(sr.stats.maxDepth).toBeLessThanOrEqual(MAX_DEPTH);
    let sum = 0;
    for (let n = 0; n < sr.tree.count; n++) sum += sr.tree.self[n];
    expect(sum).toBe(st.totalSelf());
  });

  it('reports frames still open at the end as unfinished', async () => {
    const text = line(1, 0, 'kernel_init') + line(1, 1, 'do_one_initcall') + line(1, 2, 'foo_init') + line(1, 5, 'foo_init', 0x10);
    const calls: string[] = [];
    const sink: CallSink = {
      returned: () => calls.push('returned'),
      unfinished: (_c, node, callTime, time) => calls.push(`open ${node} ${callTime} ${time}`),
    };
    await runStacks(text, { configure: (s) => (s.callSink = sink) });
    expect(calls).toEqual(['open 3 2000 5000', 'open 2 1000 5000', 'open 1 0 5000']);
  });

  it('makes [user], [boot] and [firmware] root frames and nests system calls under [user]', async () => {
    const text =
      logLine(1, 0, '0xfffffff0') + // firmware
      logLine(1, 1, '0x100000') + // boot loader
      line(1, 2, 'start_kernel') +
      line(1, 3, 'start_kernel', 0x10) +
      logLine(1, 4, '0x401000') + // user space
      line(1, 5, 'asm_sysvec_apic_timer_interrupt') +
      line(1, 6, 'sysvec_apic_timer_interrupt') +
      line(1, 7, 'asm_sysvec_apic_timer_interrupt', 0x20) +
      line(1, 8, 'native_irq_return_iret') +
      logLine(1, 9, '0x401010') +
      logLine(1, 10, '0x401020');
    const { sr, run } = await runStacks(text);
    expect(folded(sr, run.names)).toEqual([
      '[boot] 1000',
      '[firmware] 1000',
      '[user] 2000',
      '[user];asm_sysvec_apic_timer_interrupt 2000',
      '[user];asm_sysvec_apic_timer_interrupt;native_irq_return_iret 1000',
      '[user];asm_sysvec_apic_timer_interrupt;sysvec_apic_timer_interrupt 1000',
      'start_kernel 2000',
    ]);
  });

  it('works without symbols (one [kernel] frame)', async () => {
    const text = render(runProgram(prog('start_kernel', work(2), call('kmalloc')), 0, 1, 0));
    let sr!: StackReconstruction;
    const run = await runPipeline(
      { source: memorySource(Buffer.from(text), 'x.log') },
      ({ unit }) => [(sr = new StackReconstruction(unit, ['[firmware]', '[boot]', '[user]', '[unknown]', '[kernel]']))],
      {
        table: null,
        mapPath: null,
        note: null,
      },
    );
    sr.finish();
    expect(folded(sr, run.names).map((l) => l.split(' ')[0])).toEqual(['[kernel]']);
  });
});
