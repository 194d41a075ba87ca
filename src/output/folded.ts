/**
 * Folded stacks (`frame;frame;leaf VALUE`, root first, integer self time), the input of
 * flamegraph.pl, inferno and speedscope; and the folding of short frames into their parents that
 * every flame-graph output shares.
 */
import { frameLabel, type CallTree } from '../model/call-tree.js';

export interface Folding {
  /** Frames whose total is below this fold into their parent (outermost frames are always kept). */
  threshold: number;
  /** Per node: 1 when it stays a frame of its own. */
  kept: Uint8Array;
  /** Per node: self time after folding (its own plus that of folded descendants). */
  self: Float64Array;
  /** Nodes folded away and the time they carried. */
  foldedNodes: number;
  foldedTime: number;
}

/** Folds nodes whose total is below `threshold`; `own`: the weight's self values (default: time). */
export function foldTree(tree: CallTree, totals: Float64Array, threshold: number, own: Float64Array = tree.self): Folding {
  const n = tree.count;
  const kept = new Uint8Array(n);
  const self = new Float64Array(n);
  self.set(own.subarray(0, n));
  let foldedNodes = 0;
  let foldedTime = 0;
  for (let k = 1; k < n; k++) kept[k] = tree.depth[k] <= 1 || totals[k] >= threshold ? 1 : 0;
  for (let k = n - 1; k > 0; k--) {
    if (kept[k]) continue;
    foldedNodes++;
    foldedTime += own[k];
    self[tree.parent[k]] += self[k];
    self[k] = 0;
  }
  return { threshold, kept, self, foldedNodes, foldedTime };
}

/** Characters of each node's folded path (`a;b;c`). */
function pathLengths(tree: CallTree, names: readonly string[]): Float64Array {
  const len = new Float64Array(tree.count);
  for (let k = 1; k < tree.count; k++) {
    const p = tree.parent[k];
    len[k] = (p > 0 ? len[p] + 1 : 0) + frameLabel(names, tree.fn[k]).length;
  }
  return len;
}

/**
 * The smallest threshold (a total of some node, or 0) for which the output stays under `budget`
 * bytes, estimating each kept node at `perNode(node, pathLength)` bytes.
 */
export function chooseThreshold(
  tree: CallTree,
  totals: Float64Array,
  names: readonly string[],
  budget: number,
  perNode: (node: number, pathLength: number) => number,
): number {
  const n = tree.count;
  const plen = pathLengths(tree, names);
  const cost = new Float64Array(n);
  let all = 0;
  for (let k = 1; k < n; k++) {
    cost[k] = perNode(k, plen[k]);
    all += cost[k];
  }
  if (all <= budget) return 0;
  // nodes by total, largest first; keep them while the budget allows (outermost frames always count)
  const order = new Uint32Array(n - 1);
  for (let k = 1; k < n; k++) order[k - 1] = k;
  order.sort((a, b) => totals[b] - totals[a]);
  let used = 0;
  for (let k = 1; k < n; k++) if (tree.depth[k] <= 1) used += cost[k];
  let i = 0;
  while (i < order.length) {
    // all nodes sharing one total are kept or folded together
    let j = i;
    let add = 0;
    while (j < order.length && totals[order[j]] === totals[order[i]]) {
      if (tree.depth[order[j]] > 1) add += cost[order[j]];
      j++;
    }
    if (used + add > budget) return Math.max(totals[order[i]] + 1, 1);
    used += add;
    i = j;
  }
  return 0;
}

function frameName(names: readonly string[], id: number): string {
  const s = frameLabel(names, id);
  return s.includes(';') ? s.replace(/;/g, ':') : s;
}

/** Folded lines, sorted, for every kept node with self time after folding. */
export function foldedLines(tree: CallTree, names: readonly string[], fold: Folding): string[] {
  const n = tree.count;
  const path: string[] = new Array(n);
  path[0] = '';
  const lines: string[] = [];
  for (let k = 1; k < n; k++) {
    if (!fold.kept[k]) continue;
    const p = tree.parent[k];
    path[k] = p > 0 ? path[p] + ';' + frameName(names, tree.fn[k]) : frameName(names, tree.fn[k]);
    const v = Math.round(fold.self[k]);
    if (v > 0) lines.push(path[k] + ' ' + v);
  }
  lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return lines;
}

/** Estimated bytes of one folded line. */
export function foldedLineBytes(_node: number, pathLength: number): number {
  return pathLength + 12;
}
