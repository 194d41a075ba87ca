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
 * Name ids are classified once each, as they appear in the run's name list (all of a map's at the
 * start; a pre-resolved trace's own names while it is read); the per-event loop only reads typed
 * arrays. Calls are stored column-wise (they are few compared with events).
 */
import { clipped, overlaps, type TimeWindow } from './window.js';
import { ascending, max, mean, min, rollups, sum } from 'd3-array';
import type { EventBatch } from '../model/batch.js';
import { FIRST_FUNCTION, REGION_USER } from '../model/names.js';
import { defineTable, sharePercent } from '../model/table.js';
import type { Weight } from '../model/weight.js';
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

/**
 * Classifies the names of a name list that may grow (ids < FIRST_FUNCTION are region labels, never
 * syscalls): `update()` classifies the names added since the last call. The pre-4.17 `sys_NAME`
 * convention is used only while no prefixed handler has been seen; the first one switches to the
 * modern prefixes and classifies every name again (at most once).
 */
export class SyscallClassifier {
  readonly classes: SyscallClasses = {
    entryKind: new Uint8Array(FIRST_FUNCTION),
    handler: new Int32Array(FIRST_FUNCTION).fill(-1),
    compatHandler: new Uint8Array(FIRST_FUNCTION),
    callNames: [UNKNOWN_SYSCALL],
    entries: [],
    handlers: 0,
    legacy: false,
  };
  private readonly callIndex = new Map<string, number>([[UNKNOWN_SYSCALL, 0]]);
  private modern = false;
  private known = 0;
  private static readonly native = new Set(NATIVE_ENTRIES);
  private static readonly compat = new Set(COMPAT_ENTRIES);

  constructor(readonly names: readonly string[]) {
    this.update();
  }

  /** True when names were added since the last update (cheap: for the per-batch check). */
  get stale(): boolean {
    return this.names.length > this.known;
  }

  update(): void {
    const names = this.names;
    const n = names.length;
    if (n <= this.known) return;
    const c = this.classes;
    if (n > c.entryKind.length) {
      c.entryKind = grow(c.entryKind, n - 1);
      c.handler = grow(c.handler, n - 1, -1);
      c.compatHandler = grow(c.compatHandler, n - 1);
    }
    let from = Math.max(this.known, FIRST_FUNCTION);
    if (!this.modern) {
      for (let id = from; id < n; id++) {
        if (strip(names[id], HANDLER_PREFIXES)) {
          this.modern = true;
          // legacy handlers classified so far are not handlers after all
          c.handler.fill(-1, 0, n);
          c.compatHandler.fill(0, 0, n);
          c.handlers = 0;
          c.entries.length = 0;
          from = FIRST_FUNCTION;
          break;
        }
      }
    }
    const prefixes = this.modern ? HANDLER_PREFIXES : LEGACY_HANDLER_PREFIXES;
    for (let id = from; id < n; id++) {
      const name = names[id];
      if (SyscallClassifier.native.has(name)) {
        c.entryKind[id] = NATIVE_ENTRY;
        c.entries.push(name);
        continue;
      }
      if (SyscallClassifier.compat.has(name)) {
        c.entryKind[id] = COMPAT_ENTRY;
        c.entries.push(name);
        continue;
      }
      const h = strip(name, prefixes);
      if (!h) continue;
      let k = this.callIndex.get(h.call);
      if (k === undefined) {
        k = c.callNames.length;
        c.callNames.push(h.call);
        this.callIndex.set(h.call, k);
      }
      c.handler[id] = k;
      c.compatHandler[id] = h.compat ? 1 : 0;
      c.handlers++;
    }
    c.legacy = !this.modern && c.handlers > 0;
    this.known = n;
  }
}

/** Classifies every name of a fixed name list (a symbol table's). */
export function classifySyscallNames(names: readonly string[]): SyscallClasses {
  return new SyscallClassifier(names).classes;
}

