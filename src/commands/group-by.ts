/**
 * `--group-by` for the commands that report per-function costs (self-time, report, flamegraph,
 * diff): the option checked before any input is read, the grouping loaded from the run's symbols
 * (and, for file and dir, the compile units of `--vmlinux`), and applied to a run's results
 * (analyze/grouping.ts) by one call per result kind.
 */
import { promises as fsp } from 'node:fs';
import { groupCosts, groupFrames, groupTree, groupTreeMap, type EventedFrames } from '../analyze/grouping.js';
import type { FunctionCost } from '../analyze/self-time.js';
import { BootprofError, fsError } from '../io/errors.js';
import type { CallTree } from '../model/call-tree.js';
import type { Weight } from '../model/weight.js';
import type { Symbols } from '../pipeline.js';
import { readCompileUnits, type CompileUnitMap } from '../symbols/dwarf.js';
import { groupByText, Grouper, needsDwarf, parseGroupBy, type GroupBy } from '../symbols/groups.js';

export interface GroupByOptions {
  /** --group-by function|file|dir[:N]|module|region. */
  groupBy?: string;
  vmlinux?: string;
}

/**
 * The grouping asked for, or undefined (none, or `function`). file and dir without --vmlinux are a
 * usage error saying what to give, before the trace is read.
 */
export function groupByOption(o: GroupByOptions): GroupBy | undefined {
  const g = parseGroupBy(o.groupBy);
  if (!g || g.kind === 'function') return undefined;
  if (needsDwarf(g) && !o.vmlinux)
    throw new BootprofError(
      'E_USAGE',
      `--group-by ${groupByText(g)} needs the kernel's debug info: give --vmlinux VMLINUX, the vmlinux built with -g (DWARF; Debian: /usr/lib/debug/boot/vmlinux-VERSION from linux-image-VERSION-dbg)`,
    );
  return g;
}

/** The last compile units read in this process, by the file's identity: a diff of two traces reads them once. */
let memo: { key: string; units: CompileUnitMap } | null = null;

async function compileUnits(path: string): Promise<CompileUnitMap> {
  let key: string;
  try {
    const st = await fsp.stat(path);
    key = `${path}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch (err) {
    throw fsError(err, path);
  }
  if (memo?.key === key) return memo.units;
  const got = await readCompileUnits(path);
  if (!got || got.map.units.length === 0)
    throw new BootprofError('E_USAGE', `${path}: no debug info (.debug_info): --group-by file and dir need a vmlinux built with -g (CONFIG_DEBUG_INFO)`);
  memo = { key, units: got.map };
  return got.map;
}

/** The run's grouping: null without one. */
export async function loadGrouper(g: GroupBy | undefined, o: GroupByOptions, symbols: Symbols): Promise<Grouper | null> {
  if (!g) return null;
  const units = needsDwarf(g) ? await compileUnits(o.vmlinux!) : null;
  return new Grouper(g, symbols.table, units, symbols.user?.map((e) => e.label) ?? []);
}

/** The header of the functions table's first column under a grouping: `file`, `dir`, `module`, `region`. */
export function groupTitles(grouper: Grouper | null): Record<string, string> | undefined {
  return grouper ? { function: grouper.by.kind } : undefined;
}

/** A summary's `group_by` field and its line of text. */
export function groupSummary(grouper: Grouper | null): { group_by?: string } {
  return grouper ? { group_by: groupByText(grouper.by) } : {};
}

/** A call tree regrouped, with the names its frames index (the groups' labels); as is without a grouping. */
export function groupCallTree(grouper: Grouper | null, names: readonly string[], tree: CallTree): { tree: CallTree; names: readonly string[] } {
  if (!grouper) return { tree, names };
  const { ids, labels } = grouper.idsOf(names);
  return { tree: groupTree(tree, ids), names: labels };
}

/** A flame graph's tree and evented frames regrouped (frames of merged nodes left out); as is without a grouping. */
export function groupFlame(
  grouper: Grouper | null,
  names: readonly string[],
  tree: CallTree,
  frames: EventedFrames | undefined,
): { tree: CallTree; names: readonly string[]; frames: EventedFrames | undefined } {
  if (!grouper) return { tree, names, frames };
  const { ids, labels } = grouper.idsOf(names);
  const g = groupTreeMap(tree, ids);
  return { tree: g.tree, names: labels, frames: frames && groupFrames(frames, tree.parent, g.map) };
}

/**
 * A run's function rows and call tree grouped: rows summed per group, the tree regrouped, and the
 * group's inclusive totals from the regrouped tree; `names()`: what the tree's frames index. Without
 * a grouping everything is returned as is (and the run's names are not made: RunResult.names).
 */
export function groupResults(
  grouper: Grouper | null,
  run: { readonly names: readonly string[] },
  rows: FunctionCost[],
  weight: Weight,
  tree: CallTree | null,
  insns: boolean,
): { rows: FunctionCost[]; tree: CallTree | null; names: () => readonly string[] } {
  if (!grouper) return { rows, tree, names: () => run.names };
  if (!tree) return { rows: groupCosts(rows, (n) => grouper.of(n), weight), tree, names: () => run.names };
  const { tree: grouped, names: labels } = groupCallTree(grouper, run.names, tree);
  const index = new Map(labels.map((l, i) => [l, i]));
  const totals = grouped.functionTotals(labels.length);
  const totalsInsns = insns ? grouped.functionTotals(labels.length, grouped.totals(grouped.insns)) : null;
  return {
    rows: groupCosts(rows, (n) => grouper.of(n), weight, { idOf: (g) => index.get(g) ?? -1, totals, totalsInsns }),
    tree: grouped,
    names: () => labels,
  };
}
