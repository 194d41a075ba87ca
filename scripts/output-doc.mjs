#!/usr/bin/env node
/**
 * The column tables of docs/OUTPUT.md, generated from the table declarations (the `doc` of every
 * column, next to the analysis that fills it), between the `<!-- tables:begin -->` and
 * `<!-- tables:end -->` markers. Needs `npm run build` first (it reads dist/).
 *
 *   node scripts/output-doc.mjs          rewrite the section
 *   node scripts/output-doc.mjs --check  exit 1 when docs/OUTPUT.md is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DOC = join(root, 'docs/OUTPUT.md');
const BEGIN = '<!-- tables:begin -->';
const END = '<!-- tables:end -->';

/** Which documents carry each table, in the order the section lists them. */
const WHERE = {
  functions: 'self-time, report',
  phases: 'timeline, report',
  phase_idle: 'timeline, report',
  milestones: 'timeline, report',
  first_calls: 'timeline (its CSV)',
  calls: 'syscalls (its CSV)',
  syscalls: 'syscalls --summary (its CSV), report',
  initcalls: 'initcalls (its CSV), report --stacks',
  call_tree: 'report --stacks (JSON)',
  callers: 'callers FUNC: its CSV',
  callees: 'callees FUNC: its CSV',
  'diff functions': 'diff (its CSV by default)',
  'diff phases': 'diff (--table phases)',
  'diff milestones': 'diff (--table milestones)',
  'diff initcalls': 'diff (--table initcalls)',
  'diff syscalls': 'diff (--table syscalls)',
};

async function specs() {
  const load = (m) => import(join(root, 'dist', m));
  const [self, tl, sc, ic, ct, cp, df, table, pq] = await Promise.all([
    load('analyze/self-time.js'),
    load('analyze/timeline.js'),
    load('analyze/syscalls.js'),
    load('analyze/initcalls.js'),
    load('analyze/call-tree-table.js'),
    load('analyze/call-paths.js'),
    load('analyze/diff.js'),
    load('model/table.js'),
    load('output/parquet.js'),
  ]);
  // the diff's tables share names with the single-boot ones: listed as "diff NAME"
  const diff = (t) => ({ ...t, name: 'diff ' + t.name });
  return {
    units: table.KIND_UNITS,
    jsonTypes: table.KIND_JSON_TYPES,
    parquet: pq.PARQUET_TYPES,
    tables: [
      self.FUNCTIONS_TABLE,
      tl.PHASES_TABLE,
      tl.PHASE_IDLE_TABLE,
      tl.MILESTONES_TABLE,
      tl.FIRST_CALLS_TABLE,
      sc.CALLS_TABLE,
      sc.SYSCALL_STATS_TABLE,
      ic.INITCALLS_TABLE,
      ct.CALL_TREE_TABLE,
      cp.CALLERS_TABLE,
      cp.CALLEES_TABLE,
      diff(df.FUNCTIONS_DIFF_TABLE),
      diff(df.PHASES_DIFF_TABLE),
      diff(df.MILESTONES_DIFF_TABLE),
      diff(df.INITCALLS_DIFF_TABLE),
      diff(df.SYSCALLS_DIFF_TABLE),
    ],
  };
}

export async function tablesSection() {
  const { units, jsonTypes, tables, parquet } = await specs();
  let md = '';
  for (const t of tables) {
    md += `\n### \`${t.name}\` (${WHERE[t.name]})\n\n${t.doc}\n\n`;
    md +=
      'CSV header: `' +
      t.columns
        .filter((c) => !c.optional)
        .map((c) => c.key)
        .join(',') +
      '`';
    const opt = t.columns.filter((c) => c.optional);
    md += opt.length ? ` (plus ${opt.map((c) => '`' + c.key + '`').join(', ')} where asked for)\n\n` : '\n\n';
    md += '| column | JSON type | Parquet type | unit | meaning |\n|---|---|---|---|---|\n';
    for (const c of t.columns) {
      const type = jsonTypes[c.kind] + (c.nullable ? ' or null' : '') + (c.optional ? ', optional' : '');
      md += `| \`${c.key}\` | ${type} | ${parquet[c.kind]} | ${units[c.kind] || ''} | ${c.doc.replace(/\|/g, '\\|')} |\n`;
    }
  }
  return md;
}

export async function renderDoc(current) {
  const a = current.indexOf(BEGIN);
  const b = current.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${DOC}: no ${BEGIN} ... ${END} section`);
  return current.slice(0, a + BEGIN.length) + '\n' + (await tablesSection()) + '\n' + current.slice(b);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const have = readFileSync(DOC, 'utf8');
  const want = await renderDoc(have);
  if (process.argv.includes('--check')) {
    if (have !== want) {
      console.error(`${DOC}: out of date with the table declarations (run npm run docs:output)`);
      process.exit(1);
    }
  } else writeFileSync(DOC, want);
}
