/**
 * Two boots compared (`bootprof diff`). Each side is a BootProfile: the rows a report computes
 * (phases, milestones, functions, initcalls, syscall names, call tree), read either from a trace's
 * report (commands/report.ts) or from a saved `report --format json` (io/profile-json.ts) through the
 * same ProfileBuilder, so a delta is B's value minus A's from the single-boot outputs, exactly.
 *
 * Memory: a profile holds one entry per function, initcall and syscall name and typed columns for
 * the call tree; every count is capped (a hostile profile is refused, not followed).
 */
import type { WindowSummary } from '../output/format-spec.js';
import { BootprofError } from '../io/errors.js';
import { MAX_NODES } from '../model/call-tree.js';
import { defineTable, sharePercent, type Column, type HumanFormat, type TableSpec, type ViewColumn } from '../model/table.js';
import type { Weight } from '../model/weight.js';

/** Rows a profile may carry per table (functions, initcalls, syscall names, phases, milestones). */
export const MAX_PROFILE_ROWS = 1 << 22;

export interface FunctionCosts {
  self: number;
  total: number;
  events: number;
  insns: number;
  totalInsns: number;
}

export interface InitcallCost {
  /** `name`, or `name#2` for its second call. */
  key: string;
  name: string;
  duration: number;
  insns: number;
  returned: boolean;
}

export interface SyscallCost {
  name: string;
  compat: boolean;
  count: number;
  total: number;
  insns: number;
}

/** A call tree as parallel columns: node k's parent is an earlier node (0 = the root). */
export interface ProfileTree {
  count: number;
  parent: Int32Array;
  /** Index into `fnNames`. */
  fn: Int32Array;
  fnNames: string[];
  self: Float64Array;
  events: Float64Array;
  insns: Float64Array;
}

export interface BootProfile {
  input: string;
  /** Where it came from: a trace, or a saved report. */
  source: 'trace' | 'profile';
  unit: 'ns' | 'events';
  events: number;
  span: number;
  totalSelf: number;
  totalInsns: number;
  /** Instruction counts present (translation records). */
  insns: boolean;
  /** Call stacks present (total columns, initcalls, the call tree). */
  stacks: boolean;
  /** --group-by of the report the profile was made with (functions are then groups); absent: functions. */
  groupBy?: string;
  /** insns: guest instructions of the phase, and a milestone's position (with instruction counts). */
  phases: Map<string, { label: string; duration: number; insns: number }>;
  milestones: Map<string, { label: string; time: number; insns: number }>;
  functions: Map<string, FunctionCosts>;
  /** null: not in this profile (a report saved without --stacks, or no kernel map). */
  initcalls: Map<string, InitcallCost> | null;
  /** null: the symbols have no system call entry. */
  syscalls: Map<string, SyscallCost> | null;
  tree: ProfileTree | null;
  /** The time window its numbers are cut to (report --from/--to/--phase), or null: the whole run. */
  window: WindowSummary | null;
}

type Row = Record<string, unknown>;