/** One call, for writers. Times in ns relative to the trace's first event (or events, untimed). */
export interface SyscallRow {
  ts: number;
  name: string;
  cpu: number;
  duration: number;
  unfinished: boolean;
  compat: boolean;
  /** Instructions its vCPU ran from the entry to the return (0 without translation records). */
  insns: number;
}

const FLAG_COMPAT = 1;

export class Syscalls implements Analysis {
  private readonly classifier: SyscallClassifier;
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
  /** Per vCPU: instructions of its events so far (translated batches), and that clock before its last event. */
  private clock = new Float64Array(16);
  private lastClock = new Float64Array(16);
  /** Per call: the vCPU's instruction clock at its entry and at its end. */
  private startInsns = new Float64Array(256);
  private endInsns = new Float64Array(256);

  /**
   * `names`: the run's name list (TraceInfo.names); it may grow during the run. `window`
   * (--from/--to/--phase): rows() keeps the calls that overlap it (their entry or part of their run
   * inside it), each cut to the part inside it (a call entered before the window starts at the
   * window's start), and the instruction clock counts only the events that start inside it.
   */
  constructor(
    names: readonly string[],
    readonly window: TimeWindow | null = null,
  ) {
    this.classifier = new SyscallClassifier(names);
  }

  get classes(): SyscallClasses {
    return this.classifier.classes;
  }

  consume(batch: EventBatch): void {
    if (this.classifier.stale) this.classifier.update();
    const cls = this.classes;
    if (cls.entries.length === 0) return; // no call can open (yet)
    if (!batch.translated) {
      this.consumePlain(batch, cls);
      return;
    }
    const { time, thread, sym } = batch;
    const ins = batch.insns;
    let open = this.open;
    let last = this.last;
    let clock = this.clock;
    const wFrom = this.window ? this.window.from : -Infinity;
    const wTo = this.window ? this.window.to : Infinity;
    for (let i = 0, n = batch.length; i < n; i++) {
      const t = thread[i];
      const now = time[i];
      if (t >= open.length) {
        this.open = open = grow(open, t, -1);
        this.last = last = grow(last, t);
        this.clock = clock = grow(clock, t);
        this.lastClock = grow(this.lastClock, t);
      }
      last[t] = now;
      const before = clock[t];
      this.lastClock[t] = before;
      // the event's call step sees the vCPU's clock before the event's instructions
      open[t] = this.step(open[t], sym[i], t, now, cls);
      if (now >= wFrom && now < wTo) clock[t] = before + ins[i];
    }
  }

  /**
   * consume() for a batch without instructions (no vCPU clock moves): the current vCPU's open call
   * and last time in locals, stored back when the vCPU changes.
   */
  private consumePlain(batch: EventBatch, cls: SyscallClasses): void {
    const { time, thread, sym } = batch;
    let open = this.open;
    let last = this.last;
    let curT = -1;
    let c = -1; // open[curT]
    let lastNow = 0; // last[curT]
    for (let i = 0, n = batch.length; i < n; i++) {
      const t = thread[i];
      const now = time[i];
      if (t !== curT) {
        if (curT >= 0) {
          open[curT] = c;
          last[curT] = lastNow;
        }
        if (t >= open.length) {
          this.open = open = grow(open, t, -1);
          this.last = last = grow(last, t);
          this.clock = grow(this.clock, t);
          this.lastClock = grow(this.lastClock, t);
        }
        curT = t;
        c = open[t];
      }
      lastNow = now;
      c = this.step(c, sym[i], t, now, cls);
    }
    if (curT >= 0) {
      open[curT] = c;
      last[curT] = lastNow;
    }
  }

