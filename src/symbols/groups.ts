/**
 * `--group-by`: which group each function (or region label) belongs to, by name. Results are
 * grouped after the pass (analyze/grouping.ts): every name id of the run maps to one group, so
 * group totals are sums of the functions' and add up to the run's total exactly.
 *
 * - `function`: no grouping (the default).
 * - `file`: the source file of the compile unit whose address ranges hold the function's address
 *   (DWARF of `--vmlinux`: dwarf.ts), relative to the source tree's root; `dir`: its directory;
 *   `dir:N`: the first N components of that directory (`dir:1`: `arch`, `dir:2`: `arch/x86`).
 * - `module`: a kallsyms module symbol's module (`name [e1000]` -> `e1000`); every other function
 *   is the core kernel, `vmlinux`.
 * - `region`: where the code sits: kernel text by the map's marks (`.text` from `_text` to `_etext`,
 *   `.init.text` from `_sinittext` to `_einittext`, `[other kernel text]` elsewhere), `[modules]`
 *   for module symbols.
 *
 * A `--user-elf` program's function (`init:main`) groups as the program (`module`: `init`), user
 * space (`region`: `[user]`) or `[user init]` (`file`, `dir`).
 * In every grouping a region label (`[user]`, `[firmware]`, `[boot]`, `[unknown]`, `[kernel]`,
 * `[other stacks]`) stays itself. A function in no compile unit (a static-call trampoline, code
 * built without -g) is `[no debug info]`; a module function `[module NAME]` (modules are not in
 * vmlinux's DWARF); a name not in the symbol table (a pre-resolved trace's own names) `[no address]`.
 * Same-named static functions are one row (one name id): when their copies fall in different groups
 * the name goes to `[several]`.
 */
import { posix } from 'node:path';
import { BootprofError } from '../io/errors.js';
import { OTHER_STACKS_LABEL } from '../model/call-tree.js';
import { REGION_LABELS } from '../model/names.js';
import type { CompileUnitMap } from './dwarf.js';
import type { SymbolTable } from './table.js';

export const GROUP_KINDS = ['function', 'file', 'dir', 'module', 'region'] as const;
export type GroupKind = (typeof GROUP_KINDS)[number];

export interface GroupBy {
  kind: GroupKind;
  /** dir:N: components kept (0: the whole directory). */
  depth: number;
}

export const NO_DEBUG_INFO = '[no debug info]';
export const NO_ADDRESS = '[no address]';
export const SEVERAL = '[several]';
export const CORE_KERNEL = 'vmlinux';
export const MODULES = '[modules]';
export const OTHER_KERNEL_TEXT = '[other kernel text]';

/** --group-by function|file|dir[:N]|module|region; undefined: not given. */
export function parseGroupBy(v: string | undefined): GroupBy | undefined {
  if (v === undefined) return undefined;
  const m = /^(function|file|dir|module|region)(?::([0-9]+))?$/.exec(v);
  if (!m || (m[2] !== undefined && (m[1] !== 'dir' || Number(m[2]) < 1)))
    throw new BootprofError('E_USAGE', `--group-by takes function, file, dir, dir:N (N >= 1), module or region (got '${v}')`);
  return { kind: m[1] as GroupKind, depth: m[2] !== undefined ? Number(m[2]) : 0 };
}

/** Whether the grouping needs a vmlinux with DWARF. */
export function needsDwarf(g: GroupBy): boolean {
  return g.kind === 'file' || g.kind === 'dir';
}

/** The spelling of a grouping: `file`, `dir:2`. */
export function groupByText(g: GroupBy): string {
  return g.depth > 0 ? `${g.kind}:${g.depth}` : g.kind;
}

/** The module of a kallsyms module symbol (`name [mod]`), or null. */
export function moduleOf(name: string): string | null {
  const m = / \[([^\]]+)\]$/.exec(name);
  return m ? m[1] : null;
}

