/**
 * System calls, per vCPU, in one pass:
 *  - an event in a syscall entry symbol (syscall-names.ts) opens a call at its time;
 *  - the first syscall handler reached while the call is open names it (`__x64_sys_getpid` ->
 *    `getpid`); a call that reaches none is `unknown`;
 *  - the vCPU's next `[user]` event closes it: duration = that event's time - the entry's time.
 * Without task information, "returns to user space" means "this vCPU next runs user code", of any
 * task: a call that blocks (wait4, a read that sleeps) or never returns (exit_group, a successful
 * reboot) lasts until the vCPU next runs user code, whichever task that is. A call still open at the
 * end of the trace is unfinished; its duration runs to its vCPU's last event. Entry-symbol events
 * while a call is open belong to it: the entry code spans several translation blocks (x86-64
 * switches CR3 part-way), and arm64's el0_svc runs again after the handler returns.
 *
 * Name ids are classified once, when the analysis is built; the per-event loop only reads typed
 * arrays. Calls are stored column-wise (they are few compared with events).
 */
import { ascending, max, mean, min, rollups, sum } from 'd3-array';
import type { EventBatch } from '../model/batch.js';
import { FIRST_FUNCTION, REGION_USER } from '../model/names.js';
import { sharePercent } from '../output/units.js';
import { grow, type Analysis } from './analysis.js';
import { COMPAT_ENTRIES, HANDLER_PREFIXES, LEGACY_HANDLER_PREFIXES, NATIVE_ENTRIES, UNKNOWN_SYSCALL, type HandlerPrefix } from './syscall-names.js';

/** entryKind values. */
export const NOT_ENTRY = 0;
export const NATIVE_ENTRY = 1;
export const COMPAT_ENTRY = 2;

export interface SyscallClasses {
  /** Per name id: NOT_ENTRY, NATIVE_ENTRY or COMPAT_ENTRY. */
  entryKind: Uint8Array;
  /** Per name id: index into `callNames` when the name is a syscall handler, else -1. */
  handler: Int32Array;
  /** Per name id: 1 when the handler is of a compat ABI (`__ia32_compat_sys_...`). */
  compatHandler: Uint8Array;
  /** Syscall names; index 0 is `unknown`. */
  callNames: string[];
  /** Entry symbols present in the table (for messages). */
  entries: string[];
  /** Handler symbols found. */
  handlers: number;
  /** True when the pre-4.17 `sys_NAME` / `SyS_NAME` convention was used. */
  legacy: boolean;
}

function strip(name: string, prefixes: readonly HandlerPrefix[]): { call: string; compat: boolean } | null {
  for (const p of prefixes) {
    if (name.startsWith(p.prefix)) {
      let call = name.slice(p.prefix.length);
      const dot = call.indexOf('.'); // gcc clones: .cold, .isra.0, .constprop.0
      if (dot >= 0) call = call.slice(0, dot);
      return call ? { call, compat: p.compat } : null;
    }
  }
  return null;
}

/** Classifies every name of a symbol table (ids < FIRST_FUNCTION are region labels, never syscalls). */
export function classifySyscallNames(names: readonly string[]): SyscallClasses {
  const n = names.length;
  const entryKind = new Uint8Array(n);
  const handler = new Int32Array(n).fill(-1);
  const compatHandler = new Uint8Array(n);
  const callNames = [UNKNOWN_SYSCALL];
  const callIndex = new Map<string, number>([[UNKNOWN_SYSCALL, 0]]);
  const entries: string[] = [];
  const native = new Set(NATIVE_ENTRIES);
  const compat = new Set(COMPAT_ENTRIES);
  let modern = false;
  for (let id = FIRST_FUNCTION; id < n && !modern; id++) if (strip(names[id], HANDLER_PREFIXES)) modern = true;
  const prefixes = modern ? HANDLER_PREFIXES : LEGACY_HANDLER_PREFIXES;
  let handlers = 0;
  for (let id = FIRST_FUNCTION; id < n; id++) {
    const name = names[id];
    if (native.has(name)) {
      entryKind[id] = NATIVE_ENTRY;
      entries.push(name);
      continue;
    }
    if (compat.has(name)) {
      entryKind[id] = COMPAT_ENTRY;
      entries.push(name);
      continue;
    }
    const h = strip(name, prefixes);
    if (!h) continue;
    let k = callIndex.get(h.call);
    if (k === undefined) {
      k = callNames.length;
      callNames.push(h.call);
      callIndex.set(h.call, k);
    }
    handler[id] = k;
    compatHandler[id] = h.compat ? 1 : 0;
    handlers++;
  }
  return { entryKind, handler, compatHandler, callNames, entries, handlers, legacy: !modern && handlers > 0 };
}

/** One call, for writers. Times in ns relative to the trace's first event (or events, untimed). */
export interface SyscallRow {
  ts: number;
  name: string;
  cpu: number;
  duration: number;
  unfinished: boolean;
  compat: boolean;
}

