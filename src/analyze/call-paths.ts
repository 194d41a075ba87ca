/**
 * Callers and callees of a function, from the reconstructed call tree (model/call-tree.ts, the tree
 * `flamegraph` folds and `report --stacks` writes), as `perf report -g caller|callee` and
 * `uftrace graph` show them. The function may be a set of functions (a regex): they are merged into
 * one, and a stack counts from its outermost frame of any of them.
 *
 *  callees  FUNC's subtree, merged over every place FUNC appears: a node is a path FUNC;c1;...;ck.
 *           Only FUNC's outermost frame of a stack is a root: a FUNC frame under another FUNC frame
 *           stays in the outer one's subtree (as a path FUNC;...;FUNC), so FUNC's time is counted
 *           once per stack, as total_ns of `self-time --stacks` counts it. A node's self is the
 *           weight charged to exactly that path; its total, self plus every path below.
 *  callers  an inverted tree: FUNC at the root, its callers below it, their callers below them, up
 *           to the outermost frame. A node FUNC;p1;...;pk holds FUNC's outermost frames whose
 *           caller chain starts with p1 (the direct caller), ..., pk: their total (FUNC's inclusive
 *           weight through that chain) and self (the weight of FUNC's own frames in them, recursive
 *           ones included, i.e. FUNC's flat self at the root).
 *
 * Both roots hold FUNC's inclusive weight counted once per stack (self-time --stacks' total_ns).
 * In folded stacks (`flamegraph --min-duration 0`): a callees node's total is the sum of the lines
 * whose suffix from their first FUNC frame starts with its path; a callers node's total, the sum of
 * the lines with FUNC whose frames before the first FUNC end with its path reversed.
 */
import { frameLabel, type CallTree } from '../model/call-tree.js';
import { defineTable, sharePercent, type TableSpec, type ViewColumn } from '../model/table.js';
import type { Weight } from '../model/weight.js';
import { grow } from './analysis.js';
import type { CallSink } from './stacks.js';
import type { TimeWindow } from './window.js';

export type PathDirection = 'callers' | 'callees';

/**
 * Counts the frames pushed on each call node (calls and interrupt entries; a resumed task's frames are
 * not pushed again); with a window, the calls made inside it.
 */
export class CallCounter implements CallSink {
  calls = new Float64Array(1024);
  constructor(readonly window: TimeWindow | null = null) {}
  called(_cpu: number, node: number, time: number): void {
    const w = this.window;
    if (w !== null && !(time >= w.from && time < w.to)) return;
    if (node >= this.calls.length) this.calls = grow(this.calls, node);
    this.calls[node]++;
  }
  returned(): void {}
  unfinished(): void {}
}

/** One node of a callers or callees tree, in every weight. */
export interface PathNode {
  /** Row number, 1 for the root; parents before children (depth-first, heaviest child first). */
  node: number;
  /** The parent's row number; 0 for the root. */
  parent: number;
  /** 0 for the root (FUNC), 1 for its direct callers or callees, ... */
  depth: number;
  function: string;
  calls: number;
  self: number;
  total: number;
  events: number;
  totalEvents: number;
  insns: number;
  totalInsns: number;
  /** total in the weight as a percent of the root's. */
  share: number;
}

/** The merged tree before pruning: parallel arrays, node 0 the root (FUNC), parents before children. */
export class PathTree {
  parent: number[] = [-1];
  fn: number[] = [-1];
  depth: number[] = [0];
  calls: number[] = [0];
  self: number[] = [0];
  total: number[] = [0];
  events: number[] = [0];
  totalEvents: number[] = [0];
  insns: number[] = [0];
  totalInsns: number[] = [0];
  /** Call-tree nodes merged into the root: FUNC's outermost frames' nodes (0: FUNC never ran). */
  roots = 0;
  private index = new Map<number, number>();

  get count(): number {
    return this.parent.length;
  }

  child(parent: number, fn: number): number {
    // fn >= -2 ([other stacks]) and below 2^24 names; parent below 2^26 nodes: an exact key
    const key = parent * 0x1000000 + (fn + 2);
    const have = this.index.get(key);
    if (have !== undefined) return have;
    const n = this.parent.length;
    this.parent.push(parent);
    this.fn.push(fn);
    this.depth.push(this.depth[parent] + 1);
    for (const a of [this.calls, this.self, this.total, this.events, this.totalEvents, this.insns, this.totalInsns]) a.push(0);
    this.index.set(key, n);
    return n;
  }

  /** The weight's self and total values. */
  of(weight: Weight): { self: number[]; total: number[] } {
    return weight === 'insns'
      ? { self: this.insns, total: this.totalInsns }
      : weight === 'events'
        ? { self: this.events, total: this.totalEvents }
        : { self: this.self, total: this.total };
  }
}

