/**
 * Call stacks from a plain exec_tb trace: a shadow call stack per vCPU, driven by where each
 * translated block starts (docs/STACKS.md describes the heuristic and its limits).
 *
 *  - a block at offset 0 of a function (the symbol stage's `off` column) is a call: push;
 *  - a block inside a function already on the stack is a return to it: pop down to it;
 *  - interrupt and exception entries push an interrupt frame; the block after an `iretq` block pops it;
 *  - return/indirect-call thunks (retpolines) are transient leaf frames;
 *  - `__switch_to_asm` saves the stack of the task being switched out; a return into a function that
 *    is on no current frame adopts the most recent saved stack that holds it (the task resumed);
 *  - `ret_from_fork` starts a fresh stack; `[firmware]`, `[boot]`, `[user]` are root frames;
 *  - anything else (a block inside a function not on any stack: an entry block the trace did not log)
 *    is pushed as a call; depth is capped at MAX_DEPTH.
 *
 * Self time is charged like SelfTime (event i gets t(next event of its vCPU) - t(i)) to the call node
 * on top after event i, so per-function self times equal the flat ones. Memory: one node per distinct
 * stack (model/stacks.ts), at most MAX_DEPTH frames per vCPU (grown on demand), at most POOL_SIZE saved stacks, a bounded
 * return-block cache. No object or string per event. Names are classified as they appear (a
 * pre-resolved trace names functions while it is read).
 */
import type { EventBatch } from '../model/batch.js';
import type { TimeUnit } from '../formats/parser.js';
import { FIRST_FUNCTION, REGION_BOOT, REGION_FIRMWARE, REGION_USER } from '../model/names.js';
import type { TraceInfo } from '../pipeline.js';
import { CallTree, MAX_NODES, OTHER_STACKS_LABEL, ROOT_NODE } from '../model/call-tree.js';
import { PcHashMap } from '../model/pc-hash.js';
import { grow, type Analysis } from './analysis.js';
import { resized } from '../model/typed-array.js';
import { NO_TRANSLATION, type Translations } from '../model/translations.js';
import { KIND_CALL, KIND_COND, KIND_INDIRECT, KIND_IRET, KIND_JMP, KIND_OTHER, KIND_RET, KIND_TRAP } from '../formats/qemu-in-asm.js';
import type { TimeWindow } from './window.js';

export const MAX_DEPTH = 512;
/** Frames a vCPU's shadow stack holds before it first grows (doubling, up to MAX_DEPTH). */
export const INITIAL_DEPTH = 8;
/** Upper key half of a function's block in the return-block cache: below every kernel-half pc, above every user pc. */
const BLOCK_KEY_FN = 0x40000000;
export const POOL_SIZE = 256;
const NONE_U32 = new Uint32Array(0);
const NONE_I32 = new Int32Array(0);

/** Frame kinds. */
export const FRAME_CALL = 0;
export const FRAME_INTERRUPT = 1;
export const FRAME_THUNK = 2;
export const FRAME_ROOT = 3;

/** Function classes (by name). */
const C_NORMAL = 0;
const C_THUNK = 1;
const C_INTERRUPT = 2;
const C_IRET = 3;
const C_ROOT = 4;
const C_FORK = 5;
const C_SWITCH = 6;
const C_RET_THUNK = 7;

/** Names that enter the kernel from an interrupt, exception or system call (x86-64 Linux). */
export const INTERRUPT_ENTRY =
  /^(asm_(exc|sysvec|common_interrupt|spurious_interrupt|int80)|irq_entries_start$|spurious_entries_start$|entry_(SYSCALL|SYSENTER|INT80)|early_idt_handler_array$|xen_asm_)/;
/** Blocks ending in the `iretq` that leaves an interrupt or exception. */
export const INTERRUPT_RETURN = /^(native_irq_return_iret|nmi_restore|native_iret|xen_iret)$/;
/** Retpolines: executed between an indirect call or jump and its target. */
export const THUNK = /^(__x86_indirect_(call_|jump_)?thunk_|__x86_indirect_thunk_array$|entry_untrain_ret$|srso_untrain_ret$|zen_untrain_ret$)/;
/** Return thunks: a function's `ret` is `jmp __x86_return_thunk`, so the block after one is a return. */
export const RETURN_THUNK = /^(__x86_return_thunk|__x86_return_skl|srso_return_thunk|srso_alias_return_thunk|retbleed_return_thunk|__ret)$/;
export const TASK_START = /^ret_from_fork$/;
export const TASK_SWITCH = /^__switch_to_asm$/;

/** Visible frames of each vCPU, for evented outputs: enter/leave are balanced per vCPU. */
export interface FrameSink {
  enter(cpu: number, depth: number, node: number, time: number): void;
  leave(cpu: number, depth: number, node: number, time: number): void;
}

/** Calls that returned (callTime: when the frame was pushed, possibly on another vCPU). */
export interface CallSink {
  /**
   * `insns`: the vCPU's instructions from the call to the return (the events from the callee's first
   * block to the block before the one after the return; 0 without translation records).
   */
  returned(cpu: number, node: number, callTime: number, time: number, by: number, insns: number): void;
  /** A frame still open when the trace ended. */
  unfinished(cpu: number, node: number, callTime: number, time: number, insns: number): void;
  /** A frame pushed as a call (not a resumed one); `insns`: the vCPU's instruction clock then. */
  called?(cpu: number, node: number, time: number, insns: number): void;
  /** A block of function `watch` ran (set `watch` to a name id); `insns`: the vCPU's instruction clock before it. */
  watched?(cpu: number, time: number, insns: number): void;
  readonly watch?: Readonly<Uint8Array>;
}

class VcpuStack {
  // Started small and grown by doubling up to MAX_DEPTH (ensure()): a trace may name thousands of
  // vCPUs, most of which never nest deeply.
  node = new Int32Array(INITIAL_DEPTH);
  /** The frame's function (its node's fn, except in a folded `[other stacks]` node). */
  fn = new Int32Array(INITIAL_DEPTH);
  call = new Float64Array(INITIAL_DEPTH);
  /** The vCPU's instruction clock when the frame was pushed. */
  callInsns = new Float64Array(INITIAL_DEPTH);
  kind = new Uint8Array(INITIAL_DEPTH);
  /**
   * With translation records: a call frame's return address (the address after its call; 0:0 when
   * unknown), or an interrupt frame's interrupted block (its pc, with its translation in `savedX`).
   */
  retHi = NONE_U32;
  retLo = NONE_U32;
  savedX = NONE_I32;
  /**
   * The call node a frame reports to the CallSink: its own, or, after a tail call or a jump to a
   * `.cold` part took its place, the node of the frame that was called (with that frame's call time).
   */
  origin = NONE_I32;
  /** retHi, retLo, savedX and origin are allocated (the vCPU has run a block with a record): see enableIsa. */
  isa = false;

