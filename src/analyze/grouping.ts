/**
 * Results regrouped by `--group-by` (symbols/groups.ts): the functions table's rows summed per
 * group, and call trees with every frame replaced by its group, a frame of the same group as its
 * caller merged into it (as `perf report --sort dso` folds a stack's adjacent frames of one DSO).
 * Nothing is resolved again: the groups are a mapping of the run's names, applied to its results.
 * Sums of integers below 2^53 are exact, so the groups add up to the run's totals exactly.
 */
import { CallTree, OTHER_STACKS } from '../model/call-tree.js';
import type { Weight } from '../model/weight.js';
import { sharePercent } from '../model/table.js';
import type { FunctionCost } from './self-time.js';
import type { BootProfile, FunctionCosts, ProfileTree } from './diff.js';
import type { Grouper } from '../symbols/groups.js';

/** The columns of a call tree that regrouping reads (a CallTree, or a saved profile's tree). */
export interface TreeColumns {
  count: number;
  parent: Int32Array;
  fn: Int32Array;
  self: Float64Array;
  events: Float64Array;
  insns: Float64Array;
}

/**
 * `tree` with every frame's name id `f` replaced by `group[f]` and a frame of its caller's group
 * merged into the caller: self, events and instructions move to the merged node, so every node's
 * value lands on exactly one node of the result. `[other stacks]` stays itself. Parents come
 * before their children in both trees (node order), so one forward pass does it.
 */
export function groupTree(tree: TreeColumns, group: Int32Array): CallTree {
  return groupTreeMap(tree, group).tree;
}

/** groupTree, with the node of the result each node of `tree` went to (`map[node]`). */
export function groupTreeMap(tree: TreeColumns, group: Int32Array): { tree: CallTree; map: Int32Array } {
  // room for every node without folding: a new stack folds once 7/8 of the limit is used
  const out = new CallTree(Math.ceil((tree.count * 8) / 7) + 16);
  const map = new Int32Array(tree.count);
  map[0] = 0;
  for (let n = 1; n < tree.count; n++) {
    const f = tree.fn[n];
    const g = f === OTHER_STACKS || f < 0 || f >= group.length ? f : group[f];
    const p = map[tree.parent[n]];
    const m = p !== 0 && out.fn[p] === g ? p : out.child(p, g);
    map[n] = m;
    if (tree.self.length > n) {
      out.self[m] += tree.self[n];
      out.events[m] += tree.events[n];
      out.insns[m] += tree.insns[n];
    }
  }
  return { tree: out, map };
}

/** What the evented writers read of a FrameRecorder (analyze/frames.ts). */
export interface EventedFrames {
  readonly vcpus: number;
  events(cpu: number): { at: Float64Array; ev: Int32Array; count: number; start: number; end: number };
}

/**
 * Evented frames of a regrouped tree: each frame's node becomes the node it went to (`map`), and
 * the frames merged into their caller's node are left out (their time is inside the caller's frame).
 */
export function groupFrames(frames: EventedFrames, parent: Int32Array, map: Int32Array): EventedFrames {
  return {
    vcpus: frames.vcpus,
    events(cpu) {
      const e = frames.events(cpu);
      const at = new Float64Array(e.count);
      const ev = new Int32Array(e.count);
      let count = 0;
      for (let i = 0; i < e.count; i++) {
        const x = e.ev[i];
        const node = x >= 0 ? x : ~x;
        const m = map[node];
        if (m === map[parent[node]]) continue;
        at[count] = e.at[i];
        ev[count++] = x >= 0 ? m : ~m;
      }
      return { at, ev, count, start: e.start, end: e.end };
    },
  };
}

/**
 * The functions table's rows summed per group (`groupOf(row.function)`), sorted as the functions
 * are (by the weight, then events, self time, name), shares recomputed from the same totals;
 * inclusive columns from a regrouped tree's functionTotals (`totals[groupId]`, with `idOf`).
 */
export function groupCosts(
  rows: readonly FunctionCost[],
  groupOf: (name: string) => string,
  weight: Weight,
  inclusive: { idOf: (group: string) => number; totals: Float64Array | null; totalsInsns: Float64Array | null } | null = null,
): FunctionCost[] {
  const by = new Map<string, FunctionCost>();
  let total = 0;
  let allInsns = 0;
  for (const r of rows) {
    const g = groupOf(r.function);
    let s = by.get(g);
    if (!s) by.set(g, (s = { function: g, self: 0, total: 0, share: 0, events: 0, selfInsns: 0, totalInsns: 0, insnsShare: 0 }));
    s.self += r.self;
    s.events += r.events;
    s.selfInsns += r.selfInsns;
    total += r.self;
    allInsns += r.selfInsns;
  }
  const out = [...by.values()];
  for (const s of out) {
    s.share = sharePercent(s.self, total);
    s.insnsShare = sharePercent(s.selfInsns, allInsns);
    if (inclusive) {
      const id = inclusive.idOf(s.function);
      s.total = inclusive.totals && id >= 0 ? inclusive.totals[id] : 0;
      s.totalInsns = inclusive.totalsInsns && id >= 0 ? inclusive.totalsInsns[id] : 0;
    }
  }
  const key = weight === 'insns' ? (r: FunctionCost) => r.selfInsns : weight === 'events' ? (r: FunctionCost) => r.events : (r: FunctionCost) => r.self;
  out.sort((a, b) => key(b) - key(a) || b.events - a.events || b.self - a.self || (a.function < b.function ? -1 : a.function > b.function ? 1 : 0));
  return out;
}

/**
 * A saved profile's functions and call tree grouped (a diff side read from a report saved without
 * --group-by): the functions' sums per group, the tree regrouped, inclusive columns from it.
 */
export function groupProfile(p: BootProfile, grouper: Pick<Grouper, 'of' | 'idsOf'>, groupBy: string): BootProfile {
  const functions = new Map<string, FunctionCosts>();
  for (const [name, c] of p.functions) {
    const g = grouper.of(name);
    const s = functions.get(g);
    if (s) {
      s.self += c.self;
      s.events += c.events;
      s.insns += c.insns;
    } else functions.set(g, { self: c.self, total: 0, events: c.events, insns: c.insns, totalInsns: 0 });
  }
  let tree: ProfileTree | null = null;
  if (p.tree) {
    const { ids, labels } = grouper.idsOf(p.tree.fnNames);
    const index = new Map(labels.map((g, k) => [g, k]));
    const t = groupTree(p.tree, ids);
    const totals = t.functionTotals(labels.length);
    const totalsInsns = t.functionTotals(labels.length, t.totals(t.insns));
    for (const [g, c] of functions) {
      const k = index.get(g);
      if (k === undefined) continue;
      c.total = totals[k];
      c.totalInsns = p.insns ? totalsInsns[k] : 0;
    }
    const n = t.count;
    tree = {
      count: n,
      parent: t.parent.slice(0, n),
      fn: t.fn.slice(0, n),
      fnNames: labels,
      self: t.self.slice(0, n),
      events: t.events.slice(0, n),
      insns: t.insns.slice(0, n),
    };
  }
  return { ...p, functions, tree, groupBy };
}
