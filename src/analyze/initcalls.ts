/**
 * Initcalls from reconstructed stacks: every function called directly by `do_one_initcall` (and the
 * console initcalls `console_init` calls, when System.map's initcall table lists them), with
 * its call time, inclusive (wall-clock) duration and vCPU. The duration runs from the call to the
 * return, whatever ran meanwhile (the task may sleep and be switched out): what `initcall_debug`
 * measures. do_one_initcall's own helpers (the blacklist check, initcall_debug's printk and clock
 * reads) are left out unless `all` is set.
 */
import type { CallTree } from '../model/call-tree.js';
import { INTERRUPT_ENTRY, RETURN_THUNK, THUNK, type CallSink } from './stacks.js';
import { defineTable } from '../model/table.js';
import { clipped, overlaps, type TimeWindow } from './window.js';

export const INITCALL_CALLER = 'do_one_initcall';
/** Runs the console initcalls (`console_initcall()`, timed by `initcall_debug` too) itself, from start_kernel. */
export const CONSOLE_INITCALL_CALLER = 'console_init';
/** Functions do_one_initcall calls around the initcall itself (Linux 5.x-6.x). */
export const INITCALL_HELPERS =
  /^(initcall_blacklisted|do_trace_initcall_(start|finish)|trace_initcall_(start|finish)_cb|__traceiter_initcall_\w+|_?printk|vprintk\w*|ktime_get\w*|sprintf|strlcat|add_latent_entropy|add_device_randomness|__fentry__|__warn_printk|preempt_count_\w+|__x86_\w+|__sanitizer\w*)$/;

/**
 * Names of the initcall functions from the initcall table's symbols in System.map:
 * `__initcall__kmod_<module>__<id>_<line>_<fn><level>` (Linux 5.16+) or `__initcall_<fn><level>`.
 */
export function initcallNamesFromMap(text: string): Set<string> {
  const out = new Set<string>();
  const re = /^[0-9a-fA-F]+ [dDtT] __initcall_(?:_kmod_\S+?__\d+_\d+_)?(\S+?)(early|rootfs|con|[0-7]s?)$/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.add(m[1]);
  out.delete('start');
  out.delete('end');
  return out;
}

export interface InitcallRow {
  fn: number;
  /** Its name (filled by named()). */
  name?: string;
  start: number;
  duration: number;
  cpu: number;
  /** False when the trace ended before it returned (duration runs to the end). */
  returned: boolean;
  /** Instructions its vCPU ran from the call to the return (0 without translation records). */
  insns: number;
}

export class InitcallCollector implements CallSink {
  readonly rows: InitcallRow[] = [];
  private readonly caller: number;
  /** console_init's name id (-1: none): its callees that the initcall table lists are initcalls too. */
  private readonly console: number;
  /** do_one_initcall's helpers (never initcalls; a frame nested under one is still an initcall). */
  private readonly skip: Uint8Array;
  /** Interrupt entries and thunks: never initcalls. */
  private readonly never: Uint8Array;
  private seen = new Set<string>();
  /** Name ids whose blocks show that the current initcall has returned: do_one_initcall, *initcall_finish*. */
  readonly watch: Uint8Array;
  /** The initcall called last: closed by its return, else by the first watched block after its call. */
  private pending: { node: number; cpu: number; start: number; end: number; startInsns: number; endInsns: number; closed: boolean } | null = null;
  /** Initcalls closed by the fallback (their frame's return was lost in a task switch). */
  fallbacks = 0;
  duplicates = 0;
  /** Frames popped by something other than a return into do_one_initcall (ignored). */
  spurious = 0;

  /** Name id -> 1 when System.map's initcall table lists it (empty table: no such list). */
  private readonly listed: Uint8Array;
  private readonly hasList: boolean;

  constructor(
    private readonly tree: CallTree,
    names: readonly string[],
    private readonly all = false,
    initcallNames: ReadonlySet<string> = new Set(),
  ) {
    this.caller = names.indexOf(INITCALL_CALLER);
    this.console = names.indexOf(CONSOLE_INITCALL_CALLER);
    this.skip = new Uint8Array(names.length);
    this.never = new Uint8Array(names.length);
    this.listed = new Uint8Array(names.length);
    this.watch = new Uint8Array(names.length);
    for (let id = 0; id < names.length; id++) if (id === this.caller || id === this.console || /initcall_finish/.test(names[id])) this.watch[id] = 1;
    this.hasList = initcallNames.size > 0;
    for (let id = 0; id < names.length; id++) {
      if (initcallNames.has(names[id])) this.listed[id] = 1;
      if (!all && INITCALL_HELPERS.test(names[id])) this.skip[id] = 1;
      if (INTERRUPT_ENTRY.test(names[id]) || THUNK.test(names[id]) || RETURN_THUNK.test(names[id])) this.never[id] = 1;
    }
  }

  /** False when the symbols have no do_one_initcall. */
  get available(): boolean {
    return this.caller >= 0;
  }