  /** Allocates the arrays only translation records need (a trace without them never pays for them). */
  enableIsa(): void {
    const len = this.node.length;
    this.retHi = new Uint32Array(len);
    this.retLo = new Uint32Array(len);
    this.savedX = new Int32Array(len).fill(NO_TRANSLATION);
    this.origin = new Int32Array(len);
    this.origin.set(this.node.subarray(0, this.depth));
    this.isa = true;
  }
  /** The previous block's translation id (NO_TRANSLATION: unknown) and pc. */
  prevX = NO_TRANSLATION;
  prevPcHi = 0;
  prevPcLo = 0;
  /**
   * Instructions this vCPU ran so far, before the event being processed: its events' blocks, plus,
   * with translation records, the unlogged return sites the stacks followed, minus blocks stopped
   * before they ran (what calls and returns measure).
   */
  insns = 0;
  depth = 0;
  topFn = -1;
  /** Call node charged for the time until the next event. */
  cur = ROOT_NODE;
  lastTime = 0;
  seen = false;
  afterIret = false;
  /** The thunk frame on top belongs to an indirect call or jump (a retpoline). */
  retpoline = false;
  /** The previous block of this vCPU: its return-block cache key and name id. */
  prevHi = 0;
  prevLo = 0;
  prevSym = -1;
  /**
   * After a task switch: how many frames at the bottom belong to the task switched out (0 once the
   * resumed task is identified), and that task's saved stack.
   */
  switched = 0;
  switchedFrom: Saved | null = null;

  /** Room for `n` frames (n <= MAX_DEPTH). */
  ensure(n: number): void {
    if (n <= this.node.length) return;
    let len = this.node.length * 2;
    while (len < n) len *= 2;
    len = Math.min(len, MAX_DEPTH);
    this.node = resized(this.node, len);
    this.fn = resized(this.fn, len);
    this.call = resized(this.call, len);
    this.callInsns = resized(this.callInsns, len);
    this.kind = resized(this.kind, len);
    if (!this.isa) return;
    this.retHi = resized(this.retHi, len);
    this.retLo = resized(this.retLo, len);
    this.savedX = resized(this.savedX, len);
    this.origin = resized(this.origin, len);
  }
}

interface Saved {
  node: Int32Array;
  fn: Int32Array;
  call: Float64Array;
  callInsns: Float64Array;
  kind: Uint8Array;
  retHi: Uint32Array;
  retLo: Uint32Array;
  savedX: Int32Array;
  origin: Int32Array;
}

export interface StackStats {
  calls: number;
  returns: number;
  interrupts: number;
  missedEntries: number;
  replaced: number;
  adoptions: number;
  savedStacks: number;
  resets: number;
  depthCapped: number;
  maxDepth: number;
  /** Events placed from the previous block's last instruction (translation records), not by the heuristic. */
  isaEvents: number;
  /** Blocks QEMU ran without logging them (return sites found from the records), and their instructions. */
  inferredBlocks: number;
  inferredInsns: number;
  /** Blocks logged, stopped at their start by an interrupt and logged again (their instructions counted twice). */
  abortedBlocks: number;
  abortedInsns: number;
  /** Calls or returns the records could not account for, placed by the function names instead. */
  resynced: number;
  /** Jumps to another function's entry (tail calls), which take the place of the top frame. */
  tailCalls: number;
}

export class StackReconstruction implements Analysis {
  readonly userFunctions = true;
  readonly tree: CallTree;
  private cpus: VcpuStack[] = [];
  private cls = new Uint8Array(FIRST_FUNCTION);
  /** Names classified so far. */
  private known = 0;
  private pool: Saved[] = [];
  private poolCount = new Int32Array(FIRST_FUNCTION);
  /** Blocks seen ending in a return (isReturnBlock): a bounded set. */
  private readonly returnBlocks = new PcHashMap(17, true);
  readonly stats: StackStats = {
    calls: 0,
    returns: 0,
    interrupts: 0,
    missedEntries: 0,
    replaced: 0,
    adoptions: 0,
    savedStacks: 0,
    resets: 0,
    depthCapped: 0,
    maxDepth: 0,
    isaEvents: 0,
    inferredBlocks: 0,
    inferredInsns: 0,
    resynced: 0,
    tailCalls: 0,
    abortedBlocks: 0,
    abortedInsns: 0,
  };
  /** The run's translation records (calls and returns from the ISA when a batch has them). */
  private readonly xl: Translations | null;
  negativeDeltas = 0;
  frameSink: FrameSink | null = null;
  /** Name id of the block being processed (reported with returns). */
  private by = -1;
  callSink: CallSink | null = null;
  /**
   * A time window (--from/--to/--phase), set before the run: the stacks are still rebuilt from every
   * event, but each node is charged only the part of its events' time inside the window, and only the
   * events that start inside it count (events, instructions, and the instruction clock call sinks read).
   */
  window: TimeWindow | null = null;
  /** Whether the event being placed starts inside the window (always true without one). */
  private inside = true;

  /** `names` is the run's name list; it may grow during the run (TraceInfo.names). */
  /** `treeLimit`: the call tree's node limit (model/stacks.ts MAX_NODES; tests make it small). */
  constructor(
    readonly unit: TimeUnit,
    readonly names: readonly string[],
    treeLimit: number = StackReconstruction.treeLimit,
    translations: Translations | null = null,
    /** False: the tree keeps only its shape (no self, events or instructions per node), for callers that read calls and returns only. */
    readonly counting = true,
    /** TraceInfo.userFirst: `--user-elf` functions are roots, as [user] is (a flat user profile, kernel entries stacked on them). */
    readonly userFirst = Infinity,
  ) {
    this.xl = translations;
    this.tree = new CallTree(treeLimit, counting);
    this.classify();
  }