/** `dir` of a source file: its directory, or its first `depth` components (0: all of it). */
export function dirGroup(file: string, depth: number): string {
  const dir = posix.dirname(file);
  if (depth === 0 || dir === '.' || dir === '/') return dir;
  const abs = dir.startsWith('/');
  const parts = (abs ? dir.slice(1) : dir).split('/');
  return (abs ? '/' : '') + parts.slice(0, depth).join('/');
}

const LABELS = new Set([...REGION_LABELS, OTHER_STACKS_LABEL]);

/** Names to groups for one run: `of(name)`, memoized. */
export class Grouper {
  private memo = new Map<string, string>();
  private addrs: Map<string, number[]> | null = null;

  constructor(
    readonly by: GroupBy,
    private readonly table: SymbolTable | null,
    private readonly units: CompileUnitMap | null,
    /** `--user-elf` programs' labels (their functions are `LABEL:function`, symbols/user-elf.ts). */
    private readonly userLabels: readonly string[] = [],
  ) {
    if (needsDwarf(by) && !units) throw new BootprofError('E_USAGE', `--group-by ${groupByText(by)} needs a vmlinux with debug info (DWARF)`);
  }

  /** The group of a function or region label. */
  of(name: string): string {
    let g = this.memo.get(name);
    if (g === undefined) {
      g = this.compute(name);
      this.memo.set(name, g);
    }
    return g;
  }

  private compute(name: string): string {
    if (this.by.kind === 'function' || LABELS.has(name)) return name;
    // a user-space program's function: the program (module), user space (region), `[user PROGRAM]` (file, dir)
    const colon = name.indexOf(':');
    if (colon > 0 && this.userLabels.includes(name.slice(0, colon))) {
      const label = name.slice(0, colon);
      return this.by.kind === 'module' ? label : this.by.kind === 'region' ? '[user]' : `[user ${label}]`;
    }
    const mod = moduleOf(name);
    if (this.by.kind === 'module') return mod ?? CORE_KERNEL;
    if (mod !== null) return this.by.kind === 'region' ? MODULES : `[module ${mod}]`;
    const keys = this.addresses().get(name);
    if (!keys) return NO_ADDRESS;
    let group: string | null = null;
    for (const key of keys) {
      const g = this.by.kind === 'region' ? this.section(key) : this.fileGroup(key);
      if (group === null) group = g;
      else if (g !== group) return SEVERAL;
    }
    return group ?? NO_ADDRESS;
  }

  private fileGroup(key: number): string {
    const u = this.units!.unitAt(key);
    if (!u) return NO_DEBUG_INFO;
    return this.by.kind === 'file' ? u.file : dirGroup(u.file, this.by.depth);
  }

  private section(key: number): string {
    const m = this.table?.marks;
    if (!m) return OTHER_KERNEL_TEXT;
    if (key >= m._text && key < m._etext) return '.text';
    if (key >= m._sinittext && key < m._einittext) return '.init.text';
    return OTHER_KERNEL_TEXT;
  }

  /** Name -> the address keys where a text symbol of that name starts (made once). */
  private addresses(): Map<string, number[]> {
    if (this.addrs) return this.addrs;
    const out = new Map<string, number[]>();
    const t = this.table;
    if (t) {
      const names = t.names;
      for (let i = 0; i < t.fnAt.length; i++) {
        const id = t.fnAt[i];
        if (id < 0) continue;
        const n = names[id];
        const list = out.get(n);
        if (list) list.push(t.addrs[i]);
        else out.set(n, [t.addrs[i]]);
      }
    }
    return (this.addrs = out);
  }

  /**
   * Group ids for name ids 0..names.length-1 (`ids[nameId]`), and the groups' labels: what a call
   * tree is regrouped with (analyze/grouping.ts).
   */
  idsOf(names: readonly string[]): { ids: Int32Array; labels: string[] } {
    const ids = new Int32Array(names.length);
    const labels: string[] = [];
    const index = new Map<string, number>();
    for (let i = 0; i < names.length; i++) {
      const g = this.of(names[i]);
      let k = index.get(g);
      if (k === undefined) {
        k = labels.length;
        labels.push(g);
        index.set(g, k);
      }
      ids[i] = k;
    }
    return { ids, labels };
  }
}
