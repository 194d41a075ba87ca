import { describe, expect, it } from 'vitest';
import { StackReconstruction } from '../src/analyze/stacks.js';
import { foldedLines, foldTree } from '../src/output/folded.js';
import { CHUNK_SIZES } from './helpers.js';
import { addrOf, runStacks } from './synthetic.js';
import { renderIsa, runIsa, type IsaBlock, type IsaProg, type IsaStep } from './isa-synthetic.js';

const p = (fn: IsaProg['fn'], ...steps: IsaStep[]): IsaProg => ({ fn, steps });
const pt = (fn: IsaProg['fn'], ...steps: IsaStep[]): IsaProg => ({ fn, steps, thunkRet: true });
const work = (n: number): IsaStep => ({ work: n });
const call = (q: IsaProg): IsaStep => ({ call: q });
const icall = (q: IsaProg): IsaStep => ({ icall: q });
const retpoline = (q: IsaProg): IsaStep => ({ retpoline: q });
const tail = (q: IsaProg): IsaStep => ({ tail: q });
const irq = (...h: IsaProg[]): IsaStep => ({ irq: h });

function folded(sr: StackReconstruction, names: readonly string[]): string[] {
  return foldedLines(sr.tree, names, foldTree(sr.tree, sr.tree.totals(), 0));
}

