/**
 * Synthetic machine-level traces with translation records (`-d nochain,in_asm`): programs run block
 * by block with real x86 branch instructions at the end of each block, rendered the way QEMU logs
 * them, with the true stack of every block executed (logged or not).
 *
 * QEMU's logging rules that matter for stacks (docs/FORMATS.md): a record is printed once per
 * translation, just before the block first runs; a block reached through a direct branch, a
 * fall-through, an interrupt or an iret is logged every time; a block reached through an indirect
 * branch (ret, call *, jmp *) is logged only when it was not translated yet.
 */
import { addrOf, type FnName } from './synthetic.js';
import { logLine } from './helpers.js';

export type IsaStep =
  | { work: number } // blocks ending in a conditional branch not taken (fall-through)
  | { call: IsaProg } // `callq fn`
  | { icall: IsaProg } // `callq *%rax`
  | { retpoline: IsaProg } // `callq __x86_indirect_thunk_rax` (call 1f; mov %rax,(%rsp); jmp __x86_return_thunk; ret)
  | { tail: IsaProg } // `jmp fn` as the function's last block (a tail call)
  | { irq: IsaProg[] }; // an interrupt between two blocks: entry stub, handlers, iretq

export interface IsaProg {
  fn: FnName;
  steps: IsaStep[];
  /** Return through `jmp __x86_return_thunk` instead of `retq`. */
  thunkRet?: boolean;
}

export interface IsaBlock {
  pc: bigint;
  insns: string[];
  logged: boolean;
  /** The true stack while this block runs, outermost first. */
  stack: string[];
}

const hex = (v: bigint): string => '0x' + v.toString(16);

/** Runs `p` on one vCPU; returns every block executed in order. */
export function runIsa(p: IsaProg): IsaBlock[] {
  const out: IsaBlock[] = [];
  /** pc -> the signature of its latest translation. */
  const translated = new Map<bigint, string>();
  let viaIndirect = false;
  const emit = (pc: bigint, insns: string[], stack: string[], indirectNext: boolean): bigint => {
    const sig = insns.join('|');
    const fresh = translated.get(pc) !== sig;
    if (fresh) translated.set(pc, sig);
    out.push({ pc, insns, logged: fresh || !viaIndirect, stack: [...stack] });
    viaIndirect = indirectNext;
    return pc + BigInt(insns.length * 4);
  };
  /** A block of `n` instructions whose last is `last` (4 bytes each). */
  const body = (n: number, last: string): string[] => [...Array.from({ length: n - 1 }, () => 'movq'), last];

  const exec = (q: IsaProg, stack: string[], retTo: bigint | null): void => {
    const here = [...stack, q.fn];
    let pc = addrOf(q.fn, 0);
    const steps = q.steps;
    for (let k = 0; k < steps.length; k++) {
      const s = steps[k];
      if ('work' in s) {
        for (let j = 0; j < s.work; j++) pc = emit(pc, body(3, 'jne ' + hex(addrOf(q.fn, 0xf00))), here, false);
      } else if ('call' in s || 'icall' in s) {
        const callee = 'call' in s ? s.call : s.icall;
        const last = 'call' in s ? 'callq ' + hex(addrOf(callee.fn, 0)) : 'callq *%rax';
        const after = emit(pc, body(2, last), here, 'icall' in s);
        exec(callee, here, after);
        pc = after;
      } else if ('retpoline' in s) {
        const thunk = addrOf('__x86_indirect_thunk_rax', 0);
        const after = emit(pc, body(2, 'callq ' + hex(thunk)), here, false);
        const inThunk = [...here, '__x86_indirect_thunk_rax'];
        emit(thunk, ['callq ' + hex(thunk + 12n)], inThunk, false);
        emit(thunk + 12n, ['movq %rax, (%rsp)', 'jmp ' + hex(addrOf('__x86_return_thunk', 0))], inThunk, false);
        emit(addrOf('__x86_return_thunk', 0), ['retq'], [...inThunk, '__x86_return_thunk'], true);
        exec(s.retpoline, here, after);
        pc = after;
      } else if ('tail' in s) {
        emit(pc, body(2, 'jmp ' + hex(addrOf(s.tail.fn, 0))), here, false);
        exec(s.tail, stack, retTo);
        return;
      } else {
        // a pending interrupt stops the next block before it runs (even one reached through an
        // indirect branch) and is taken in QEMU's main loop: the entry is logged, and so is the
        // interrupted block when the iret resumes it
        viaIndirect = false;
        const entry = [...here, 'asm_sysvec_apic_timer_interrupt'];
        const stub = addrOf('asm_sysvec_apic_timer_interrupt', 0);
        let sp = stub;
        for (const h of s.irq) {
          const after = emit(sp, body(2, 'callq ' + hex(addrOf(h.fn, 0))), entry, false);
          exec(h, entry, after);
          sp = after;
        }
        emit(sp, body(1, 'jmp ' + hex(addrOf('native_irq_return_iret', 0))), entry, false);
        emit(addrOf('native_irq_return_iret', 0), ['iretq'], [...entry, 'native_irq_return_iret'], false);
      }
    }
    if (retTo === null) {
      emit(pc, body(2, 'jmp ' + hex(pc)), here, false); // the end: spin
    } else if (q.thunkRet) {
      emit(pc, body(2, 'jmp ' + hex(addrOf('__x86_return_thunk', 0))), here, false);
      emit(addrOf('__x86_return_thunk', 0), ['retq'], [...here, '__x86_return_thunk'], true);
    } else emit(pc, body(2, 'retq'), here, true);
  };
  exec(p, [], null);
  return out;
}

/**
 * The log QEMU writes for these blocks on one vCPU: each translation's record before the block's
 * first execution, then exec_tb lines for the logged blocks (1 us apart).
 */
export function renderIsa(blocks: readonly IsaBlock[], tid = 4415): string {
  const printed = new Map<bigint, string>();
  const tbOf = new Map<string, bigint>();
  let nextTb = 0x7f0000000000n;
  let usec = 0;
  let s = '';
  for (const b of blocks) {
    const sig = b.insns.join('|');
    const key = b.pc + '/' + sig;
    if (printed.get(b.pc) !== sig) {
      printed.set(b.pc, sig);
      tbOf.set(key, (nextTb += 0x100n));
      s += '----------------\nIN: \n';
      let a = b.pc;
      for (const ins of b.insns) {
        const [mn, ...ops] = ins.split(' ');
        s += `${hex(a)}:  00 00 00 00              ${mn.padEnd(8)} ${ops.join(' ')}\n`;
        a += 4n;
      }
      s += '\n';
    }
    if (b.logged) s += logLine(tid, usec++, hex(b.pc)).replace('tb:0x7f0000001000', `tb:${hex(tbOf.get(key)!)}`);
  }
  return s;
}
