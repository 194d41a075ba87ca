/**
 * The call tree as a prefix tree of call nodes, Firefox-Profiler style: one node per distinct stack
 * (never per event), stored in parallel typed arrays.
 *
 *  parent       node id of the caller's node; -1 for the root
 *  fn           name id (model/names.ts) of the frame's function or region
 *  depth        0 for the root, 1 for the outermost frames
 *  firstChild / nextSibling   the children of a node, most recently created first
 *  self         time charged to exactly this stack (ns, or events in untimed traces)
 *
 * Node 0 is a virtual root (fn -1) whose children are the outermost frames. A child is found by an
 * open-addressing hash of (parent, fn) -> node. Parents are always created before their children,
 * so subtree totals are one reverse pass over the nodes.
 */
import { grow } from '../analyze/analysis.js';

export const ROOT_NODE = 0;

export class CallTree {
  parent = new Int32Array(1024);
  fn = new Int32Array(1024);
  depth = new Uint16Array(1024);
  firstChild = new Int32Array(1024).fill(-1);
  nextSibling = new Int32Array(1024).fill(-1);
  self = new Float64Array(1024);
  /** Number of nodes, the root included. */
  count = 1;
  private table = new Int32Array(4096).fill(-1);
  private mask = 4095;

  constructor() {
    this.parent[0] = -1;
    this.fn[0] = -1;
  }

  private static hash(parent: number, fn: number): number {
    return Math.imul(parent ^ Math.imul(fn, 0x9e3779b1), 0x85ebca6b) ^ (parent >>> 7);
  }

  /** The node for `fn` called from `parent`, created on first use. */
  child(parent: number, fn: number): number {
    const table = this.table;
    const mask = this.mask;
    let h = CallTree.hash(parent, fn) & mask;
    for (;;) {
      const n = table[h];
      if (n < 0) break;
      if (this.parent[n] === parent && this.fn[n] === fn) return n;
      h = (h + 1) & mask;
    }
    const n = this.count++;
    if (n >= this.parent.length) {
      this.parent = grow(this.parent, n);
      this.fn = grow(this.fn, n);
      this.firstChild = grow(this.firstChild, n, -1);
      this.nextSibling = grow(this.nextSibling, n, -1);
      this.self = grow(this.self, n);
      const d = new Uint16Array(this.parent.length);
      d.set(this.depth);
      this.depth = d;
    }
    this.parent[n] = parent;
    this.fn[n] = fn;
    this.depth[n] = parent < 0 ? 0 : Math.min(this.depth[parent] + 1, 0xffff);
    this.nextSibling[n] = this.firstChild[parent];
    this.firstChild[parent] = n;
    table[h] = n;
    if (this.count * 2 > table.length) this.rehash();
    return n;
  }

  private rehash(): void {
    const size = this.table.length * 2;
    const table = new Int32Array(size).fill(-1);
    const mask = size - 1;
    for (let n = 1; n < this.count; n++) {
      let h = CallTree.hash(this.parent[n], this.fn[n]) & mask;
      while (table[h] >= 0) h = (h + 1) & mask;
      table[h] = n;
    }
    this.table = table;
    this.mask = mask;
  }

  /** Inclusive time of every node: self plus all descendants (one reverse pass). */
  totals(): Float64Array {
    const t = new Float64Array(this.count);
    t.set(this.self.subarray(0, this.count));
    for (let n = this.count - 1; n > 0; n--) t[this.parent[n]] += t[n];
    return t;
  }

  /** Name ids from the outermost frame to `node`. */
  path(node: number): number[] {
    const out: number[] = [];
    for (let n = node; n > 0; n = this.parent[n]) out.push(this.fn[n]);
    return out.reverse();
  }

  /**
   * Inclusive time per name id, a recursive function counted once per stack: the sum of the totals
   * of the nodes of `id` that have no ancestor of the same name. Iterative depth-first walk.
   */
  functionTotals(nameCount: number, totals: Float64Array = this.totals()): Float64Array {
    const out = new Float64Array(nameCount);
    const onPath = new Int32Array(nameCount);
    const stack: number[] = [];
    for (let c = this.firstChild[0]; c >= 0; c = this.nextSibling[c]) stack.push(c);
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n < 0) {
        const g = this.fn[~n];
        if (g < nameCount) onPath[g]--;
        continue;
      }
      const f = this.fn[n];
      if (f < nameCount) {
        if (onPath[f] === 0) out[f] += totals[n];
        onPath[f]++;
      }
      stack.push(~n);
      for (let c = this.firstChild[n]; c >= 0; c = this.nextSibling[c]) stack.push(c);
    }
    return out;
  }
}