  /**
   * One event of vCPU t, whose open call is `c` (-1: none): a user-space event ends it, an entry
   * symbol opens one (when none is open), the first handler names it. Returns the vCPU's open call
   * after the event. Instructions at a call's start and end are the vCPU's clock before the event.
   */
  private step(c: number, s: number, t: number, now: number, cls: SyscallClasses): number {
    if (s === REGION_USER) {
      if (c >= 0) {
        this.end[c] = now;
        this.endInsns[c] = this.clock[t];
      }
      return -1;
    }
    if (s >= cls.entryKind.length) return c; // cannot happen: every name id of the batch is classified
    if (c < 0) {
      const k = cls.entryKind[s];
      if (k === NOT_ENTRY) return c;
      const call = this.add(now, t, k === COMPAT_ENTRY ? FLAG_COMPAT : 0);
      this.startInsns[call] = this.clock[t];
      return call;
    }
    if (this.name[c] === 0) {
      const h = cls.handler[s];
      if (h > 0) {
        this.name[c] = h;
        if (cls.compatHandler[s]) this.flags[c] |= FLAG_COMPAT;
      }
    }
    return c;
  }

  private add(ts: number, cpu: number, flags: number): number {
    const k = this.count;
    if (k >= this.start.length) {
      this.start = grow(this.start, k);
      this.end = grow(this.end, k);
      this.cpu = grow(this.cpu, k);
      this.name = grow(this.name, k);
      this.flags = grow(this.flags, k);
      this.startInsns = grow(this.startInsns, k);
      this.endInsns = grow(this.endInsns, k);
    }
    this.start[k] = ts;
    this.end[k] = NaN;
    this.cpu[k] = cpu;
    this.name[k] = 0;
    this.flags[k] = flags;
    this.count = k + 1;
    return k;
  }

  /** Calls whose end came before their start (time went backwards); set by rows(). */
  negativeDurations = 0;

  /**
   * Every call in time order (ties: file order). Unfinished calls end at their vCPU's last event.
   * Call after the pass.
   */
  rows(): SyscallRow[] {
    const order = Array.from({ length: this.count }, (_, i) => i);
    const start = this.start;
    order.sort((a, b) => start[a] - start[b] || a - b);
    const names = this.classes.callNames;
    this.negativeDurations = 0;
    const w = this.window;
    const rows: SyscallRow[] = [];
    for (const i of order) {
      const unfinished = Number.isNaN(this.end[i]);
      const end = unfinished ? this.last[this.cpu[i]] : this.end[i];
      const endInsns = unfinished ? this.lastClock[this.cpu[i]] : this.endInsns[i];
      if (w && !overlaps(w, start[i], end)) continue;
      // time went backwards within the call: 0, as self time counts a negative delta
      if (end < start[i]) this.negativeDurations++;
      rows.push({
        ts: w && start[i] < w.from ? w.from : start[i],
        name: names[this.name[i]],
        cpu: this.cpu[i],
        duration: end < start[i] ? 0 : w ? clipped(w, start[i], end) : end - start[i],
        unfinished,
        compat: (this.flags[i] & FLAG_COMPAT) !== 0,
        insns: Math.max(0, endInsns - this.startInsns[i]),
      });
    }
    return rows;
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
  /** Summed instructions of its calls (0 without translation records). */
  insns: number;
}

/** Groups calls by name (compat calls apart), sorted by total duration (or instructions, or count), then count, then name. */
export function summarizeSyscalls(rows: readonly SyscallRow[], weight: Weight = 'time'): SyscallStat[] {
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
        insns: sum(g, (r) => r.insns),
      };
    },
    (r) => (r.compat ? r.name + ' compat' : r.name),
  );
  const key = weight === 'insns' ? (s: SyscallStat) => s.insns : weight === 'events' ? (s: SyscallStat) => s.count : (s: SyscallStat) => s.total;
  return groups
    .map(([, s]) => s)
    .sort((a, b) => key(b) - key(a) || b.total - a.total || b.count - a.count || ascending(a.name, b.name) || Number(a.compat) - Number(b.compat));
}

