/**
 * Synthetic exec_tb traces with a known call tree: a System.map of made-up functions, programs
 * (nested calls, blocks at non-zero offsets, returns into the middle of callers, interrupts,
 * recursion, several vCPUs) turned into log lines, and the exact truth: the real stack of every
 * block, hence self time per stack, per function and inclusive time per function.
 */
import { memorySource } from '../src/io/source.js';
import { runPipeline, type RunResult } from '../src/pipeline.js';
import { systemMapFromText } from '../src/symbols/system-map.js';
import { SelfTime } from '../src/analyze/self-time.js';
import { StackReconstruction } from '../src/analyze/stacks.js';
import { logLine } from './helpers.js';

export const BASE = 0xffffffff81000000n;
export const FN_SIZE = 0x1000n;

/** Function names, laid out FN_SIZE apart from BASE in this order. */
export const FUNCTIONS = [
  'start_kernel',
  'rest_init',
  'parse_args',
  'parse_one',
  'strcmp',
  'kmalloc',
  'memset',
  'walk_a',
  'walk_b',
  'asm_sysvec_apic_timer_interrupt',
  'sysvec_apic_timer_interrupt',
  'hrtimer_interrupt',
  'native_irq_return_iret',
  'ret_from_fork',
  'kernel_init',
  'do_one_initcall',
  'initcall_blacklisted',
  'foo_init',
  'bar_init',
  'msleep',
  'schedule',
  '__schedule',
  '__switch_to_asm',
  '__switch_to',
  'worker_thread',
  'process_one_work',
  '__x86_indirect_thunk_rax',
  '__x86_return_thunk',
  'cpu_idle',
  'fact',
  'console_init',
] as const;
export type FnName = (typeof FUNCTIONS)[number];

export function addrOf(name: FnName, offset = 0): bigint {
  const i = FUNCTIONS.indexOf(name);
  if (i < 0) throw new Error(`unknown function ${name}`);
  return BASE + BigInt(i) * FN_SIZE + BigInt(offset);
}

export function systemMap(): string {
  let s = `${(BASE - FN_SIZE).toString(16)} T _text\n`;
  FUNCTIONS.forEach((f, i) => {
    s += `${(BASE + BigInt(i) * FN_SIZE).toString(16)} ${i % 3 === 0 ? 't' : 'T'} ${f}\n`;
  });
  s += `${(BASE + BigInt(FUNCTIONS.length) * FN_SIZE).toString(16)} T _etext\n`;
  return s;
}

/** What a function does after its entry block. */
export type Step =
  | { work: number } // blocks at non-zero offsets of this function
  | { call: Prog } // a call: the callee's entry block at offset 0, then a block back in the middle of the caller
  | { irq: Prog[] }; // an interrupt: entry stub, handlers called from it, iretq, back where it was

export interface Prog {
  fn: FnName;
  steps: Step[];
}

export const call = (fn: FnName, ...steps: Step[]): Step => ({ call: { fn, steps } });
export const work = (n: number): Step => ({ work: n });
export const irq = (...handlers: Prog[]): Step => ({ irq: handlers });
export const prog = (fn: FnName, ...steps: Step[]): Prog => ({ fn, steps });

export interface Block {
  cpu: number;
  tid: number;
  usec: number;
  pc: bigint;
  /** The true stack while this block runs, outermost first. */
  stack: string[];
}

/** Deterministic block lengths (µs) from a seed. */
function lengths(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return 1 + (x % 17);
  };
}

/** Blocks of one vCPU running `p` from time `start` (µs). */
export function runProgram(p: Prog, cpu: number, tid: number, start: number, seed = 1): Block[] {
  const next = lengths(seed + cpu * 7919);
  const out: Block[] = [];
  let t = start;
  const emit = (fn: FnName, off: number, stack: string[]): void => {
    out.push({ cpu, tid, usec: t, pc: addrOf(fn, off), stack: [...stack] });
    t += next();
  };
  const exec = (q: Prog, stack: string[]): void => {
    const here = [...stack, q.fn];
    emit(q.fn, 0, here);
    let off = 0x10;
    for (const s of q.steps) {
      if ('work' in s) {
        for (let k = 0; k < s.work; k++) emit(q.fn, (off += 8), here);
      } else if ('call' in s) {
        exec(s.call, here);
        emit(q.fn, (off += 8), here); // the return lands in the middle of the caller
      } else {
        const entry = [...here, 'asm_sysvec_apic_timer_interrupt'];
        emit('asm_sysvec_apic_timer_interrupt', 0, entry);
        for (const h of s.irq) {
          exec(h, entry);
          emit('asm_sysvec_apic_timer_interrupt', 0x20, entry);
        }
        emit('native_irq_return_iret', 0, [...entry, 'native_irq_return_iret']);
        emit(q.fn, off, here); // iretq resumes the interrupted block
      }
    }
  };
  exec(p, []);
  return out;
}

