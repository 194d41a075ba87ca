/**
 * The call tree as a prefix tree of call nodes, Firefox-Profiler style: one node per distinct stack
 * (never per event), stored in parallel typed arrays.
 *
 *  parent       node id of the caller's node; -1 for the root
 *  fn           name id (model/names.ts) of the frame's function or region
 *  depth        0 for the root, 1 for the outermost frames
 *  firstChild / nextSibling   the children of a node, most recently created first
 *  self         time charged to exactly this stack (ns, or events in untimed traces)
 *  events       events charged to it; insns: their blocks' instructions (traces with translation records)
 *
 * Node 0 is a virtual root (fn -1) whose children are the outermost frames. A child is found by an
 * open-addressing hash of (parent, fn) -> node. Parents are always created before their children,
 * so subtree totals are one reverse pass over the nodes.
 *
 * Bounded: at most `limit` nodes (MAX_NODES by default). Once `limit - limit / 8` nodes exist, a
 * stack that has no node yet is folded into an `[other stacks]` node (fn OTHER_STACKS) under its
 * parent, created from the remaining eighth; deeper frames of a folded stack stay in that node, and
 * when the reserve too is used up a new stack is charged to its parent itself (the deepest existing
 * ancestor). Time is never lost: every event's time lands on some node, so the tree's self times
 * still add up to the flat self time exactly; `folded` counts the stack entries that were folded.
 */
import { resized, type NumericArray } from './typed-array.js';
import type { Weight } from './weight.js';

export const ROOT_NODE = 0;
/** Call nodes the tree may hold (~42 bytes each: 168 MiB of columns and hash table at the limit). */
export const MAX_NODES = 1 << 22;
/** Name id of the node new stacks are folded into once the tree is full (not an index into the names). */
export const OTHER_STACKS = -2;
export const OTHER_STACKS_LABEL = '[other stacks]';

/** A frame's display name: its function's, `[other stacks]` for a folded part. */
export function frameLabel(names: readonly string[], id: number): string {
  return id === OTHER_STACKS ? OTHER_STACKS_LABEL : (names[id] ?? `[name ${id}]`);
}

export class CallTree {
  parent = new Int32Array(1024);
  fn = new Int32Array(1024);
  depth = new Uint16Array(1024);
  firstChild = new Int32Array(1024).fill(-1);
  nextSibling = new Int32Array(1024).fill(-1);
  self = new Float64Array(1024);
  events = new Float64Array(1024);
  insns = new Float64Array(1024);
  /** Number of nodes, the root included. */
  count = 1;
  private table = new Int32Array(4096).fill(-1);
  private mask = 4095;
  /** Stack entries folded into `[other stacks]` (or an ancestor) because the tree was full. */
  folded = 0;
  /** New stacks get nodes while count < open; the rest of `limit` is for `[other stacks]` nodes. */
  private readonly open: number;

  /**
   * `limit`: the most nodes the tree holds, the root included (tests make it small). `weighted`
   * false: the tree keeps its shape only (self, events and insns stay empty): 26 bytes a node
   * instead of 50, for callers that read calls and returns (initcalls).
   */
  constructor(
    readonly limit: number = MAX_NODES,
    readonly weighted = true,
  ) {
    if (!weighted) this.self = this.events = this.insns = new Float64Array(0);
    this.parent[0] = -1;
    this.fn[0] = -1;
    this.open = Math.max(2, limit - (limit >>> 3));
  }

  private static hash(parent: number, fn: number): number {
    return Math.imul(parent ^ Math.imul(fn, 0x9e3779b1), 0x85ebca6b) ^ (parent >>> 7);
  }

  /**
   * The node for `fn` called from `parent`, created on first use; once the tree is full, the
   * `[other stacks]` node under `parent` (or `parent` itself).
   */
  child(parent: number, fn: number): number {
    const n = this.find(parent, fn);
    if (n >= 0) return n;
    if (this.count < this.open) return this.add(parent, fn);
    this.folded++;
    if (this.fn[parent] === OTHER_STACKS) return parent;
    const o = this.find(parent, OTHER_STACKS);
    if (o >= 0) return o;
    return this.count < this.limit ? this.add(parent, OTHER_STACKS) : parent;
  }

  private find(parent: number, fn: number): number {
    const table = this.table;
    const mask = this.mask;
    let h = CallTree.hash(parent, fn) & mask;
    for (;;) {
      const n = table[h];
      if (n < 0) return -1;
      if (this.parent[n] === parent && this.fn[n] === fn) return n;
      h = (h + 1) & mask;
    }
  }

  private add(parent: number, fn: number): number {
    const n = this.count++;
    if (n >= this.parent.length) this.resize(Math.min(this.parent.length * 2, Math.max(this.limit, n + 1)));
    this.parent[n] = parent;
    this.fn[n] = fn;
    this.depth[n] = parent < 0 ? 0 : Math.min(this.depth[parent] + 1, 0xffff);
    this.nextSibling[n] = this.firstChild[parent];
    this.firstChild[parent] = n;
    const mask = this.mask;
    let h = CallTree.hash(parent, fn) & mask;
    while (this.table[h] >= 0) h = (h + 1) & mask;
    this.table[h] = n;
    if (this.count * 2 > this.table.length) this.rehash();
    return n;
  }

  private resize(len: number): void {
    const copy = <T extends NumericArray>(a: T, fill: number): T => resized(a, len, fill);
    this.parent = copy(this.parent, 0);
    this.fn = copy(this.fn, 0);
    this.depth = copy(this.depth, 0);
    this.firstChild = copy(this.firstChild, -1);
    this.nextSibling = copy(this.nextSibling, -1);
    if (!this.weighted) return;
    this.self = copy(this.self, 0);
    this.events = copy(this.events, 0);
    this.insns = copy(this.insns, 0);
  }

  /** The self values of a weight: time (ns, or events untimed), instructions or events. */
  selfOf(weight: Weight): Float64Array {
    return weight === 'insns' ? this.insns : weight === 'events' ? this.events : this.self;
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

  /** Inclusive value of every node (time by default): self plus all descendants (one reverse pass). */
  totals(self: Float64Array = this.self): Float64Array {
    const t = new Float64Array(this.count);
    t.set(self.subarray(0, this.count));
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
   * of the nodes of `id` that have no ancestor of the same name. Iterative depth-first walk. Frames
   * folded into `[other stacks]` count in their kept ancestors' totals only.
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
        if (g >= 0 && g < nameCount) onPath[g]--;
        continue;
      }
      const f = this.fn[n];
      if (f >= 0 && f < nameCount) {
        if (onPath[f] === 0) out[f] += totals[n];
        onPath[f]++;
      }
      stack.push(~n);
      for (let c = this.firstChild[n]; c >= 0; c = this.nextSibling[c]) stack.push(c);
    }
    return out;
  }
}
