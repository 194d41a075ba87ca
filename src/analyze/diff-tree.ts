/**
 * Two boots' call trees merged into one (the same stack of names is one node): what the differential
 * folded stacks and the HTML diff's differential flame graph are drawn from.
 */
import { CallTree, frameLabel, MAX_NODES } from '../model/call-tree.js';
import { defineTable, makeTable, type Table } from '../model/table.js';
import type { Weight } from '../model/weight.js';
import type { ProfileTree } from './diff.js';

export interface MergedTree {
  tree: CallTree;
  /** Frame names of the merged tree (`;` replaced by `:`, as folded stacks need). */
  names: string[];
  /** Per merged node: A's and B's own weight (B scaled by --normalize where the weight is time). */
  a: Float64Array;
  b: Float64Array;
}

export function mergeTrees(a: ProfileTree, b: ProfileTree, weight: Weight, scaleB: number): MergedTree {
  const tree = new CallTree(Math.min(a.count + b.count, 2 * MAX_NODES));
  const names: string[] = [];
  const nameIds = new Map<string, number>();
  const va = new Float64Array(a.count + b.count);
  const vb = new Float64Array(a.count + b.count);
  const add = (t: ProfileTree, into: Float64Array, scale: number): void => {
    const own = weight === 'insns' ? t.insns : weight === 'events' ? t.events : t.self;
    const ids = new Int32Array(t.fnNames.length);
    t.fnNames.forEach((n, i) => {
      const name = n.replace(/;/g, ':');
      let id = nameIds.get(name);
      if (id === undefined) {
        id = names.length;
        names.push(name);
        nameIds.set(name, id);
      }
      ids[i] = id;
    });
    const map = new Int32Array(t.count);
    for (let k = 1; k < t.count; k++) {
      map[k] = tree.child(map[t.parent[k]], ids[t.fn[k]]);
      into[map[k]] += own[k] * scale;
    }
  };
  add(a, va, 1);
  add(b, vb, weight === 'time' ? scaleB : 1);
  return { tree, names, a: va, b: vb };
}

interface DiffNode {
  node: number;
  parent: number;
  fn: string;
  a: number;
  b: number;
}

export const CALL_TREE_DIFF_TABLE = defineTable<DiffNode>({
  name: 'call_tree_diff',
  doc: "Both boots' call trees merged (one node per stack of names), parents before children, with each side's inclusive weight.",
  columns: [
    { key: 'node', kind: 'index', doc: 'Node id (1, 2, ...).', get: (r) => r.node },
    { key: 'parent', kind: 'index', doc: "The caller's node id; 0 for an outermost frame.", get: (r) => r.parent },
    { key: 'function', kind: 'text', doc: 'Function or region label of the frame.', get: (r) => r.fn },
    { key: 'a_total', kind: 'count', doc: "A's weight in this node and below (the diff's weight: ns, instructions or events).", get: (r) => r.a },
    { key: 'b_total', kind: 'count', doc: "B's, the same way.", get: (r) => r.b },
  ],
});

/** The merged tree as a table with inclusive weights, rounded to integers. */
export function mergedTreeTable(m: MergedTree): Table<DiffNode> {
  const n = m.tree.count;
  const ta = m.tree.totals(m.a);
  const tb = m.tree.totals(m.b);
  const rows: DiffNode[] = [];
  for (let k = 1; k < n; k++)
    rows.push({ node: k, parent: m.tree.parent[k], fn: frameLabel(m.names, m.tree.fn[k]), a: Math.round(ta[k]), b: Math.round(tb[k]) });
  return makeTable(CALL_TREE_DIFF_TABLE, rows);
}