const FLAG_COMPAT = 1;

export class Syscalls implements Analysis {
  readonly classes: SyscallClasses;
  /** Calls in file order of their entry events (columns). */
  count = 0;
  private start = new Float64Array(256);
  /** End time; NaN while open. */
  private end = new Float64Array(256);
  private cpu = new Uint32Array(256);
  /** Index into classes.callNames, 0 = unknown. */
  private name = new Int32Array(256);
  private flags = new Uint8Array(256);
  /** Per vCPU: index of its open call, -1 = none. */
  private open = new Int32Array(16).fill(-1);
  /** Per vCPU: time of its last event (the end of an unfinished call). */
  private last = new Float64Array(16);

  constructor(names: readonly string[]) {
    this.classes = classifySyscallNames(names);
  }

  consume(batch: EventBatch): void {
    const { entryKind, handler, compatHandler } = this.classes;
    const nNames = entryKind.length;
    const time = batch.time;
    const thread = batch.thread;
    const sym = batch.sym;
    let open = this.open;
    let last = this.last;
    for (let i = 0, n = batch.length; i < n; i++) {
      const t = thread[i];
      const s = sym[i];
      const now = time[i];
      if (t >= open.length) {
        this.open = open = grow(open, t, -1);
        this.last = last = grow(last, t);
      }
      last[t] = now;
      const c = open[t];
      if (s === REGION_USER) {
        if (c >= 0) {
          this.end[c] = now;
          open[t] = -1;
        }
        continue;
      }
      if (s >= nNames) continue; // a name the table did not have (cannot happen with one table)
      if (c < 0) {
        const k = entryKind[s];
        if (k !== NOT_ENTRY) open[t] = this.add(now, t, k === COMPAT_ENTRY ? FLAG_COMPAT : 0);
      } else if (this.name[c] === 0) {
        const h = handler[s];
        if (h > 0) {
          this.name[c] = h;
          if (compatHandler[s]) this.flags[c] |= FLAG_COMPAT;
        }
      }
    }
  }

  private add(ts: number, cpu: number, flags: number): number {
    const k = this.count;
    if (k >= this.start.length) {
      this.start = grow(this.start, k);
      this.end = grow(this.end, k);
      this.cpu = grow(this.cpu, k);
      this.name = grow(this.name, k);
      this.flags = grow(this.flags, k);
    }
    this.start[k] = ts;
    this.end[k] = NaN;
    this.cpu[k] = cpu;
    this.name[k] = 0;
    this.flags[k] = flags;
    this.count = k + 1;
    return k;
  }

  /**
   * Every call in time order (ties: file order). Unfinished calls end at their vCPU's last event.
   * Call after the pass.
   */
  rows(): SyscallRow[] {
    const order = Array.from({ length: this.count }, (_, i) => i);
    const start = this.start;
    order.sort((a, b) => start[a] - start[b] || a - b);
    const names = this.classes.callNames;
    return order.map((i) => {
      const unfinished = Number.isNaN(this.end[i]);
      const end = unfinished ? this.last[this.cpu[i]] : this.end[i];
      return {
        ts: start[i],
        name: names[this.name[i]],
        cpu: this.cpu[i],
        duration: end - start[i],
        unfinished,
        compat: (this.flags[i] & FLAG_COMPAT) !== 0,
      };
    });
  }
}

/** Per-name statistics, the way `strace -c` / `perf trace -s` summarise. */
export interface SyscallStat {
  name: string;
  compat: boolean;
  count: number;
  total: number;
  min: number;
  mean: number;
  max: number;
  /** Percent of the summed duration of all calls. */
  share: number;
  unfinished: number;
}

/** Groups calls by name (compat calls apart), sorted by total duration, then count, then name. */
export function summarizeSyscalls(rows: readonly SyscallRow[]): SyscallStat[] {
  const all = sum(rows, (r) => r.duration);
  const groups = rollups(
    rows,
    (g): SyscallStat => {
      const total = sum(g, (r) => r.duration);
      return {
        name: g[0].name,
        compat: g[0].compat,
        count: g.length,
        total,
        min: min(g, (r) => r.duration)!,
        mean: mean(g, (r) => r.duration)!,
        max: max(g, (r) => r.duration)!,
        share: sharePercent(total, all),
        unfinished: g.filter((r) => r.unfinished).length,
      };
    },
    (r) => (r.compat ? r.name + ' compat' : r.name),
  );
  return groups
    .map(([, s]) => s)
    .sort((a, b) => b.total - a.total || b.count - a.count || ascending(a.name, b.name) || Number(a.compat) - Number(b.compat));
}

/** Calls per vCPU index (length = the number of vCPUs of the trace, or more when a call names one). */
export function callsPerCpu(rows: readonly SyscallRow[], vcpus: number): number[] {
  const counts = new Array<number>(vcpus).fill(0);
  for (const r of rows) counts[r.cpu] = (counts[r.cpu] ?? 0) + 1;
  return counts;
}