  /** Node limit of the trees of reconstructions made from now on (tests lower it). */
  static treeLimit = MAX_NODES;

  /** For a pipeline's setup. */
  static fromInfo(info: TraceInfo, counting = true): StackReconstruction {
    return new StackReconstruction(info.unit, info.names, StackReconstruction.treeLimit, info.translations ?? null, counting, info.userFirst ?? Infinity);
  }

  /** The one stderr line saying the call tree was full, or null. */
  treeLimitNote(): string | null {
    const t = this.tree;
    if (t.folded === 0) return null;
    return `call tree limit reached: ${t.folded.toLocaleString('en-US')} stacks folded into "${OTHER_STACKS_LABEL}" (the tree holds at most ${t.limit.toLocaleString('en-US')} call nodes; self time stays exact)`;
  }

  /** Classifies the names added since the last call. */
  /**
   * Moves vCPU `st`'s clock to `now`: its running frame is charged the part of [its last event, now)
   * inside the window [wFrom, wTo) (window.ts clipped(); all of it without one), a clock going back
   * is counted instead; returns (and keeps, for the call paths) whether `now` is inside the window.
   * Both per-event loops (plain and ISA) call it.
   */
  private advance(st: VcpuStack, now: number, weighted: boolean, wFrom: number, wTo: number): boolean {
    if (!weighted && st.seen) {
      const then = st.lastTime;
      if (now < then) this.negativeDeltas++;
      else if (this.counting) {
        const a = then > wFrom ? then : wFrom;
        const b = now < wTo ? now : wTo;
        if (b > a) this.tree.self[st.cur] += b - a;
      }
    }
    st.seen = true;
    st.lastTime = now;
    return (this.inside = now >= wFrom && now < wTo);
  }

  private classify(): void {
    const names = this.names;
    const n = names.length;
    if (n <= this.known) return;
    if (n > this.cls.length) {
      this.cls = grow(this.cls, n - 1);
      this.poolCount = grow(this.poolCount, n - 1);
    }
    const cls = this.cls;
    for (let id = this.known; id < n; id++) {
      const name = names[id];
      if (id === REGION_FIRMWARE || id === REGION_BOOT || id === REGION_USER || id >= this.userFirst) cls[id] = C_ROOT;
      else if (id < FIRST_FUNCTION) cls[id] = C_NORMAL;
      else if (RETURN_THUNK.test(name)) cls[id] = C_RET_THUNK;
      else if (THUNK.test(name)) cls[id] = C_THUNK;
      else if (INTERRUPT_ENTRY.test(name)) cls[id] = C_INTERRUPT;
      else if (INTERRUPT_RETURN.test(name)) cls[id] = C_IRET;
      else if (TASK_START.test(name)) cls[id] = C_FORK;
      else if (TASK_SWITCH.test(name)) cls[id] = C_SWITCH;
    }
    this.known = n;
  }

  private vcpu(t: number): VcpuStack {
    while (this.cpus.length <= t) this.cpus.push(new VcpuStack());
    return this.cpus[t];
  }

  get vcpus(): number {
    return this.cpus.length;
  }

  /** The time of the last event of any vCPU (0 before any). */
  get end(): number {
    let end = 0;
    for (const st of this.cpus) if (st.seen && st.lastTime > end) end = st.lastTime;
    return end;
  }

  consume(batch: EventBatch): void {
    if (this.names.length > this.known) this.classify();
    if (batch.translated && this.xl !== null) {
      this.consumeIsa(batch, this.xl);
      return;
    }
    const n = batch.length;
    const { time, thread, sym, pcHi, pcLo, off } = batch;
    const weighted = this.unit === 'events';
    const counting = this.counting;
    const cpus = this.cpus;
    const ins = batch.translated ? batch.insns : null;
    const tree = this.tree;
    const wFrom = this.window ? this.window.from : -Infinity;
    const wTo = this.window ? this.window.to : Infinity;
    for (let i = 0; i < n; i++) {
      const t = thread[i];
      const st = t < cpus.length ? cpus[t] : this.vcpu(t);
      const s = sym[i];
      const now = time[i];
      const inside = this.advance(st, now, weighted, wFrom, wTo);
      // The return-block cache knows a block by its function and offset (so a pre-resolved trace,
      // which has no pcs, behaves like a raw one); a region's block by its pc.
      const o = off[i];
      const hi = o >= 0 ? (BLOCK_KEY_FN | s) >>> 0 : pcHi[i];
      const lo = o >= 0 ? o >>> 0 : pcLo[i];
      if (s !== st.topFn || st.afterIret || st.depth === 0) {
        // a block at a function's first byte is a call (or a jump to it)
        this.step(st, t, s, s >= FIRST_FUNCTION && off[i] === 0, now);
        st.cur = st.depth > 0 ? st.node[st.depth - 1] : ROOT_NODE;
      }
      st.prevHi = hi;
      st.prevLo = lo;
      st.prevSym = s;
      if (counting && inside) {
        if (weighted) tree.self[st.cur] += 1;
        tree.events[st.cur] += 1;
        if (ins !== null) tree.insns[st.cur] += ins[i];
      }
      if (ins !== null && inside) st.insns += ins[i];
    }
  }

