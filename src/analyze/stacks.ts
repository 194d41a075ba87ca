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

export const MAX_DEPTH = 512;
/** Frames a vCPU's shadow stack holds before it first grows (doubling, up to MAX_DEPTH). */
export const INITIAL_DEPTH = 8;
/** Upper key half of a function's block in the return-block cache: below every kernel-half pc, above every user pc. */
const BLOCK_KEY_FN = 0x40000000;
export const POOL_SIZE = 256;

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
  returned(cpu: number, node: number, callTime: number, time: number, by: number): void;
  /** A frame still open when the trace ended. */
  unfinished(cpu: number, node: number, callTime: number, time: number): void;
  /** A frame pushed as a call (not a resumed one). */
  called?(cpu: number, node: number, time: number): void;
  /** A block of function `watch` ran (set `watch` to a name id). */
  watched?(cpu: number, time: number): void;
  readonly watch?: Readonly<Uint8Array>;
}

class VcpuStack {
  // Started small and grown by doubling up to MAX_DEPTH (ensure()): a trace may name thousands of
  // vCPUs, most of which never nest deeply.
  node = new Int32Array(INITIAL_DEPTH);
  /** The frame's function (its node's fn, except in a folded `[other stacks]` node). */
  fn = new Int32Array(INITIAL_DEPTH);
  call = new Float64Array(INITIAL_DEPTH);
  kind = new Uint8Array(INITIAL_DEPTH);
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
    const node = new Int32Array(len);
    node.set(this.node);
    this.node = node;
    const fn = new Int32Array(len);
    fn.set(this.fn);
    this.fn = fn;
    const call = new Float64Array(len);
    call.set(this.call);
    this.call = call;
    const kind = new Uint8Array(len);
    kind.set(this.kind);
    this.kind = kind;
  }
}

interface Saved {
  node: Int32Array;
  fn: Int32Array;
  call: Float64Array;
  kind: Uint8Array;
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
}

export class StackReconstruction implements Analysis {
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
  };
  negativeDeltas = 0;
  frameSink: FrameSink | null = null;
  /** Name id of the block being processed (reported with returns). */
  private by = -1;
  callSink: CallSink | null = null;

  /** `names` is the run's name list; it may grow during the run (TraceInfo.names). */
  /** `treeLimit`: the call tree's node limit (model/stacks.ts MAX_NODES; tests make it small). */
  constructor(
    readonly unit: TimeUnit,
    readonly names: readonly string[],
    treeLimit: number = StackReconstruction.treeLimit,
  ) {
    this.tree = new CallTree(treeLimit);
    this.classify();
  }

  /** Node limit of the trees of reconstructions made from now on (tests lower it). */
  static treeLimit = MAX_NODES;

  /** For a pipeline's setup. */
  static fromInfo(info: TraceInfo): StackReconstruction {
    return new StackReconstruction(info.unit, info.names);
  }

  /** The one stderr line saying the call tree was full, or null. */
  treeLimitNote(): string | null {
    const t = this.tree;
    if (t.folded === 0) return null;
    return `call tree limit reached: ${t.folded.toLocaleString('en-US')} stacks folded into "${OTHER_STACKS_LABEL}" (the tree holds at most ${t.limit.toLocaleString('en-US')} call nodes; self time stays exact)`;
  }

  /** Classifies the names added since the last call. */
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
      if (id === REGION_FIRMWARE || id === REGION_BOOT || id === REGION_USER) cls[id] = C_ROOT;
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

  consume(batch: EventBatch): void {
    const n = batch.length;
    if (this.names.length > this.known) this.classify();
    const { time, thread, sym, pcHi, pcLo, off } = batch;
    const weighted = this.unit === 'events';
    const cpus = this.cpus;
    for (let i = 0; i < n; i++) {
      const t = thread[i];
      const st = t < cpus.length ? cpus[t] : this.vcpu(t);
      const s = sym[i];
      const now = time[i];
      if (!weighted && st.seen) {
        const d = now - st.lastTime;
        if (d >= 0) this.tree.self[st.cur] += d;
        else this.negativeDeltas++;
      }
      st.seen = true;
      st.lastTime = now;
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
      if (weighted) this.tree.self[st.cur] += 1;
    }
  }

  private finished = false;

  /** Closes every frame at the end of the trace (each vCPU at its last event); the pipeline calls it once. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (let t = 0; t < this.cpus.length; t++) {
      const st = this.cpus[t];
      const end = st.lastTime;
      if (this.callSink) for (let d = st.depth - 1; d >= 0; d--) this.callSink.unfinished(t, st.node[d], st.call[d], end);
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
    const cs = this.callSink;
    if (cs !== null && cs.watch !== undefined && s >= 0 && s < cs.watch.length && cs.watch[s] === 1) cs.watched!(t, now);
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

  private push(st: VcpuStack, t: number, s: number, kind: number, now: number): void {
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
    st.call[d] = now;
    st.kind[d] = kind;
    st.depth = d + 1;
    st.topFn = s;
    if (st.depth > this.stats.maxDepth) this.stats.maxDepth = st.depth;
    if (this.frameSink) this.frameSink.enter(t, d, node, now);
    if (this.callSink?.called) this.callSink.called(t, node, now);
  }

  /** Returns from every frame above depth index `d` (d = -1 empties the stack). */
  private popTo(st: VcpuStack, t: number, d: number, now: number): void {
    const fs = this.frameSink;
    const cs = this.callSink;
    for (let k = st.depth - 1; k > d; k--) {
      if (fs) fs.leave(t, k, st.node[k], now);
      if (cs) cs.returned(t, st.node[k], st.call[k], now, this.by);
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
    const saved: Saved = { node: st.node.slice(0, n), fn: st.fn.slice(0, n), call: st.call.slice(0, n), kind: st.kind.slice(0, n) };
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
        st.kind.set(saved.kind.subarray(0, k + 1));
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