/** Calls per vCPU index (length = the number of vCPUs of the trace, or more when a call names one). */
export function callsPerCpu(rows: readonly SyscallRow[], vcpus: number): number[] {
  const counts = new Array<number>(vcpus).fill(0);
  for (const r of rows) counts[r.cpu] = (counts[r.cpu] ?? 0) + 1;
  return counts;
}

function displayName(name: string, compat: boolean): string {
  return compat ? `${name} (compat)` : name;
}

export const CALLS_TABLE = defineTable<SyscallRow>({
  name: 'calls',
  doc: 'Every system call user space made, by entry time.',
  columns: [
    { key: 'ts_ns', kind: 'time', title: 'time (s)', titleEvents: 'time (event)', doc: "Entry time, since the trace's first event.", get: (r) => r.ts },
    {
      key: 'name',
      kind: 'text',
      title: 'syscall',
      doc: 'Named by the first handler reached (__x64_sys_getpid -> getpid); unknown when none was.',
      get: (r) => r.name,
    },
    { key: 'cpu', kind: 'index', doc: 'vCPU index.', get: (r) => r.cpu },
    {
      key: 'duration_ns',
      kind: 'duration',
      title: 'duration',
      doc: "From the entry to the vCPU's next user-space event (unfinished: to its last event).",
      get: (r) => r.duration,
    },
    { key: 'unfinished', kind: 'flag', doc: 'Still open when the trace ended.', get: (r) => r.unfinished },
    { key: 'compat', kind: 'flag', doc: 'Entered through a compat entry or reaching a compat handler.', get: (r) => r.compat },
    {
      key: 'insns',
      kind: 'count',
      optional: true,
      doc: 'Guest instructions its vCPU ran from the entry to the return (traces with -d in_asm records).',
      get: (r) => r.insns,
    },
  ],
  view: [
    'ts_ns',
    { title: 'syscall', cell: (r) => displayName(r.name, r.compat) },
    'cpu',
    'duration_ns',
    'insns',
    { title: 'note', cell: (r) => (r.unfinished ? 'unfinished' : '') },
  ],
});

export const SYSCALL_STATS_TABLE = defineTable<SyscallStat>({
  name: 'syscalls',
  doc: 'Calls per name (compat calls apart), like strace -c: by total duration, then count, then name.',
  columns: [
    { key: 'name', kind: 'text', doc: 'System call name.', get: (r) => r.name },
    { key: 'compat', kind: 'flag', doc: 'Calls of the compat ABI.', get: (r) => r.compat },
    { key: 'count', kind: 'count', title: 'calls', doc: 'Calls.', get: (r) => r.count },
    { key: 'total_ns', kind: 'duration', title: 'total', doc: 'Summed duration.', get: (r) => r.total },
    { key: 'min_ns', kind: 'duration', title: 'min', doc: 'Shortest call.', get: (r) => r.min },
    { key: 'mean_ns', kind: 'duration', title: 'mean', doc: 'Mean duration, rounded to the ns.', get: (r) => Math.round(r.mean) },
    { key: 'max_ns', kind: 'duration', title: 'max', doc: 'Longest call.', get: (r) => r.max },
    { key: 'share', kind: 'percent', doc: "total_ns as a percent of all calls' summed duration.", get: (r) => r.share },
    { key: 'unfinished', kind: 'count', doc: 'Calls still open when the trace ended.', get: (r) => r.unfinished },
    {
      key: 'total_insns',
      kind: 'count',
      title: 'insns',
      optional: true,
      doc: 'Summed instructions of its calls (traces with -d in_asm records).',
      get: (r) => r.insns,
    },
  ],
  view: [
    { title: 'syscall', cell: (r) => displayName(r.name, r.compat) },
    'count',
    'total_ns',
    'share',
    'min_ns',
    { title: 'mean', align: 'right', cell: (r, f) => f.duration(r.mean) },
    'max_ns',
    'total_insns',
    { title: 'unfinished', align: 'right', cell: (r, f) => (r.unfinished ? f.count(r.unfinished) : '') },
  ],
});