  /**
   * With translation records: each block is placed by the previous block's last instruction on its
   * vCPU (docs/STACKS.md). A direct call pushes a frame whose return address is the address after the
   * call; a return pops one; QEMU does not log a block reached through an indirect branch once it is
   * translated, so after a return the unlogged return site is followed through its own record (a call
   * it makes, a further return, a jump) to the block that was logged. A block that is neither the
   * fall-through nor the target of the previous block's branch enters an interrupt or exception
   * (pushed until its iret, which resumes the interrupted block's successors). Regions (firmware, boot
   * loader, user space), blocks after one without a record and empty stacks use the heuristic.
   */
  private consumeIsa(batch: EventBatch, xl: Translations): void {
    if (this.names.length > this.baseKnown) this.classifyCold();
    const n = batch.length;
    const { time, thread, sym, pcHi, pcLo, off, xlat } = batch;
    const weighted = this.unit === 'events';
    const counting = this.counting;
    const cpus = this.cpus;
    const ins = batch.insns;
    const tree = this.tree;
    const wFrom = this.window ? this.window.from : -Infinity;
    const wTo = this.window ? this.window.to : Infinity;
    // the records placed before each event (a batch's later records are already in the table)
    const recs = batch.records;
    let r = 0;
    let limit = xl.count - 1;
    for (const rec of recs)
      if (rec.id !== undefined && rec.id >= 0) {
        limit = rec.id - 1;
        break;
      }
    for (let i = 0; i < n; i++) {
      while (r < recs.length && recs[r].at <= i) {
        const id = recs[r++].id;
        if (id !== undefined && id > limit) limit = id;
      }
      this.limit = limit;
      const t = thread[i];
      const st = t < cpus.length ? cpus[t] : this.vcpu(t);
      if (!st.isa) st.enableIsa();
      const s = sym[i];
      const now = time[i];
      const inside = this.advance(st, now, weighted, wFrom, wTo);
      const o = off[i];
      const hi = pcHi[i];
      const lo = pcLo[i];
      if (s < FIRST_FUNCTION || st.prevX < 0 || st.prevSym < FIRST_FUNCTION || st.depth === 0 || st.afterIret) {
        if (s !== st.topFn || st.afterIret || st.depth === 0) {
          this.step(st, t, s, s >= FIRST_FUNCTION && o === 0, now);
          st.cur = st.depth > 0 ? st.node[st.depth - 1] : ROOT_NODE;
        }
      } else {
        this.stats.isaEvents++;
        this.by = s;
        if (s !== st.topFn) this.watch(st, t, s, now);
        this.isaStep(st, t, s, o, hi, lo, now, xl, 0);
        st.cur = st.depth > 0 ? st.node[st.depth - 1] : ROOT_NODE;
      }
      st.prevHi = o >= 0 ? (BLOCK_KEY_FN | s) >>> 0 : hi;
      st.prevLo = o >= 0 ? o >>> 0 : lo;
      st.prevSym = s;
      st.prevX = xlat[i];
      st.prevPcHi = hi;
      st.prevPcLo = lo;
      if (counting && inside) {
        if (weighted) tree.self[st.cur] += 1;
        tree.events[st.cur] += 1;
        tree.insns[st.cur] += ins[i];
      }
      if (inside) st.insns += ins[i];
    }
  }

  private watch(st: VcpuStack, t: number, s: number, now: number): void {
    const cs = this.callSink;
    if (cs !== null && cs.watch !== undefined && s >= 0 && s < cs.watch.length && cs.watch[s] === 1) cs.watched!(t, now, st.insns);
  }

  /** Places block (s, o, pc hi:lo) after the vCPU's previous block st.prevX. */
  private isaStep(st: VcpuStack, t: number, s: number, o: number, hi: number, lo: number, now: number, xl: Translations, nest: number): void {
    const px = st.prevX;
    const k = xl.kind[px];
    const indirect = (k & KIND_INDIRECT) !== 0;
    const size = xl.size[px];
    const fLo = (st.prevPcLo + size) >>> 0;
    const fHi = fLo < st.prevPcLo ? (st.prevPcHi + 1) >>> 0 : st.prevPcHi;
    const isF = lo === fLo && hi === fHi;
    const isT = !indirect && lo === xl.targetLo[px] && hi === xl.targetHi[px];
    switch (k & ~KIND_INDIRECT) {
      case KIND_CALL:
        if (indirect && this.cls[s] === C_INTERRUPT && s < this.cls.length) break; // an interrupt before the target ran
        // a call into the calling function's own body is no call: the return stack buffer stuffing of
        // __switch_to_asm and retpolines (`call 1f`), or `call .+5` to read the pc; it never returns
        // (and after an indirect call, a block inside the caller: the callee ran unlogged and returned)
        if ((isT || indirect) && s === st.topFn && o !== 0) return;
        if (indirect || isT) {
          this.isaCall(st, t, s, now, fHi, fLo);
          return;
        }
        break;
      case KIND_RET:
        // an interrupt entry (not a return into an entry stub on the stack): the return runs after it, if at all
        if (s < this.cls.length && this.cls[s] === C_INTERRUPT && this.findIsa(st, s) < 0) break;
        this.isaReturn(st, t, s, o, hi, lo, now, xl);
        return;
      case KIND_JMP:
        if (indirect && this.cls[s] === C_INTERRUPT && s < this.cls.length) break;
        if (indirect || isT) {
          this.isaJump(st, t, s, o, now);
          return;
        }
        break;
      case KIND_COND:
        if (isF || isT) {
          this.isaJump(st, t, s, o, now);
          return;
        }
        break;
      case KIND_OTHER:
      case KIND_TRAP:
        if (isF) {
          this.isaJump(st, t, s, o, now);
          return;
        }
        break;
      case KIND_IRET:
        // an iret to the next instruction is sync_core()'s serializing `iret to self`
        if (isF) this.isaJump(st, t, s, o, now);
        else this.isaIret(st, t, s, o, hi, lo, now, xl, nest);
        return;
    }
    // not where the previous block leads: an interrupt or exception entry, a block re-run from inside
    // (QEMU restarts a block after an exception or I/O recompile), or a transfer the records miss
    const c = s < this.cls.length ? this.cls[s] : C_NORMAL;
    if (c === C_INTERRUPT) this.interruptEntry(st, t, s, now, px, st.prevPcHi, st.prevPcLo);
    else this.resync(st, t, s, o, now);
  }

  /**
   * An interrupt or exception entry: its frame keeps the block before it (`x`, at pc hi:lo): after
   * the iret, that block runs again (it had stopped at its start) or one of its successors runs.
   */
  private interruptEntry(st: VcpuStack, t: number, s: number, now: number, x: number, hi: number, lo: number): void {
    this.stats.interrupts++;
    this.push(st, t, s, FRAME_INTERRUPT, now);
    const d = st.depth - 1;
    st.retHi[d] = hi;
    st.retLo[d] = lo;
    st.savedX[d] = x;
  }

