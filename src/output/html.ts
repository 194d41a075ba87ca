/**
 * The HTML writer: one self-contained page (the page's script and styles inlined, the data inlined
 * as JSON, a Content-Security-Policy that allows no request of any kind) that draws whatever tables
 * a document has: the boot at a glance (phases, milestones), per-vCPU lanes (initcalls, system
 * calls), a flame graph of the call tree, and every table sortable and filterable. The page's code is
 * web/report.ts, bundled with its libraries (d3 modules, d3-flame-graph) by scripts/build-web.mjs.
 *
 * The page carries aggregates, never events: its size depends on the number of functions, initcalls
 * and call-tree nodes kept (at most MAX_FLAME_NODES), not on the trace's.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { columnsOf, type ResultDocument, type Table } from '../model/table.js';
import type { FlameData, PageData, PageTable } from './page-data.js';

export type { FlameData, PageData, PageTable } from './page-data.js';

/** Call-tree nodes the page's flame graph keeps, the heaviest (by the weight) first; the rest is left out. */
export const MAX_FLAME_NODES = 40_000;
/** ... and never a node under this share of the whole (1/10,000: under a pixel on any screen). */
export const MIN_FLAME_SHARE = 1e-4;

// dist/web from dist/output (the package) and from src/output (tests run the sources)
const WEB = new URL('../../dist/web/', import.meta.url);

function asset(name: string): string {
  try {
    return readFileSync(new URL(name, WEB), 'utf8');
  } catch {
    throw new Error(`the HTML report's page code is missing (dist/web/${name}): run npm run build`);
  }
}

function pageTable(t: Table): PageTable {
  const cols = columnsOf(t);
  return {
    name: t.spec.name,
    doc: t.spec.doc,
    columns: cols.map((c) => ({ key: c.key, kind: c.kind, doc: c.doc })),
    rows: t.rows.map((r) => cols.map((c) => c.get(r))),
  };
}

/**
 * Cuts a call-tree table (rows parents first: node, parent, function, a value column) to the nodes
 * the flame graph draws: the heaviest MAX_FLAME_NODES at or over MIN_FLAME_SHARE of the whole, each
 * under a kept parent. `value` and (diff) `a` name the columns.
 */
export function flameData(t: Table, valueKey: string, aKey?: string): FlameData {
  const cols = columnsOf(t);
  const get = (key: string) => cols.find((c) => c.key === key)!.get;
  const node = get('node');
  const parent = get('parent');
  const fn = get('function');
  const value = get(valueKey);
  const aValue = aKey ? get(aKey) : null;
  const n = t.rows.length;
  const v = new Float64Array(n);
  const a = new Float64Array(n);
  let total = 0;
  let totalA = 0;
  for (let i = 0; i < n; i++) {
    v[i] = Number(value(t.rows[i])) || 0;
    if (aValue) a[i] = Number(aValue(t.rows[i])) || 0;
    if (Number(parent(t.rows[i])) === 0) {
      total += v[i];
      totalA += a[i];
    }
  }
  const key = new Float64Array(n);
  for (let i = 0; i < n; i++) key[i] = Math.max(v[i], a[i]);
  let threshold = Math.max(total, totalA) * MIN_FLAME_SHARE;
  if (n > MAX_FLAME_NODES) {
    const sorted = Float64Array.from(key).sort();
    threshold = Math.max(threshold, sorted[n - MAX_FLAME_NODES]);
  }
  const at = new Map<number, number>(); // node id -> kept index
  const out: FlameData = { weight: valueKey, names: [], parent: [], name: [], value: [], nodes: n, kept: 0, total };
  if (aKey) out.delta = [];
  const nameIds = new Map<string, number>();
  for (let i = 0; i < n && out.parent.length < MAX_FLAME_NODES; i++) {
    if (key[i] < threshold || key[i] <= 0) continue;
    const row = t.rows[i];
    const p = Number(parent(row));
    const pk = p === 0 ? -1 : at.get(p);
    if (pk === undefined) continue;
    const label = String(fn(row));
    let id = nameIds.get(label);
    if (id === undefined) {
      id = out.names.length;
      out.names.push(label);
      nameIds.set(label, id);
    }
    at.set(Number(node(row)), out.parent.length);
    out.parent.push(pk);
    out.name.push(id);
    out.value.push(v[i]);
    out.delta?.push(v[i] - a[i]);
  }
  out.kept = out.parent.length;
  return out;
}

/** The page data of a document: every table but the call trees, which become the flame graph. */
export function pageData(doc: ResultDocument): PageData {
  const summary = doc.summary as { weight?: string; input?: string; a?: { input?: string }; b?: { input?: string } };
  const tree = doc.tables.find((t) => t.spec.name === 'call_tree');
  const diffTree = doc.tables.find((t) => t.spec.name === 'call_tree_diff');
  let flame: FlameData | null = null;
  if (diffTree) flame = flameData(diffTree, 'b_total', 'a_total');
  else if (tree) {
    const insns = summary.weight === 'insns' && (tree.include ?? []).includes('total_insns');
    flame = flameData(tree, insns ? 'total_insns' : summary.weight === 'events' ? 'events' : 'total_ns');
  }
  const title =
    doc.kind === 'diff' ? `bootprof diff: ${summary.a?.input ?? 'A'} against ${summary.b?.input ?? 'B'}` : `bootprof ${doc.kind}: ${summary.input ?? ''}`;
  return {
    format_version: 1,
    kind: doc.kind,
    title,
    summary: doc.summary,
    lines: doc.lines,
    sections: (doc.layout ?? []).map((s) => ({ title: s.title, table: s.table })),
    tables: doc.tables.filter((t) => t !== tree && t !== diffTree).map(pageTable),
    flame,
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** The whole page for `doc`, in pieces (the data is one of them). */
export function htmlPage(doc: ResultDocument): string[] {
  const data = pageData(doc);
  const script = asset('report.js');
  const css = asset('report.css');
  const hash = createHash('sha256').update(script).digest('base64');
  // nothing may be fetched: no default source, the one script by its hash, inline styles only
  const csp = `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
  // JSON inside <script>: `<` escaped so no `</script>` (or `<!--`) in a name can end the element
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return [
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">\n`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
    `<title>${escapeHtml(data.title)}</title>\n<style>\n${css}\n</style>\n</head>\n<body>\n`,
    '<noscript>This report draws itself with JavaScript; the same data: bootprof report --format json.</noscript>\n',
    '<main id="app"></main>\n<script type="application/json" id="bootprof-data">',
    json,
    `</script>\n<script>${script}</script>\n</body>\n</html>\n`,
  ];
}
