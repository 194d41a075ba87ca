/**
 * The reconstructed call tree as a table (`report --stacks` writes it, `diff` reads it back): one row
 * per call node, parents before children, so a reader rebuilds the tree in one pass.
 */
import { frameLabel, type CallTree } from '../model/call-tree.js';
import { defineTable, makeTable, type Table, type TableSpec } from '../model/table.js';

/** What a row (a node id) is read from. */
export interface CallTreeView {
  tree: CallTree;
  names: readonly string[];
  /** Inclusive time per node (tree.totals()). */
  totals: Float64Array;
  /** Inclusive instructions per node, or null without translation records. */
  insnsTotals: Float64Array | null;
}

/** The table's declaration, its getters reading `v` (null: for docs, no rows). */
export function callTreeSpec(v: CallTreeView | null): TableSpec<number> {
  const t = (): CallTreeView => v!;
  return defineTable<number>({
    name: 'call_tree',
    doc: 'Every node of the reconstructed call tree (one per distinct stack), parents before children: read in order, each row hangs under an earlier one.',
    columns: [
      { key: 'node', kind: 'index', doc: 'Node id (1, 2, ...), in creation order.', get: (n) => n },
      { key: 'parent', kind: 'index', doc: "The caller's node id; 0 for an outermost frame.", get: (n) => t().tree.parent[n] },
      {
        key: 'function',
        kind: 'text',
        doc: 'Function or region label of the frame ([other stacks] where the tree was full).',
        get: (n) => frameLabel(t().names, t().tree.fn[n]),
      },
      { key: 'self_ns', kind: 'duration', doc: 'Time charged to exactly this stack.', get: (n) => t().tree.self[n] },
      { key: 'total_ns', kind: 'duration', doc: 'self_ns plus that of every node below.', get: (n) => t().totals[n] },
      { key: 'events', kind: 'count', doc: 'Events charged to exactly this stack.', get: (n) => t().tree.events[n] },
      { key: 'self_insns', kind: 'count', optional: true, doc: 'Instructions of those events (traces with -d in_asm records).', get: (n) => t().tree.insns[n] },
      { key: 'total_insns', kind: 'count', optional: true, doc: 'self_insns plus that of every node below.', get: (n) => t().insnsTotals?.[n] ?? 0 },
    ],
  });
}

export const CALL_TREE_TABLE = callTreeSpec(null);

/** The table of `v`'s nodes (the root left out). */
export function callTreeTable(v: CallTreeView): Table<number> {
  const rows: number[] = new Array(v.tree.count - 1);
  for (let n = 1; n < v.tree.count; n++) rows[n - 1] = n;
  return makeTable(callTreeSpec(v), rows, { include: v.insnsTotals ? ['self_insns', 'total_insns'] : [] });
}