  private isaCall(st: VcpuStack, t: number, s: number, now: number, retHi: number, retLo: number): void {
    const c = s < this.cls.length ? this.cls[s] : C_NORMAL;
    if (c === C_FORK) {
      this.reset(st, t, now);
      this.push(st, t, s, FRAME_CALL, now);
      return;
    }
    if (c === C_THUNK && st.depth > 0 && st.fn[st.depth - 1] === s && st.kind[st.depth - 1] === FRAME_THUNK) return; // a retpoline's own `call 1f`
    this.stats.calls++;
    // a call through a retpoline: a transient frame that becomes the target's (isaJump, isaReturn)
    this.push(st, t, s, c === C_THUNK ? FRAME_THUNK : FRAME_CALL, now);
    st.retHi[st.depth - 1] = retHi;
    st.retLo[st.depth - 1] = retLo;
    if (c === C_SWITCH) this.save(st);
  }

  /** A jump, a branch or a fall-through to block s. */
  private isaJump(st: VcpuStack, t: number, s: number, o: number, now: number): void {
    if (s === st.topFn) return;
    const c = s < this.cls.length ? this.cls[s] : C_NORMAL;
    if (c === C_RET_THUNK || c === C_THUNK) {
      // `jmp __x86_return_thunk` (a function's return) or a jump through a retpoline: a transient frame
      this.push(st, t, s, FRAME_THUNK, now);
      return;
    }
    if (st.kind[st.depth - 1] === FRAME_THUNK) {
      if (this.leaveThunk(st, t, s, now, o)) return;
      // out of a thunk jumped to: the thunk and then the jumping function give way to the target
      this.popTo(st, t, st.depth - 2, now);
      if (st.depth === 0 || s === st.topFn) {
        if (st.depth === 0) this.push(st, t, s, FRAME_CALL, now);
        return;
      }
    }
    if (st.kind[st.depth - 1] === FRAME_INTERRUPT || st.kind[st.depth - 1] === FRAME_ROOT) {
      // an entry stub jumping to its handler: the handler nests in the interrupt frame
      this.push(st, t, s, FRAME_CALL, now);
      return;
    }
    // a tail call (or a jump into another function's code, such as its .cold part): it takes the
    // place of the top frame and returns to where that frame would have
    if (o === 0) this.stats.tailCalls++;
    else this.stats.replaced++;
    this.replaceTop(st, t, s, now);
  }

  /**
   * Leaving a retpoline that was called (its frame has the call's return address): its target takes
   * its place as the called function. False when the thunk was jumped to (a tail call through it).
   */
  private leaveThunk(st: VcpuStack, t: number, s: number, now: number, o = 0): boolean {
    const d = st.depth - 1;
    const rh = st.retHi[d];
    const rl = st.retLo[d];
    if (rh === 0 && rl === 0) return false;
    const call = st.call[d];
    const callInsns = st.callInsns[d];
    this.popTo(st, t, d - 1, now);
    // back inside the caller: the target ran unlogged and returned
    if (o !== 0 && st.depth > 0 && st.topFn === s) return true;
    // called when the caller called the retpoline (an interrupt taken inside it counts, as it does
    // for a direct call's first block)
    this.push(st, t, s, FRAME_CALL, now, call, callInsns);
    st.retHi[st.depth - 1] = rh;
    st.retLo[st.depth - 1] = rl;
    return true;
  }

  /**
   * The top frame's function becomes s: a tail call, or a jump to a `.cold` part or into another
   * function. The frame keeps its return address, call time and the call node it reports returns for
   * (so a function that tail-calls returns when its tail callee does); its self time goes to s's node.
   */
  private replaceTop(st: VcpuStack, t: number, s: number, now: number): void {
    const d = st.depth - 1;
    const old = st.node[d];
    const node = this.tree.child(d > 0 ? st.node[d - 1] : ROOT_NODE, s);
    if (this.frameSink) {
      this.frameSink.leave(t, d, old, now);
      this.frameSink.enter(t, d, node, now);
    }
    st.node[d] = node;
    st.fn[d] = s;
    st.topFn = s;
  }

  /** Pops thunk frames and one call frame; returns false when the top is no call frame. */
  private popReturn(st: VcpuStack, t: number, now: number): boolean {
    while (st.depth > 0 && st.kind[st.depth - 1] === FRAME_THUNK) this.popTo(st, t, st.depth - 2, now);
    if (st.depth === 0 || st.kind[st.depth - 1] !== FRAME_CALL) return false;
    this.poppedHi = st.retHi[st.depth - 1];
    this.poppedLo = st.retLo[st.depth - 1];
    this.stats.returns++;
    this.popTo(st, t, st.depth - 2, now);
    return true;
  }

  /** The return address of the frame popReturn popped last. */
  private poppedHi = 0;
  private poppedLo = 0;
  /** The highest translation id placed before the event being processed. */
  private limit = -1;

  /** The previous block returned: pop, then follow unlogged return sites through their records to block s. */
  private isaReturn(st: VcpuStack, t: number, s: number, o: number, hi: number, lo: number, now: number, xl: Translations): void {
    const c = s < this.cls.length ? this.cls[s] : C_NORMAL;
    // a return thunk's `ret` returns for the frame below it
    while (st.depth > 1 && st.kind[st.depth - 1] === FRAME_THUNK && this.cls[st.topFn] === C_RET_THUNK) this.popTo(st, t, st.depth - 2, now);
    // a retpoline returns to its branch target (it overwrote its return address with it)
    if (st.depth > 0 && st.kind[st.depth - 1] === FRAME_THUNK && this.cls[st.topFn] === C_THUNK) {
      if (this.leaveThunk(st, t, s, now, o)) return;
      this.popTo(st, t, st.depth - 2, now);
      if (st.depth > 0 && s !== st.topFn) this.isaJump(st, t, s, o, now);
      else if (st.depth === 0) this.push(st, t, s, FRAME_CALL, now);
      return;
    }
    if (!this.popReturn(st, t, now)) {
      this.resync(st, t, s, o, now);
      return;
    }
    if (c === C_FORK) {
      // a new task's first return lands in ret_from_fork
      this.reset(st, t, now);
      this.push(st, t, s, FRAME_CALL, now);
      return;
    }
    this.followReturn(st, t, s, o, hi, lo, now, xl, this.poppedHi, this.poppedLo);
  }