/** Per node: the sum of `v` over the nodes of the matched functions in its subtree. */
function matchedSubtreeSums(tree: CallTree, match: Uint8Array, v: Float64Array): Float64Array {
  const out = new Float64Array(tree.count);
  for (let n = 1; n < tree.count; n++) if (isMatch(match, tree.fn[n])) out[n] = v[n];
  for (let n = tree.count - 1; n > 0; n--) out[tree.parent[n]] += out[n];
  return out;
}

function isMatch(match: Uint8Array, fn: number): boolean {
  return fn >= 0 && fn < match.length && match[fn] === 1;
}

/**
 * The callers or callees tree of the functions `match` marks (match[nameId] = 1). `calls`: frames
 * pushed per call node (CallCounter), or null (every node 0 calls). The tree must be weighted.
 */
export function pathTree(tree: CallTree, match: Uint8Array, direction: PathDirection, calls: Float64Array | null): PathTree {
  const out = new PathTree();
  const callsOf = (n: number): number => (calls && n < calls.length ? calls[n] : 0);
  if (direction === 'callees') {
    // map[n]: the merged node of tree node n, -1 outside every FUNC subtree (the root: -1)
    const map = new Int32Array(tree.count).fill(-1);
    for (let n = 1; n < tree.count; n++) {
      const p = tree.parent[n];
      let m: number;
      if (map[p] >= 0) m = out.child(map[p], tree.fn[n]);
      else if (isMatch(match, tree.fn[n])) {
        m = 0;
        out.roots++;
      } else continue;
      map[n] = m;
      out.calls[m] += callsOf(n);
      out.self[m] += tree.self[n];
      out.events[m] += tree.events[n];
      out.insns[m] += tree.insns[n];
    }
    for (let m = 0; m < out.count; m++) {
      out.total[m] = out.self[m];
      out.totalEvents[m] = out.events[m];
      out.totalInsns[m] = out.insns[m];
    }
    for (let m = out.count - 1; m > 0; m--) {
      const p = out.parent[m];
      out.total[p] += out.total[m];
      out.totalEvents[p] += out.totalEvents[m];
      out.totalInsns[p] += out.totalInsns[m];
    }
    return out;
  }
  const totals = tree.totals(tree.self);
  const totalEvents = tree.totals(tree.events);
  const totalInsns = tree.totals(tree.insns);
  const fSelf = matchedSubtreeSums(tree, match, tree.self);
  const fEvents = matchedSubtreeSums(tree, match, tree.events);
  const fInsns = matchedSubtreeSums(tree, match, tree.insns);
  // inF[n]: n or one of its ancestors is a matched function's frame
  const inF = new Uint8Array(tree.count);
  for (let n = 1; n < tree.count; n++) {
    const p = tree.parent[n];
    const here = isMatch(match, tree.fn[n]);
    inF[n] = inF[p] | (here ? 1 : 0);
    if (!here || inF[p]) continue;
    out.roots++;
    // an outermost FUNC frame: its weight goes to the root and to every node of its caller chain
    for (let a = p, m = 0; ; a = tree.parent[a]) {
      out.calls[m] += callsOf(n);
      out.total[m] += totals[n];
      out.totalEvents[m] += totalEvents[n];
      out.totalInsns[m] += totalInsns[n];
      out.self[m] += fSelf[n];
      out.events[m] += fEvents[n];
      out.insns[m] += fInsns[n];
      if (a <= 0) break;
      m = out.child(m, tree.fn[a]);
    }
  }
  return out;
}

export interface PathRowsOptions {
  weight: Weight;
  /** The root's label. */
  rootLabel: string;
  /** Deepest level kept (the root is 0); undefined: all. */
  maxDepth?: number;
  /** Nodes whose total is below this percent of the root's are left out (with their subtrees). */
  minShare?: number;
}

/**
 * Rows of the tree, depth first, children by total in the weight (heaviest first, then name);
 * `pruned`: nodes left out by --depth and --min-share. No rows when FUNC never ran.
 */