/** Folded self time of the logged blocks (1 us each, the last one 0), as bootprof prints it. */
function truth(blocks: readonly IsaBlock[]): string[] {
  const logged = blocks.filter((b) => b.logged);
  const m = new Map<string, number>();
  logged.forEach((b, i) => {
    const k = b.stack.join(';');
    m.set(k, (m.get(k) ?? 0) + (i + 1 < logged.length ? 1000 : 0));
  });
  return [...m]
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v}`)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Every pattern whose blocks the records place exactly: direct and indirect calls (the second time
 * an indirect target runs its entry block is not logged), returns into unlogged return sites that
 * call again, return again or branch, retpolines, return thunks, tail calls, recursion, a
 * same-function loop back to offset 0, and interrupts with nested handlers between any two blocks.
 */
const STRCMP = p('strcmp', work(1));
const PARSE_ONE = p('parse_one', work(2), call(STRCMP), call(STRCMP), work(1));
const MEMSET = pt('memset', work(3));
const KMALLOC = p('kmalloc', work(2), call(MEMSET));
const WALK_A = p('walk_a', work(1), call(p('walk_b', work(1))));
const FACT = p('fact', work(1), call(p('fact', work(1), call(p('fact', work(2))))), work(1));
const TIMER = irq(p('sysvec_apic_timer_interrupt', work(1), call(p('hrtimer_interrupt', work(2)))));
export const exactProg = p(
  'start_kernel',
  work(2),
  call(p('parse_args', work(1), call(PARSE_ONE), call(PARSE_ONE), call(STRCMP))),
  work(1),
  call(
    p(
      'rest_init',
      icall(KMALLOC),
      icall(KMALLOC),
      work(1),
      TIMER,
      work(2),
      retpoline(WALK_A),
      retpoline(WALK_A),
      call(FACT),
      call(p('do_one_initcall', work(1), tail(p('foo_init', work(2), call(KMALLOC))))),
      work(1),
      TIMER,
      call(FACT),
      icall(KMALLOC),
    ),
  ),
  work(3),
);

/**
 * Called twice through a retpoline: the second time its entry block runs unlogged, its first callee
 * (strcmp) looks called by the retpoline, and its second (walk_b, called from an unlogged return
 * site) is placed without a return address.
 */
const UNLOGGED_ENTRY_TARGET = p('walk_a', call(STRCMP), call(p('walk_b', call(p('memset', work(1))), work(1))), work(1));

describe('stack reconstruction from translation records', () => {
  const blocks = runIsa(exactProg);
  const text = renderIsa(blocks);

  it('the synthetic run hides blocks the way QEMU does', () => {
    expect(blocks.filter((b) => !b.logged).length).toBeGreaterThan(10);
    // the second indirect call's entry block ran unlogged
    const km = blocks.filter((b) => b.stack[b.stack.length - 1] === 'kmalloc' && b.insns[0] === 'movq' && b.pc % 0x1000n === 0n);
    expect(km.map((b) => b.logged)).toEqual([true, false, true, false]);
  });

  for (const chunkSize of CHUNK_SIZES) {
    it(`recovers the true stack of every logged block (chunk ${chunkSize})`, async () => {
      const { sr, run } = await runStacks(text, { chunkSize, batchSize: 7 });
      expect(run.translations.active).toBe(true);
      expect(folded(sr, run.names)).toEqual(truth(blocks));
      expect(sr.stats.resynced).toBe(0);
      expect(sr.stats.interrupts).toBe(2);
      expect(sr.stats.inferredBlocks).toBeGreaterThan(5);
    });
  }

  it('the heuristic alone (the same blocks without records) does not', async () => {
    const plain = text.replace(/^(?!\d+@).*\n/gm, '');
    const { sr, run } = await runStacks(plain);
    expect(run.translations.active).toBe(false);
    expect(folded(sr, run.names)).not.toEqual(truth(blocks));
  });

  it('an interrupt right after a return nests in the returning function (QEMU may have stopped the return block at its start)', async () => {
    const q = p('start_kernel', call(p('kmalloc', work(1))), TIMER, work(1));
    const bs = runIsa(q);
    const { sr, run } = await runStacks(renderIsa(bs));
    const got = folded(sr, run.names);
    const want = truth(bs).map((l) => l.replace('start_kernel;asm_sysvec', 'start_kernel;kmalloc;asm_sysvec'));
    expect(got).toEqual(want.sort());
    expect(sr.stats.interrupts).toBe(1);
  });

  it('a block logged, stopped at its start by an interrupt and logged again is not run twice by the stacks', async () => {
    const q = p('start_kernel', call(p('kmalloc', work(1), TIMER, work(1), call(MEMSET))), work(1));
    const bs = runIsa(q);
    const lines = renderIsa(bs).split('\n');
    // the block after the iret is first logged just before the interrupt entry
    const iretPc = 'pc=0x' + bs.find((b) => b.insns[0] === 'iretq')!.pc.toString(16);
    const iret = lines.findIndex((l) => l.endsWith(iretPc));
    const at = lines.findIndex((l, i) => i > iret && l.includes(':exec_tb '));
    // with its translation record, which QEMU prints before the first (stopped) execution
    let from = at;
    while (from > 0 && !lines[from - 1].includes(':exec_tb ')) from--;
    const moved = lines.splice(from, at + 1 - from);
    const line = moved[moved.length - 1];
    const stub = lines.findIndex((l) => l.includes(':exec_tb ') && l.endsWith('pc=0xffffffff81009000'));
    lines.splice(stub, 0, ...moved); // logged (with its record) just before the interrupt entry
    const iretLine = lines.findIndex((l, i) => i > stub + moved.length && l.endsWith(iretPc));
    lines.splice(iretLine + 1, 0, line); // and again after the iret
    // times: keep them increasing (each line 1 us after the one before)
    let us = 0;
    const text = lines.map((l) => (l.includes(':exec_tb ') ? l.replace(/@\d+\.\d+:/, `@1700000000.${String(us++).padStart(6, '0')}:`) : l)).join('\n');
    const { sr, run } = await runStacks(text);
    const want = truth(bs).map((l) => (l.startsWith('start_kernel;kmalloc ') ? `start_kernel;kmalloc ${Number(l.split(' ')[1]) + 1000}` : l));
    expect(folded(sr, run.names)).toEqual(want);
    expect(sr.stats.abortedBlocks).toBe(1);
    expect(sr.stats.abortedInsns).toBe(3);
  });

  it('an indirect call whose unlogged entry block calls on: the inner call sits under the caller until it returns', async () => {
    const q = p('start_kernel', icall(p('kmalloc', call(p('memset', work(1))), work(1))), icall(p('kmalloc', call(p('memset', work(2))), work(2))), work(1));
    const bs = runIsa(q);
    const { sr, run } = await runStacks(renderIsa(bs));
    const got = folded(sr, run.names);
    // the first time kmalloc's entry is logged (just translated): exact
    // the second time memset looks called by start_kernel; once it returns into kmalloc, kmalloc is
    // put back between them with the return address of the indirect call
    expect(truth(bs)).toEqual(['start_kernel 3000', 'start_kernel;kmalloc 5000', 'start_kernel;kmalloc;memset 5000']);
    expect(got).toEqual(['start_kernel 3000', 'start_kernel;kmalloc 5000', 'start_kernel;kmalloc;memset 2000', 'start_kernel;memset 3000']);
    expect(sr.stats.missedEntries).toBe(1);
  });

  it('a retpoline target whose unlogged entry block called on: the frames its callees return through never replace its caller', async () => {
    // hrtimer_interrupt calls walk_a through a retpoline (UNLOGGED_ENTRY_TARGET)
    const target = UNLOGGED_ENTRY_TARGET;
    const q = p('start_kernel', call(p('hrtimer_interrupt', retpoline(target), retpoline(target), work(2))), work(1));
    const bs = runIsa(q);
    const { sr, run } = await runStacks(renderIsa(bs));
    const got = folded(sr, run.names);
    // hrtimer_interrupt keeps its frame: its last blocks (after the second call) are its own
    const want = truth(bs);
    // exact self time for every function on the way (walk_a's last blocks are its own, under
    // hrtimer_interrupt); walk_a's callees sit one level up until walk_a is seen again
    for (const exact of ['start_kernel 2000', 'start_kernel;hrtimer_interrupt 5000', 'start_kernel;hrtimer_interrupt;walk_a 5000']) {
      expect(want).toContain(exact);
      expect(got).toContain(exact);
    }
    expect(got).toContain('start_kernel;hrtimer_interrupt;walk_b;memset 2000');
    expect(got.filter((l) => !l.startsWith('start_kernel;hrtimer_interrupt'))).toEqual(['start_kernel 2000']);
  });

  it('after a task switch, the frames of an interrupt follow the usual rules (they never drop the stack)', async () => {
    // the same unlogged-entry pattern as above, in a timer interrupt taken right after a task switch,
    // before the resumed task has returned below the scheduler's frames
    const target = UNLOGGED_ENTRY_TARGET;
    const handler = p('hrtimer_interrupt', retpoline(target), retpoline(target), work(2));
    const q = p('start_kernel', call(p('schedule', call(p('__switch_to_asm', work(1))), work(1), irq(handler), work(1))), work(1));
    const bs = runIsa(q);
    const { sr, run } = await runStacks(renderIsa(bs));
    const got = folded(sr, run.names);
    const roots = new Set(got.map((l) => l.split(/[; ]/)[0]));
    expect([...roots]).toEqual(['start_kernel']);
    expect(got).toContain('start_kernel;schedule;asm_sysvec_apic_timer_interrupt;hrtimer_interrupt;walk_a 5000');
  });

  it('a call through a retpoline starts when the retpoline is called: an interrupt taken inside it counts', async () => {
    const q = p('do_one_initcall', work(1), retpoline(p('foo_init', work(2))), work(1));
    const bs = runIsa(q);
    const lines = renderIsa(bs).split('\n');
    // a long interrupt between the thunk's last block and foo_init's entry (QEMU translating it)
    const entry = lines.findIndex((l) => l.endsWith('pc=0x' + addrOf('foo_init', 0).toString(16)));
    let us = 0;
    const text = lines
      .map((l, i) => (l.includes(':exec_tb ') ? l.replace(/@\d+\.\d+:/, `@1700000000.${String((us += i === entry ? 5000 : 1)).padStart(6, '0')}:`) : l))
      .join('\n');
    const calls: { node: number; start: number; end: number }[] = [];
    const { sr, run } = await runStacks(text, {
      configure: (r) => {
        r.callSink = { returned: (_c, node, start, end) => void calls.push({ node, start, end }), unfinished: () => undefined };
      },
    });
    expect(run.translations.active).toBe(true);
    const foo = calls.find((c) => run.names[sr.tree.fn[c.node]] === 'foo_init')!;
    // called at the thunk's first block (us 3), returned at do_one_initcall's next block
    expect(foo.start).toBe(2000);
    expect(foo.end - foo.start).toBeGreaterThan(5000_000);
  });
});