  /** After a return to r0h:r0l: block s is the return site, or follows it through unlogged blocks. */
  private followReturn(st: VcpuStack, t: number, s: number, o: number, hi: number, lo: number, now: number, xl: Translations, r0h: number, r0l: number): void {
    const c = s < this.cls.length ? this.cls[s] : C_NORMAL;
    this.poppedHi = r0h;
    this.poppedLo = r0l;
    for (let hop = 0; hop < 8; hop++) {
      const rh = this.poppedHi;
      const rl = this.poppedLo;
      if (rh === 0 && rl === 0) break;
      if (rh === hi && rl === lo) {
        if (s !== st.topFn) this.resync(st, t, s, o, now);
        return;
      }
      // the return site ran without being logged: its record says where it went
      const y = xl.latestUpTo(rh, rl, this.limit);
      if (y < 0) break;
      this.stats.inferredBlocks++;
      const yi = xl.insns[y];
      if (yi > 0) {
        this.stats.inferredInsns += yi;
        if (this.inside) st.insns += yi; // it ran: calls and returns measure it (self_insns counts logged blocks only)
      }
      const k = xl.kind[y];
      const indirect = (k & KIND_INDIRECT) !== 0;
      const fLo = (rl + xl.size[y]) >>> 0;
      const fHi = fLo < rl ? (rh + 1) >>> 0 : rh;
      const isF = lo === fLo && hi === fHi;
      const isT = !indirect && lo === xl.targetLo[y] && hi === xl.targetHi[y];
      const kk = k & ~KIND_INDIRECT;
      if (kk === KIND_CALL && (indirect || isT)) {
        this.isaCall(st, t, s, now, fHi, fLo);
        return;
      }
      if (kk === KIND_RET) {
        // already in s's frame: a frame the trace never showed entered returned here (no further pop)
        if (st.topFn === s) return;
        if (!this.popReturn(st, t, now)) break;
        continue;
      }
      if ((kk === KIND_JMP && (indirect || isT)) || (kk === KIND_COND && (isF || isT)) || ((kk === KIND_OTHER || kk === KIND_TRAP) && isF)) {
        if (st.depth > 0) this.isaJump(st, t, s, o, now);
        else this.resync(st, t, s, o, now);
        return;
      }
      break;
    }
    // Landing inside a function on no frame: the frame just popped was pushed for the target of an
    // indirect call whose entry block QEMU did not log (it ran from its code cache), so it was that
    // function's callee. The function resumes here, and returns where the popped frame would have
    // (unknown when the popped frame had no return address: then it nests under the top frame, which
    // a return cannot have left for another function's body).
    if (s !== st.topFn && st.switched > 0 && st.depth <= st.switched) {
      // after a task switch the frames below the scheduler's belong to the task switched out: the
      // task that resumed is the one whose saved stack holds s (frames pushed since the switch, such
      // as an interrupt's, are the resumed task's own: the rules below apply to them)
      const d = this.findIsa(st, s);
      if (d >= 0 && d >= st.switched - 2) {
        this.popTo(st, t, d, now);
        if (st.topFn !== s) this.replaceTop(st, t, s, now);
        return;
      }
      if (this.adopt(st, t, s, now)) return;
      this.reset(st, t, now);
      this.stats.missedEntries++;
      this.push(st, t, s, FRAME_CALL, now);
      return;
    }
    if (s !== st.topFn && (o > 0 || c === C_RET_THUNK) && this.findIsa(st, s) < 0 && !this.adopt(st, t, s, now)) {
      this.stats.missedEntries++;
      this.push(st, t, s, FRAME_CALL, now);
      st.retHi[st.depth - 1] = r0h;
      st.retLo[st.depth - 1] = r0l;
      return;
    }
    this.resync(st, t, s, o, now);
  }

  /** The previous block left an interrupt: pop its frame, then place s after the interrupted block. */
  private isaIret(st: VcpuStack, t: number, s: number, o: number, hi: number, lo: number, now: number, xl: Translations, nest: number): void {
    let d = st.depth - 1;
    while (d >= 0 && st.kind[d] !== FRAME_INTERRUPT) d--;
    if (d < 0) {
      this.resync(st, t, s, o, now);
      return;
    }
    const px = st.savedX[d];
    const ph = st.retHi[d];
    const pl = st.retLo[d];
    this.popTo(st, t, d - 1, now);
    if (px >= 0 && ph === hi && pl === lo) {
      // the interrupted block runs again: its first exec_tb was logged before it stopped at its
      // start for the pending interrupt (or it faulted at its first instruction), so it had not run
      this.stats.abortedBlocks++;
      const n = xl.insns[px];
      if (n > 0) {
        this.stats.abortedInsns += n;
        // it had not run; in a window, taken back when this event is inside (exact unless an edge
        // falls between its first event and this one)
        if (this.inside) st.insns -= n;
      }
      if (st.depth > 0 && s !== st.topFn) this.resync(st, t, s, o, now);
      return;
    }
    if (px >= 0 && st.depth > 0 && nest < 4 && st.topFn >= FIRST_FUNCTION) {
      st.prevX = px;
      st.prevPcHi = ph;
      st.prevPcLo = pl;
      this.isaStep(st, t, s, o, hi, lo, now, xl, nest + 1);
    } else this.resync(st, t, s, o, now);
  }

  /**
   * A block the records do not place (a transfer QEMU did not log, or a frame pushed by the heuristic
   * without a return address): by its function, as the heuristic would.
   */
  private resync(st: VcpuStack, t: number, s: number, o: number, now: number): void {
    if (s === st.topFn && st.depth > 0) return;
    this.stats.resynced++;
    const d = this.findIsa(st, s);
    if (d >= 0) {
      this.popTo(st, t, d, now);
      if (st.topFn !== s) this.replaceTop(st, t, s, now);
      return;
    }
    if (this.adopt(st, t, s, now)) return;
    const c = s < this.cls.length ? this.cls[s] : C_NORMAL;
    if (o === 0 || st.depth === 0 || c === C_INTERRUPT) {
      this.stats.missedEntries++;
      this.push(st, t, s, c === C_INTERRUPT ? FRAME_INTERRUPT : FRAME_CALL, now);
      if (c === C_INTERRUPT) st.savedX[st.depth - 1] = NO_TRANSLATION;
      return;
    }
    this.stats.replaced++;
    this.replaceTop(st, t, s, now);
  }

  private finished = false;