export function pathRows(t: PathTree, names: readonly string[], o: PathRowsOptions): { rows: PathNode[]; pruned: number } {
  if (t.roots === 0) return { rows: [], pruned: 0 };
  const { total } = t.of(o.weight);
  const rootTotal = total[0];
  const label = (m: number): string => (m === 0 ? o.rootLabel : frameLabel(names, t.fn[m]));
  const children: number[][] = Array.from({ length: t.count }, () => []);
  for (let m = 1; m < t.count; m++) children[t.parent[m]].push(m);
  const rows: PathNode[] = [];
  let pruned = 0;
  const rowOf = new Int32Array(t.count);
  const stack = [0];
  while (stack.length > 0) {
    const m = stack.pop()!;
    const share = sharePercent(total[m], rootTotal);
    if (m > 0 && ((o.maxDepth !== undefined && t.depth[m] > o.maxDepth) || (o.minShare !== undefined && share < o.minShare))) {
      pruned += subtreeSize(children, m);
      continue;
    }
    rowOf[m] = rows.length + 1;
    rows.push({
      node: rows.length + 1,
      parent: m === 0 ? 0 : rowOf[t.parent[m]],
      depth: t.depth[m],
      function: label(m),
      calls: t.calls[m],
      self: t.self[m],
      total: t.total[m],
      events: t.events[m],
      totalEvents: t.totalEvents[m],
      insns: t.insns[m],
      totalInsns: t.totalInsns[m],
      share,
    });
    const kids = children[m].sort((a, b) => total[b] - total[a] || t.totalEvents[b] - t.totalEvents[a] || cmp(label(a), label(b)));
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
  return { rows, pruned };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function subtreeSize(children: number[][], m: number): number {
  let n = 0;
  const stack = [m];
  while (stack.length > 0) {
    const k = stack.pop()!;
    n++;
    for (const c of children[k]) stack.push(c);
  }
  return n;
}

const DOCS: Readonly<Record<PathDirection, { table: string; self: string; total: string }>> = {
  callees: {
    table:
      "FUNC's callees (callees FUNC): its subtree merged over every place it runs, counted from its outermost frame of each stack; depth first, heaviest child first.",
    self: 'Time charged to exactly this path (FUNC;...;function).',
    total: 'self_ns plus that of every path below: the inclusive time of this frame along this path.',
  },
  callers: {
    table:
      "FUNC's callers (callers FUNC), an inverted tree: FUNC at the root, its direct callers below it, theirs below them; each node is FUNC reached through that caller chain (its outermost frame of a stack).",
    self: "FUNC's own time (its frames' self time, recursive ones included) when reached through this caller chain.",
    total: "FUNC's inclusive time when reached through this caller chain.",
  },
};

function pathSpec(direction: PathDirection): TableSpec<PathNode> {
  const d = DOCS[direction];
  return defineTable<PathNode>({
    name: direction,
    doc: d.table,
    columns: [
      { key: 'node', kind: 'index', doc: 'Row number (1: FUNC itself); parents come before their children.', get: (r) => r.node },
      { key: 'parent', kind: 'index', doc: "The parent row's node; 0 for FUNC's row.", get: (r) => r.parent },
      { key: 'depth', kind: 'index', doc: `0 for FUNC, 1 for its direct ${direction}, 2 for theirs, ...`, get: (r) => r.depth },
      {
        key: 'function',
        kind: 'text',
        doc: 'Function or region label; FUNC\'s row: its name, or /REGEX/ for several (summary.matched names them); "[other stacks]" where the call tree was full.',
        get: (r) => r.function,
      },
      {
        key: 'calls',
        kind: 'count',
        doc:
          direction === 'callees'
            ? "Times this path's frame was entered (calls and interrupt entries; a resumed task's frames are not entered again)."
            : "Times FUNC's outermost frame was entered through this caller chain.",
        get: (r) => r.calls,
      },
      { key: 'self_ns', kind: 'duration', title: 'self', titleEvents: 'self (events)', doc: d.self, get: (r) => r.self },
      { key: 'total_ns', kind: 'duration', title: 'total', titleEvents: 'total (events)', doc: d.total, get: (r) => r.total },
      { key: 'share', kind: 'percent', doc: "The total in the run's weight (summary.weight) as a percent of FUNC's.", get: (r) => r.share },
      { key: 'events', kind: 'count', doc: 'Events counted as self_ns is.', get: (r) => r.events },
      { key: 'total_events', kind: 'count', doc: 'Events counted as total_ns is.', get: (r) => r.totalEvents },
      {
        key: 'self_insns',
        kind: 'count',
        optional: true,
        doc: 'Guest instructions counted as self_ns is (traces with -d in_asm records).',
        get: (r) => r.insns,
      },
      {
        key: 'total_insns',
        kind: 'count',
        optional: true,
        doc: 'Guest instructions counted as total_ns is (traces with -d in_asm records).',
        get: (r) => r.totalInsns,
      },
    ],
  });
}

export const CALLERS_TABLE = pathSpec('callers');
export const CALLEES_TABLE = pathSpec('callees');

/** The terminal view: total, share and self in the weight, calls, then the function indented by depth. */
export function pathView(direction: PathDirection, weight: Weight): TableSpec<PathNode> {
  const spec = direction === 'callers' ? CALLERS_TABLE : CALLEES_TABLE;
  const [total, self, title] =
    weight === 'insns' ? ['total_insns', 'self_insns', ' insns'] : weight === 'events' ? ['total_events', 'events', ' events'] : ['total_ns', 'self_ns', ''];
  const fn: ViewColumn<PathNode> = { title: 'function', cell: (r) => '  '.repeat(r.depth) + r.function };
  const titled = (key: string, t: string): ViewColumn<PathNode> => {
    const c = spec.columns.find((x) => x.key === key)!;
    return {
      key,
      title: t + title,
      titleEvents: title === '' ? `${t} (events)` : undefined,
      align: 'right',
      cell: (r, f) => (c.kind === 'duration' ? f.duration(c.get(r) as number) : f.count(c.get(r) as number)),
    };
  };
  return { ...spec, view: [titled(total, 'total'), 'share', titled(self, 'self'), 'calls', fn] };
}