/** Merges the blocks of several vCPUs by time (stable) and renders the log. */
export function render(blocks: Block[]): string {
  const sorted = [...blocks].sort((a, b) => a.usec - b.usec);
  return sorted.map((b) => logLine(b.tid, b.usec, '0x' + b.pc.toString(16))).join('');
}

export interface Truth {
  /** Folded stack -> self ns. */
  folded: Map<string, number>;
  self: Map<string, number>;
  total: Map<string, number>;
}

/** Self time of each block = next block of its vCPU - its time; the last block of a vCPU gets 0. */
export function truth(blocks: Block[]): Truth {
  const folded = new Map<string, number>();
  const byCpu = new Map<number, Block[]>();
  for (const b of blocks) {
    if (!byCpu.has(b.cpu)) byCpu.set(b.cpu, []);
    byCpu.get(b.cpu)!.push(b);
  }
  for (const list of byCpu.values()) {
    list.sort((a, b) => a.usec - b.usec);
    for (let i = 0; i < list.length; i++) {
      const d = i + 1 < list.length ? (list[i + 1].usec - list[i].usec) * 1000 : 0;
      const key = list[i].stack.join(';');
      folded.set(key, (folded.get(key) ?? 0) + d);
    }
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  for (const [key, v] of folded) {
    const frames = key.split(';');
    const leaf = frames[frames.length - 1];
    self.set(leaf, (self.get(leaf) ?? 0) + v);
    for (const f of new Set(frames)) total.set(f, (total.get(f) ?? 0) + v);
  }
  return { folded, self, total };
}

/** Folded lines as bootprof prints them (sorted, zero-time stacks left out). */
export function foldedText(folded: Map<string, number>): string[] {
  return [...folded.entries()]
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v}`)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The acceptance tree: vCPU 0 boots (nested calls, work at non-zero offsets, an interrupt with
 * nested handlers, indirect recursion walk_a -> walk_b -> walk_a -> walk_b), vCPU 1 parses
 * arguments meanwhile.
 */
export function acceptanceBlocks(): Block[] {
  const cpu0 = prog(
    'start_kernel',
    work(2),
    call('parse_args', work(1), call('parse_one', work(2), call('strcmp', work(1)), work(1)), call('strcmp')),
    work(1),
    call(
      'rest_init',
      call('kmalloc', work(2), call('memset', work(3))),
      work(1),
      irq(prog('sysvec_apic_timer_interrupt', work(1), call('hrtimer_interrupt', work(2)))),
      work(2),
      call('walk_a', work(1), call('walk_b', work(1), call('walk_a', call('walk_b', work(2), call('strcmp')), work(1)), work(1)), work(1)),
    ),
    work(3),
  );
  const cpu1 = prog(
    'cpu_idle',
    work(1),
    call('parse_args', call('parse_one', call('strcmp', work(2)), irq(prog('sysvec_apic_timer_interrupt', work(1))), work(1))),
    work(2),
    call('kmalloc', call('memset')),
    work(1),
  );
  return [...runProgram(cpu0, 0, 4415, 0, 3), ...runProgram(cpu1, 1, 4416, 5, 11)];
}

/** Runs the real pipeline over `text` with a StackReconstruction (and SelfTime beside it). */
export async function runStacks(
  text: string,
  o: { chunkSize?: number; map?: string; batchSize?: number; configure?: (sr: StackReconstruction) => void } = {},
): Promise<{ sr: StackReconstruction; st: SelfTime; run: RunResult }> {
  const table = systemMapFromText(o.map ?? systemMap());
  let sr!: StackReconstruction;
  let st!: SelfTime;
  const run = await runPipeline(
    { source: memorySource(Buffer.from(text, 'latin1'), 'synthetic.log'), chunkSize: o.chunkSize, batchSize: o.batchSize },
    ({ unit, translations }) => {
      sr = new StackReconstruction(unit, table.names, StackReconstruction.treeLimit, translations ?? null);
      st = new SelfTime(unit);
      o.configure?.(sr);
      return [sr, st];
    },
    { table, mapPath: 'synthetic.map', note: null },
  );
  sr.finish();
  return { sr, st, run };
}