  /** Closes every frame at the end of the trace (each vCPU at its last event); the pipeline calls it once. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (let t = 0; t < this.cpus.length; t++) {
      const st = this.cpus[t];
      const end = st.lastTime;
      if (this.callSink)
        for (let d = st.depth - 1; d >= 0; d--) this.callSink.unfinished(t, st.isa ? st.origin[d] : st.node[d], st.call[d], end, st.insns - st.callInsns[d]);
      this.leaveAll(st, t, end);
      st.depth = 0;
      st.topFn = -1;
      st.cur = ROOT_NODE;
    }
  }

  private step(st: VcpuStack, t: number, s: number, entry: boolean, now: number): void {
    const cls = this.cls;
    const c = s < cls.length ? cls[s] : C_NORMAL;
    this.by = s;
    this.watch(st, t, s, now);
    if (st.afterIret) {
      st.afterIret = false;
      if (c !== C_IRET) this.popInterrupt(st, t, now);
    }
    // did the previous block end in a return? (a return thunk, or a block seen returning before)
    let fromRetpoline = false;
    let returned = false;
    let learn = false;
    if (st.depth > 0 && st.kind[st.depth - 1] === FRAME_THUNK && st.topFn !== s) {
      fromRetpoline = st.retpoline;
      returned = !fromRetpoline && cls[st.topFn] === C_RET_THUNK;
      this.popTo(st, t, st.depth - 2, now);
    } else if (st.depth > 0 && st.prevSym === st.topFn) {
      returned = this.isReturnBlock(st.prevHi, st.prevLo, false);
      learn = !returned;
    }
    if (st.depth > 0 && st.topFn === s) {
      if (c === C_IRET) st.afterIret = true;
      return;
    }
    switch (c) {
      case C_RET_THUNK:
      case C_THUNK:
        // a retpoline's own `ret` goes through the return thunk: remember the chain began as a call
        st.retpoline = c === C_THUNK || fromRetpoline;
        this.push(st, t, s, FRAME_THUNK, now);
        return;
      case C_ROOT: {
        const d = this.find(st, s);
        if (d >= 0) this.popTo(st, t, d, now);
        else {
          this.reset(st, t, now);
          this.push(st, t, s, FRAME_ROOT, now);
        }
        return;
      }
      case C_FORK:
        this.reset(st, t, now);
        this.push(st, t, s, FRAME_CALL, now);
        return;
      case C_INTERRUPT: {
        const d = entry ? -1 : this.find(st, s);
        if (d >= 0) this.popTo(st, t, d, now);
        else {
          this.stats.interrupts++;
          this.push(st, t, s, FRAME_INTERRUPT, now);
        }
        return;
      }
    }
    const top = st.topFn;
    if (top === REGION_FIRMWARE || top === REGION_BOOT) {
      // firmware and boot loader jump to what follows them; they are never returned to
      this.reset(st, t, now);
      this.push(st, t, s, FRAME_CALL, now);
    } else if (entry) {
      // a call; after a return whose landing block was not logged, a call made by the caller
      if (returned && st.depth > 1) {
        this.stats.returns++;
        this.popTo(st, t, st.depth - 2, now);
        // __switch_to returns for __switch_to_asm, which jumped to it
        if (st.depth > 1 && cls[st.topFn] === C_SWITCH) this.popTo(st, t, st.depth - 2, now);
      }
      this.stats.calls++;
      this.push(st, t, s, FRAME_CALL, now);
      if (c === C_SWITCH) this.save(st);
    } else {
      let d = this.find(st, s);
      // a task that resumed on the stack of the task switched out may return into that task's
      // scheduler frames on top (same code), never deeper: deeper, it is identified from the pool
      if (st.switched > 0 && d >= 0 && d < st.switched - 2) d = -1;
      if (d >= 0) {
        this.stats.returns++;
        if (learn && d < st.depth - 1) this.isReturnBlock(st.prevHi, st.prevLo, true);
        this.popTo(st, t, d, now);
      } else if (this.adopt(st, t, s, now)) {
        // a task resumed
      } else if (st.switched > 0) {
        // a task never seen switched out: its outer frames are unknown
        this.reset(st, t, now);
        this.stats.missedEntries++;
        this.push(st, t, s, FRAME_CALL, now);
      } else if ((fromRetpoline && !returned) || st.depth === 0) {
        // an indirect call whose entry block the trace did not log (QEMU logs a block reached through
        // an indirect branch only when it leaves its translated-code cache)
        this.stats.missedEntries++;
        this.push(st, t, s, FRAME_CALL, now);
        if (c === C_SWITCH) this.save(st);
      } else {
        // a jump into another function, or a return to a caller we never saw enter (before the
        // trace began, or its entry was not logged): it takes the place of the top frame
        this.stats.replaced++;
        this.popTo(st, t, st.depth - 2, now);
        this.push(st, t, s, FRAME_CALL, now);
      }
    }
    if (c === C_IRET) st.afterIret = true;
  }

  /** Depth index of the topmost frame of function `s`, or -1. */
  private find(st: VcpuStack, s: number): number {
    const fn = st.fn;
    for (let d = st.depth - 1; d >= 0; d--) if (fn[d] === s) return d;
    return -1;
  }

  /** Like find(), but a function's `.cold` part (which it jumps to and back) counts as the function. */
  private findIsa(st: VcpuStack, s: number): number {
    const fn = st.fn;
    const base = this.base;
    const b = s < base.length ? base[s] : s;
    for (let d = st.depth - 1; d >= 0; d--) {
      const f = fn[d];
      if (f === s || (f < base.length && base[f] === b)) return d;
    }
    return -1;
  }

  /** Name id -> the id of the function whose `.cold` part it is (else itself). */
  private base = new Int32Array(0);
  private baseKnown = 0;

  private classifyCold(): void {
    const names = this.names;
    const n = names.length;
    if (n <= this.baseKnown) return;
    const base = new Int32Array(n);
    base.set(this.base.subarray(0, Math.min(this.base.length, n)));
    let ids: Map<string, number> | null = null;
    for (let id = this.baseKnown; id < n; id++) {
      base[id] = id;
      const name = names[id];
      const k = name.indexOf('.cold');
      if (k <= 0) continue;
      if (ids === null) {
        ids = new Map();
        for (let j = 0; j < n; j++) if (!ids.has(names[j])) ids.set(names[j], j);
      }
      const parent = ids.get(name.slice(0, k));
      if (parent !== undefined) base[id] = parent;
    }
    this.base = base;
    this.baseKnown = n;
  }