  /**
   * True when `node` is an initcall: a callee of do_one_initcall, possibly seen under one of
   * do_one_initcall's helpers (when the helper's return and the call right after it were not logged).
   */
  private isInitcall(node: number): boolean {
    const tree = this.tree;
    const fn = tree.fn[node];
    // fn < 0: an `[other stacks]` node of a full call tree
    if (fn < 0 || this.caller < 0 || this.skip[fn] || this.never[fn] || fn === this.caller) return false;
    const p = tree.parent[node];
    if (tree.fn[p] === this.caller) return this.all || !this.hasList || this.listed[fn] === 1;
    if (this.console >= 0 && tree.fn[p] === this.console) return this.listed[fn] === 1; // not its other callees
    // under a helper: only a function the initcall table lists
    if (!this.hasList || !this.listed[fn]) return false;
    for (let q = p; q > 0; q = tree.parent[q]) {
      const f = tree.fn[q];
      if (f === this.caller) return true;
      if (!this.skip[f]) return false;
    }
    return false;
  }

  private record(cpu: number, node: number, callTime: number, time: number, returned: boolean, insns: number): void {
    const fn = this.tree.fn[node];
    // a frame can close twice when a stale saved stack was resumed: keep the first close
    const key = node + ':' + callTime;
    if (this.seen.has(key)) {
      this.duplicates++;
      return;
    }
    this.seen.add(key);
    this.rows.push({ fn, start: callTime, duration: time - callTime, cpu, returned, insns });
    if (this.pending && this.pending.node === node && this.pending.start === callTime) this.pending.closed = true;
  }

  called(cpu: number, node: number, time: number, insns: number): void {
    if (!this.isInitcall(node)) return;
    this.flushPending();
    this.pending = { node, cpu, start: time, end: NaN, startInsns: insns, endInsns: 0, closed: false };
  }

  watched(_cpu: number, time: number, insns: number): void {
    const p = this.pending;
    if (p !== null && Number.isNaN(p.end) && time > p.start) {
      p.end = time;
      p.endInsns = insns;
    }
  }

  /** An initcall whose frame never reported its return: it ended at the first watched block after its call. */
  private flushPending(): void {
    const p = this.pending;
    this.pending = null;
    if (p === null || p.closed || Number.isNaN(p.end)) return;
    this.fallbacks++;
    this.record(p.cpu, p.node, p.start, p.end, true, p.endInsns - p.startInsns);
  }

  /** Only a return into do_one_initcall or console_init counts (or into a call do_one_initcall makes right after). */
  returned(cpu: number, node: number, callTime: number, time: number, by: number, insns: number): void {
    if (!this.isInitcall(node)) return;
    if (by !== this.caller && by !== this.console && !this.skip[by]) {
      this.spurious++;
      return;
    }
    this.record(cpu, node, callTime, time, true, insns);
  }

  unfinished(cpu: number, node: number, callTime: number, time: number, insns: number): void {
    if (this.isInitcall(node)) this.record(cpu, node, callTime, time, false, insns);
  }

  /**
   * A time window (--from/--to/--phase): only the initcalls that run in it (their call or part of their
   * run inside it), each cut to the part inside it (one called before the window starts at the
   * window's start). Their instructions are those of the events inside it when the stack
   * reconstruction has the same window.
   */
  window: TimeWindow | null = null;

  /** Rows in call order. */
  sorted(by: 'start' | 'duration' | 'insns' = 'start'): InitcallRow[] {
    this.flushPending();
    const w = this.window;
    const rows = w
      ? this.rows
          .filter((r) => overlaps(w, r.start, r.start + r.duration))
          .map((r) => ({ ...r, start: r.start > w.from ? r.start : w.from, duration: clipped(w, r.start, r.start + r.duration) }))
      : [...this.rows];
    if (by === 'duration') rows.sort((a, b) => b.duration - a.duration || a.start - b.start);
    else if (by === 'insns') rows.sort((a, b) => b.insns - a.insns || a.start - b.start);
    else rows.sort((a, b) => a.start - b.start || a.cpu - b.cpu);
    return rows;
  }
}

/** Rows with their names, for writers. */
export function namedInitcalls(rows: readonly InitcallRow[], names: readonly string[]): InitcallRow[] {
  return rows.map((r) => ({ ...r, name: names[r.fn] }));
}

export const INITCALLS_TABLE = defineTable<InitcallRow>({
  name: 'initcalls',
  doc: 'Every function do_one_initcall called (and every console initcall console_init called), with its start, inclusive duration and vCPU (by start, or --sort duration).',
  columns: [
    { key: 'initcall', kind: 'text', doc: 'The initcall function.', get: (r) => r.name ?? '' },
    { key: 'start_ns', kind: 'time', title: 'start (s)', titleEvents: 'start', doc: "Its call, since the trace's first event.", get: (r) => r.start },
    {
      key: 'duration_ns',
      kind: 'duration',
      title: 'duration',
      doc: 'Inclusive, to its return into do_one_initcall (unreturned: to the end of the trace).',
      get: (r) => r.duration,
    },
    { key: 'cpu', kind: 'index', title: 'vCPU', doc: 'vCPU index.', get: (r) => r.cpu },
    { key: 'returned', kind: 'flag', doc: 'False when the trace ended before it returned.', get: (r) => r.returned },
    {
      key: 'insns',
      kind: 'count',
      optional: true,
      doc: 'Guest instructions its vCPU ran from the call to the return (traces with -d in_asm records).',
      get: (r) => r.insns,
    },
  ],
  view: ['start_ns', { title: 'initcall', cell: (r) => (r.name ?? '') + (r.returned ? '' : ' (unfinished)') }, 'duration_ns', 'insns', 'cpu'],
});