function num(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw new BootprofError('E_FORMAT', `${what}: not a number (${JSON.stringify(v)?.slice(0, 40)})`);
}
function optNum(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
function str(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  throw new BootprofError('E_FORMAT', `${what}: not a string (${JSON.stringify(v)?.slice(0, 40)})`);
}

/** Builds a BootProfile from a report's summary and rows (JSON objects keyed by column). */
export class ProfileBuilder {
  private summary: Row | null = null;
  private readonly phases = new Map<string, { label: string; duration: number; insns: number }>();
  private readonly milestones = new Map<string, { label: string; time: number; insns: number }>();
  private readonly functions = new Map<string, FunctionCosts>();
  private initcalls: Map<string, InitcallCost> | null = null;
  private syscalls: Map<string, SyscallCost> | null = null;
  private tree: ProfileTree | null = null;
  private fnIds = new Map<string, number>();
  private sawInsns = false;

  constructor(
    readonly input: string,
    readonly source: 'trace' | 'profile',
  ) {}

  setSummary(s: Row): void {
    this.summary = s;
  }

  private cap(n: number, what: string): void {
    if (n >= MAX_PROFILE_ROWS) throw new BootprofError('E_FORMAT', `${this.input}: more than ${MAX_PROFILE_ROWS} ${what}: not a profile bootprof wrote`);
  }

  /** One row of table `table` (unknown tables are ignored: phase_idle, first_calls, ...). */
  row(table: string, r: Row): void {
    const where = `${this.input}: ${table}`;
    switch (table) {
      case 'phases':
        this.cap(this.phases.size, 'phases');
        this.phases.set(str(r.phase, where), { label: String(r.label ?? r.phase), duration: num(r.duration_ns, where), insns: optNum(r.insns) });
        break;
      case 'milestones':
        this.cap(this.milestones.size, 'milestones');
        this.milestones.set(str(r.milestone, where), { label: String(r.label ?? r.milestone), time: num(r.time_ns, where), insns: optNum(r.insns) });
        break;
      case 'functions': {
        this.cap(this.functions.size, 'functions');
        if (r.self_insns !== undefined) this.sawInsns = true;
        this.functions.set(str(r.function, where), {
          self: num(r.self_ns, where),
          total: optNum(r.total_ns),
          events: num(r.events, where),
          insns: optNum(r.self_insns),
          totalInsns: optNum(r.total_insns),
        });
        break;
      }
      case 'initcalls': {
        const m = (this.initcalls ??= new Map());
        this.cap(m.size, 'initcalls');
        const name = str(r.initcall, where);
        let key = name;
        for (let k = 2; m.has(key); k++) key = `${name}#${k}`;
        m.set(key, { key, name, duration: num(r.duration_ns, where), insns: optNum(r.insns), returned: r.returned !== false });
        break;
      }
      case 'syscalls': {
        const m = (this.syscalls ??= new Map());
        this.cap(m.size, 'syscall names');
        const name = str(r.name, where);
        const compat = r.compat === true;
        m.set(syscallKey(name, compat), { name, compat, count: num(r.count, where), total: num(r.total_ns, where), insns: optNum(r.total_insns) });
        break;
      }
      case 'call_tree':
        this.treeRow(r, where);
        break;
    }
  }

  private treeRow(r: Row, where: string): void {
    const t = (this.tree ??= {
      count: 1,
      parent: new Int32Array(1024),
      fn: new Int32Array(1024),
      fnNames: [],
      self: new Float64Array(1024),
      events: new Float64Array(1024),
      insns: new Float64Array(1024),
    });
    const node = num(r.node, where);
    const parent = num(r.parent, where);
    if (node !== t.count || parent < 0 || parent >= node) throw new BootprofError('E_FORMAT', `${where}: node ${node} (parent ${parent}) out of order`);
    if (t.count > MAX_NODES) throw new BootprofError('E_FORMAT', `${where}: more than ${MAX_NODES} call nodes: not a profile bootprof wrote`);
    if (t.count === t.parent.length) {
      const grow = <A extends Int32Array | Float64Array>(a: A): A => {
        const b = new (a.constructor as new (n: number) => A)(a.length * 2);
        b.set(a);
        return b;
      };
      t.parent = grow(t.parent);
      t.fn = grow(t.fn);
      t.self = grow(t.self);
      t.events = grow(t.events);
      t.insns = grow(t.insns);
    }
    const name = str(r.function, where);
    let id = this.fnIds.get(name);
    if (id === undefined) {
      id = t.fnNames.length;
      t.fnNames.push(name);
      this.fnIds.set(name, id);
    }
    t.parent[node] = parent;
    t.fn[node] = id;
    t.self[node] = num(r.self_ns, where);
    t.events[node] = num(r.events, where);
    t.insns[node] = optNum(r.self_insns);
    t.count++;
  }

  finish(): BootProfile {
    const s = this.summary;
    if (!s) throw new BootprofError('E_FORMAT', `${this.input}: no summary: not a bootprof report`);
    const insns = typeof s.total_insns === 'number' || (this.sawInsns && s.weight === 'insns');
    return {
      input: this.input,
      source: this.source,
      unit: s.unit === 'events' ? 'events' : 'ns',
      events: optNum(s.events),
      span: optNum(s.span_ns),
      totalSelf: optNum(s.total_self_ns),
      totalInsns: optNum(s.total_insns),
      insns,
      stacks: s.stacks === true,
      ...(typeof s.group_by === 'string' ? { groupBy: s.group_by } : {}),
      phases: this.phases,
      milestones: this.milestones,
      functions: this.functions,
      initcalls: this.initcalls ?? (s.stacks === true && typeof s.initcalls === 'number' ? new Map() : null),
      syscalls: this.syscalls ?? (s.syscalls ? new Map() : null),
      tree: this.tree,
      window: s.window && typeof s.window === 'object' ? (s.window as WindowSummary) : null,
    };
  }
}

export function syscallKey(name: string, compat: boolean): string {
  return compat ? `${name} (compat)` : name;
}

// ---------------------------------------------------------------------------------------------
// the comparison

export interface DiffOptions {
  weight: Weight;
  /** Time only: B's time values scaled so both totals are equal. */
  normalize: boolean;
}

/** One value on both sides; null where a side does not have the row. */
export interface Pair {
  a: number | null;
  b: number | null;
}

export function delta(p: Pair): number {
  return (p.b ?? 0) - (p.a ?? 0);
}

/** Percent change from A to B (4 decimals); null when A is absent or 0. */
export function deltaPercent(p: Pair): number | null {
  if (p.a === null || p.a === 0 || p.b === null) return null;
  return sharePercent(p.b - p.a, p.a);
}

export type RowStatus = '' | 'new' | 'gone';

function status(inA: boolean, inB: boolean): RowStatus {
  return inA && inB ? '' : inB ? 'new' : 'gone';
}

export interface FunctionDiff {
  function: string;
  status: RowStatus;
  self: Pair;
  total: Pair;
  events: Pair;
  insns: Pair;
  totalInsns: Pair;
  /** The sort key: |delta| of the weight's self value. */
  key: number;
}

export interface PhaseDiff {
  phase: string;
  label: string;
  duration: Pair;
  insns: Pair;
}

export interface MilestoneDiff {
  milestone: string;
  label: string;
  time: Pair;
  insns: Pair;
}

export interface InitcallDiff {
  initcall: string;
  status: RowStatus;
  duration: Pair;
  insns: Pair;
  key: number;
}

export interface SyscallDiff {
  name: string;
  compat: boolean;
  status: RowStatus;
  count: Pair;
  total: Pair;
  insns: Pair;
  key: number;
}

export interface BootDiff {
  weight: Weight;
  /** B's time values were multiplied by this (1 without --normalize). */
  scale: number;
  /** Both sides have instruction counts / call stacks. */
  insns: boolean;
  stacks: boolean;
  total: Pair;
  phases: PhaseDiff[];
  milestones: MilestoneDiff[];
  functions: FunctionDiff[];
  /** null when a side has none (a profile saved without --stacks). */
  initcalls: InitcallDiff[] | null;
  syscalls: SyscallDiff[] | null;
}

/** The weight's total of a side: summed self time, instructions or events. */
export function sideTotal(p: BootProfile, weight: Weight): number {
  return weight === 'insns' ? p.totalInsns : weight === 'events' ? p.events : p.totalSelf;
}

function pair<T>(a: T | undefined, b: T | undefined, get: (x: T) => number, scaleB = 1): Pair {
  return { a: a === undefined ? null : get(a), b: b === undefined ? null : Math.round(get(b) * scaleB) };
}

function keysOf<K>(a: Iterable<K>, b: Iterable<K>): K[] {
  const seen = new Set<K>(a);
  const out = [...seen];
  for (const k of b) if (!seen.has(k)) out.push(k);
  return out;
}

/** By |key| (largest first), then name. */
function byKey<T extends { key: number }>(name: (r: T) => string): (x: T, y: T) => number {
  return (x, y) => y.key - x.key || (name(x) < name(y) ? -1 : name(x) > name(y) ? 1 : 0);
}

export function diffProfiles(A: BootProfile, B: BootProfile, o: DiffOptions): BootDiff {
  const w = o.weight;
  const scale = o.normalize && w === 'time' && B.totalSelf > 0 ? A.totalSelf / B.totalSelf : 1;
  const insns = A.insns && B.insns;
  const stacks = A.stacks && B.stacks;

  const phases = keysOf(A.phases.keys(), B.phases.keys()).map((k) => {
    const a = A.phases.get(k);
    const b = B.phases.get(k);
    return { phase: k, label: (a ?? b)!.label, duration: pair(a, b, (x) => x.duration, scale), insns: pair(a, b, (x) => x.insns) };
  });
  const milestones = keysOf(A.milestones.keys(), B.milestones.keys()).map((k) => {
    const a = A.milestones.get(k);
    const b = B.milestones.get(k);
    return { milestone: k, label: (a ?? b)!.label, time: pair(a, b, (x) => x.time, scale), insns: pair(a, b, (x) => x.insns) };
  });
  milestones.sort((x, y) => (x.time.a ?? x.time.b ?? 0) - (y.time.a ?? y.time.b ?? 0));

  const functions: FunctionDiff[] = keysOf(A.functions.keys(), B.functions.keys()).map((k) => {
    const a = A.functions.get(k);
    const b = B.functions.get(k);
    const r: FunctionDiff = {
      function: k,
      status: status(!!a, !!b),
      self: pair(a, b, (x) => x.self, scale),
      total: pair(a, b, (x) => x.total, scale),
      events: pair(a, b, (x) => x.events),
      insns: pair(a, b, (x) => x.insns),
      totalInsns: pair(a, b, (x) => x.totalInsns),
      key: 0,
    };
    r.key = Math.abs(delta(w === 'insns' ? r.insns : w === 'events' ? r.events : r.self));
    return r;
  });
  functions.sort(byKey((r) => r.function));

  let initcalls: InitcallDiff[] | null = null;
  if (A.initcalls && B.initcalls) {
    const ia = A.initcalls;
    const ib = B.initcalls;
    initcalls = keysOf(ia.keys(), ib.keys()).map((k) => {
      const a = ia.get(k);
      const b = ib.get(k);
      const r: InitcallDiff = {
        initcall: k,
        status: status(!!a, !!b),
        duration: pair(a, b, (x) => x.duration, scale),
        insns: pair(a, b, (x) => x.insns),
        key: 0,
      };
      r.key = Math.abs(delta(w === 'insns' ? r.insns : r.duration));
      return r;
    });
    initcalls.sort(byKey((r) => r.initcall));
  }

  let syscalls: SyscallDiff[] | null = null;
  if (A.syscalls && B.syscalls) {
    const sa = A.syscalls;
    const sb = B.syscalls;
    syscalls = keysOf(sa.keys(), sb.keys()).map((k) => {
      const a = sa.get(k);
      const b = sb.get(k);
      const r: SyscallDiff = {
        name: (a ?? b)!.name,
        compat: (a ?? b)!.compat,
        status: status(!!a, !!b),
        count: pair(a, b, (x) => x.count),
        total: pair(a, b, (x) => x.total, scale),
        insns: pair(a, b, (x) => x.insns),
        key: 0,
      };
      r.key = Math.abs(delta(w === 'insns' ? r.insns : w === 'events' ? r.count : r.total));
      return r;
    });
    syscalls.sort(byKey((r) => syscallKey(r.name, r.compat)));
  }

  return {
    weight: w,
    scale,
    insns,
    stacks,
    total: { a: sideTotal(A, w), b: Math.round(sideTotal(B, w) * (w === 'time' ? scale : 1)) },
    phases,
    milestones,
    functions,
    initcalls,
    syscalls,
  };
}

// ---------------------------------------------------------------------------------------------
// tables

type Kind = Column<unknown>['kind'];

/** a_X, b_X, delta_X (and a percent column named `pct`) of a Pair. */
function pairColumns<R>(base: string, kind: Kind, what: string, get: (r: R) => Pair, o: { pct?: string; optional?: boolean } = {}): Column<R>[] {
  const cols: Column<R>[] = [
    { key: `a_${base}`, kind, nullable: true, optional: o.optional, doc: `${what} in A (null: not in A).`, get: (r) => get(r).a },
    { key: `b_${base}`, kind, nullable: true, optional: o.optional, doc: `${what} in B (null: not in B).`, get: (r) => get(r).b },
    { key: `delta_${base}`, kind, optional: o.optional, doc: `B minus A (a missing side counts 0).`, get: (r) => delta(get(r)) },
  ];
  if (o.pct)
    cols.push({
      key: o.pct,
      kind: 'percent',
      nullable: true,
      optional: o.optional,
      doc: `delta_${base} as a percent of a_${base} (null when A is absent or 0).`,
      get: (r) => deltaPercent(get(r)),
    });
  return cols;
}

const statusColumn = <R extends { status: RowStatus }>(): Column<R> => ({
  key: 'status',
  kind: 'text',
  doc: 'new: only in B; gone: only in A; empty: in both.',
  get: (r) => r.status,
});

export const PHASES_DIFF_TABLE = defineTable<PhaseDiff>({
  name: 'phases',
  doc: 'Phase durations of both boots (by phase key; a phase one boot does not reach is null there).',
  columns: [
    { key: 'phase', kind: 'text', doc: 'Phase key.', get: (r) => r.phase },
    { key: 'label', kind: 'text', title: 'phase', doc: 'Its name for people.', get: (r) => r.label },
    ...pairColumns<PhaseDiff>('duration_ns', 'duration', 'Duration', (r) => r.duration, { pct: 'delta_pct' }),
    ...pairColumns<PhaseDiff>('insns', 'count', 'Guest instructions (both sides with records)', (r) => r.insns, { pct: 'delta_insns_pct', optional: true }),
  ],
});

export const MILESTONES_DIFF_TABLE = defineTable<MilestoneDiff>({
  name: 'milestones',
  doc: "When each milestone was reached in both boots, since each trace's first event.",
  columns: [
    { key: 'milestone', kind: 'text', doc: 'Milestone key.', get: (r) => r.milestone },
    { key: 'label', kind: 'text', title: 'milestone', doc: 'Its name for people.', get: (r) => r.label },
    ...pairColumns<MilestoneDiff>('time_ns', 'duration', 'Time since the first event', (r) => r.time, { pct: 'delta_pct' }),
    ...pairColumns<MilestoneDiff>('insns', 'count', 'Instructions run before it (both sides with records)', (r) => r.insns, {
      pct: 'delta_insns_pct',
      optional: true,
    }),
  ],
});

export const FUNCTIONS_DIFF_TABLE = defineTable<FunctionDiff>({
  name: 'functions',
  doc: "Per function: self (and total) cost in both boots and the change, by the absolute change of the weight's self value.",
  columns: [
    { key: 'function', kind: 'text', doc: 'Function name or region label.', get: (r) => r.function },
    statusColumn<FunctionDiff>(),
    ...pairColumns<FunctionDiff>('self_ns', 'duration', 'Self time', (r) => r.self, { pct: 'delta_self_pct' }),
    ...pairColumns<FunctionDiff>('total_ns', 'duration', 'Inclusive time (both sides with stacks)', (r) => r.total, { optional: true }),
    ...pairColumns<FunctionDiff>('events', 'count', 'Events', (r) => r.events),
    ...pairColumns<FunctionDiff>('self_insns', 'count', 'Self instructions (both sides with records)', (r) => r.insns, {
      pct: 'delta_self_insns_pct',
      optional: true,
    }),
    ...pairColumns<FunctionDiff>('total_insns', 'count', 'Inclusive instructions (both sides with records and stacks)', (r) => r.totalInsns, {
      optional: true,
    }),
  ],
});

export const INITCALLS_DIFF_TABLE = defineTable<InitcallDiff>({
  name: 'initcalls',
  doc: 'Per initcall (a second call of one is name#2): inclusive duration (and instructions) in both boots, by the absolute change.',
  columns: [
    { key: 'initcall', kind: 'text', doc: 'The initcall function.', get: (r) => r.initcall },
    statusColumn<InitcallDiff>(),
    ...pairColumns<InitcallDiff>('duration_ns', 'duration', 'Inclusive duration', (r) => r.duration, { pct: 'delta_pct' }),
    ...pairColumns<InitcallDiff>('insns', 'count', 'Instructions (both sides with records)', (r) => r.insns, { optional: true }),
  ],
});

export const SYSCALLS_DIFF_TABLE = defineTable<SyscallDiff>({
  name: 'syscalls',
  doc: 'Per system call name: calls and summed duration in both boots, by the absolute change.',
  columns: [
    { key: 'name', kind: 'text', doc: 'System call name.', get: (r) => r.name },
    { key: 'compat', kind: 'flag', doc: 'Calls of the compat ABI.', get: (r) => r.compat },
    statusColumn<SyscallDiff>(),
    ...pairColumns<SyscallDiff>('count', 'count', 'Calls', (r) => r.count),
    ...pairColumns<SyscallDiff>('total_ns', 'duration', 'Summed duration', (r) => r.total, { pct: 'delta_total_pct' }),
    ...pairColumns<SyscallDiff>('total_insns', 'count', 'Summed instructions (both sides with records)', (r) => r.insns, { optional: true }),
  ],
});

/** The tables `--table` can name for CSV. */
export const DIFF_TABLES: readonly TableSpec<never>[] = [
  FUNCTIONS_DIFF_TABLE,
  PHASES_DIFF_TABLE,
  MILESTONES_DIFF_TABLE,
  INITCALLS_DIFF_TABLE,
  SYSCALLS_DIFF_TABLE,
] as unknown as TableSpec<never>[];

// ---------------------------------------------------------------------------------------------
// terminal views: the weight's columns, deltas signed

type Fmt = HumanFormat;

function signed(v: number, show: (v: number) => string): string {
  return v > 0 ? '+' + show(v) : v < 0 ? '-' + show(-v) : show(0);
}

/** A, B, delta, delta % view columns of a Pair shown as `kind`. */
function pairView<R>(title: string, kind: 'duration' | 'count', get: (r: R) => Pair): ViewColumn<R>[] {
  const show = (f: Fmt, v: number): string => (kind === 'duration' ? f.duration(v) : f.count(v));
  return [
    { title: `A ${title}`, align: 'right', cell: (r, f) => (get(r).a === null ? '-' : show(f, get(r).a!)) },
    { title: `B ${title}`, align: 'right', cell: (r, f) => (get(r).b === null ? '-' : show(f, get(r).b!)) },
    { title: 'delta', align: 'right', cell: (r, f) => signed(delta(get(r)), (v) => show(f, v)) },
    {
      title: 'delta %',
      align: 'right',
      cell: (r) => {
        const p = deltaPercent(get(r));
        return p === null ? '' : signed(p, (v) => v.toFixed(1) + '%');
      },
    },
  ];
}

const statusView = <R extends { status: RowStatus }>(): ViewColumn<R> => ({ title: 'status', cell: (r) => r.status });

/** The weight's pair of a function row and its terminal form. */
function functionWeight(w: Weight): [(r: FunctionDiff) => Pair, (r: FunctionDiff) => Pair, 'duration' | 'count', string] {
  return w === 'insns'
    ? [(r) => r.insns, (r) => r.totalInsns, 'count', 'insns']
    : w === 'events'
      ? [(r) => r.events, (r) => r.events, 'count', 'events']
      : [(r) => r.self, (r) => r.total, 'duration', 'self'];
}

export function functionsDiffView(w: Weight, stacks: boolean): TableSpec<FunctionDiff> {
  const [self, total, kind, title] = functionWeight(w);
  const view: (string | ViewColumn<FunctionDiff>)[] = [{ title: 'function', cell: (r) => r.function }, ...pairView(title, kind, self)];
  if (stacks && w !== 'events')
    view.push({ title: 'total delta', align: 'right', cell: (r, f) => signed(delta(total(r)), (v) => (kind === 'duration' ? f.duration(v) : f.count(v))) });
  if (w !== 'events') view.push({ title: 'events delta', align: 'right', cell: (r, f) => signed(delta(r.events), f.count) });
  view.push(statusView());
  return { ...FUNCTIONS_DIFF_TABLE, view };
}

/** Phases by duration, or by instructions when the weight is insns. */
export function phasesDiffView(w: Weight): TableSpec<PhaseDiff> {
  const cols = w === 'insns' ? pairView('insns', 'count', (r: PhaseDiff) => r.insns) : pairView('', 'duration', (r: PhaseDiff) => r.duration);
  return { ...PHASES_DIFF_TABLE, view: [{ title: 'phase', cell: (r: PhaseDiff) => r.label }, ...cols] };
}

/** Milestones by time, or by instruction position when the weight is insns. */
export function milestonesDiffView(w: Weight): TableSpec<MilestoneDiff> {
  const cols = w === 'insns' ? pairView('insns before', 'count', (r: MilestoneDiff) => r.insns) : pairView('at', 'duration', (r: MilestoneDiff) => r.time);
  return { ...MILESTONES_DIFF_TABLE, view: [{ title: 'milestone', cell: (r: MilestoneDiff) => r.label }, ...cols] };
}

export function initcallsDiffView(w: Weight): TableSpec<InitcallDiff> {
  const insns = w === 'insns';
  return {
    ...INITCALLS_DIFF_TABLE,
    view: [
      { title: 'initcall', cell: (r: InitcallDiff) => r.initcall },
      ...(insns ? pairView('insns', 'count', (r: InitcallDiff) => r.insns) : pairView('duration', 'duration', (r: InitcallDiff) => r.duration)),
      statusView<InitcallDiff>(),
    ],
  };
}

export function syscallsDiffView(w: Weight): TableSpec<SyscallDiff> {
  const v: (string | ViewColumn<SyscallDiff>)[] = [
    { title: 'syscall', cell: (r: SyscallDiff) => syscallKey(r.name, r.compat) },
    ...pairView('calls', 'count', (r: SyscallDiff) => r.count).slice(0, 3),
  ];
  v.push(...(w === 'insns' ? pairView('insns', 'count', (r: SyscallDiff) => r.insns) : pairView('total', 'duration', (r: SyscallDiff) => r.total)).slice(0, 3));
  v.push(statusView());
  return { ...SYSCALLS_DIFF_TABLE, view: v };
}