  private push(st: VcpuStack, t: number, s: number, kind: number, now: number, callTime = now, callInsns = st.insns): void {
    if (st.depth >= MAX_DEPTH) {
      this.stats.depthCapped++;
      this.popTo(st, t, MAX_DEPTH - 2, now);
    }
    const d = st.depth;
    if (d >= st.node.length) st.ensure(d + 1);
    const parent = d > 0 ? st.node[d - 1] : ROOT_NODE;
    const node = this.tree.child(parent, s);
    st.node[d] = node;
    st.fn[d] = s;
    st.call[d] = callTime;
    st.callInsns[d] = callInsns;
    st.kind[d] = kind;
    if (st.isa) {
      st.retHi[d] = 0;
      st.retLo[d] = 0;
      st.origin[d] = node;
    }
    st.depth = d + 1;
    st.topFn = s;
    if (st.depth > this.stats.maxDepth) this.stats.maxDepth = st.depth;
    if (this.frameSink) this.frameSink.enter(t, d, node, now);
    if (this.callSink?.called) this.callSink.called(t, node, callTime, callInsns);
  }

  /** Returns from every frame above depth index `d` (d = -1 empties the stack). */
  private popTo(st: VcpuStack, t: number, d: number, now: number): void {
    const fs = this.frameSink;
    const cs = this.callSink;
    for (let k = st.depth - 1; k > d; k--) {
      if (fs) fs.leave(t, k, st.node[k], now);
      if (cs) cs.returned(t, st.isa ? st.origin[k] : st.node[k], st.call[k], now, this.by, st.insns - st.callInsns[k]);
    }
    st.depth = d + 1;
    st.topFn = d >= 0 ? st.fn[d] : -1;
  }

  private leaveAll(st: VcpuStack, t: number, now: number): void {
    const fs = this.frameSink;
    if (fs) for (let k = st.depth - 1; k >= 0; k--) fs.leave(t, k, st.node[k], now);
  }

  /** Drops the stack without returns (a task switch or a fresh task). */
  private reset(st: VcpuStack, t: number, now: number): void {
    if (st.depth > 0) this.stats.resets++;
    this.leaveAll(st, t, now);
    st.depth = 0;
    st.topFn = -1;
    st.switched = 0;
    st.switchedFrom = null;
  }

  /** The block after an `iretq`: leave the innermost interrupt frame and everything above it. */
  private popInterrupt(st: VcpuStack, t: number, now: number): void {
    for (let d = st.depth - 1; d >= 0; d--) {
      if (st.kind[d] === FRAME_INTERRUPT) {
        this.popTo(st, t, d - 1, now);
        return;
      }
    }
  }

  /** Saves the stack below the `__switch_to_asm` frame on top: the task being switched out. */
  private save(st: VcpuStack): void {
    const n = st.depth - 1;
    if (n <= 0) return;
    const saved: Saved = {
      node: st.node.slice(0, n),
      fn: st.fn.slice(0, n),
      call: st.call.slice(0, n),
      callInsns: st.callInsns.slice(0, n),
      kind: st.kind.slice(0, n),
      retHi: st.retHi.slice(0, n),
      retLo: st.retLo.slice(0, n),
      savedX: st.savedX.slice(0, n),
      origin: st.origin.slice(0, n),
    };
    for (let k = 0; k < n; k++) this.poolCount[saved.fn[k]]++;
    this.pool.push(saved);
    this.stats.savedStacks++;
    st.switched = n;
    st.switchedFrom = saved;
    if (this.pool.length > POOL_SIZE) {
      const old = this.pool.shift()!;
      for (let k = 0; k < old.fn.length; k++) this.poolCount[old.fn[k]]--;
    }
  }

  /** A return into `s`, on no current frame: resume the most recently saved stack that holds it. */
  private adopt(st: VcpuStack, t: number, s: number, now: number): boolean {
    if (s >= this.poolCount.length || this.poolCount[s] === 0) return false;
    for (let p = this.pool.length - 1; p >= 0; p--) {
      const saved = this.pool[p];
      if (saved === st.switchedFrom) continue; // the task just switched out is not the one resuming
      for (let k = saved.fn.length - 1; k >= 0; k--) {
        if (saved.fn[k] !== s) continue;
        this.stats.adoptions++;
        this.leaveAll(st, t, now);
        st.ensure(k + 1);
        st.node.set(saved.node.subarray(0, k + 1));
        st.fn.set(saved.fn.subarray(0, k + 1));
        st.call.set(saved.call.subarray(0, k + 1));
        st.callInsns.set(saved.callInsns.subarray(0, k + 1));
        st.kind.set(saved.kind.subarray(0, k + 1));
        if (st.isa) {
          if (saved.origin.length > k) {
            st.retHi.set(saved.retHi.subarray(0, k + 1));
            st.retLo.set(saved.retLo.subarray(0, k + 1));
            st.savedX.set(saved.savedX.subarray(0, k + 1));
            st.origin.set(saved.origin.subarray(0, k + 1));
          } else {
            // saved before this vCPU ran a block with a record
            st.retHi.fill(0, 0, k + 1);
            st.retLo.fill(0, 0, k + 1);
            st.savedX.fill(NO_TRANSLATION, 0, k + 1);
            st.origin.set(saved.node.subarray(0, k + 1));
          }
        }
        st.depth = k + 1;
        st.topFn = s;
        st.switched = 0;
        st.switchedFrom = null;
        if (this.frameSink) for (let d = 0; d <= k; d++) this.frameSink.enter(t, d, st.node[d], now);
        return true;
      }
    }
    return false;
  }

  /**
   * Blocks that end in a return, learned from the returns the trace shows: QEMU does not log a block
   * reached through `ret` once it is translated, so a caller's call right after a return shows up
   * as a call from the callee; knowing the callee's block returns puts it back under the caller.
   * Bounded: the set is emptied when 3/4 full.
   */
  private isReturnBlock(hi: number, lo: number, add: boolean): boolean {
    if (!add) return this.returnBlocks.has(hi, lo);
    this.returnBlocks.add(hi, lo);
    return true;
  }
}
