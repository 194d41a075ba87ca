/**
 * `bootprof diff A B`: two boots compared. Each side is a trace (read with the report's analyses,
 * call stacks included) or a saved `report --format json`; both become a BootProfile
 * (analyze/diff.ts) by the same rows, so every delta is B's single-boot value minus A's.
 */
import { groupProfile } from '../analyze/grouping.js';
import { groupByText, type GroupBy } from '../symbols/groups.js';
import { groupByOption, loadGrouper } from './group-by.js';
import {
  diffProfiles,
  functionsDiffView,
  initcallsDiffView,
  milestonesDiffView,
  phasesDiffView,
  ProfileBuilder,
  sideTotal,
  syscallsDiffView,
  deltaPercent,
  type BootDiff,
  type BootProfile,
  type ProfileTree,
} from '../analyze/diff.js';
import { BootprofError } from '../io/errors.js';
import { frameLabel } from '../model/call-tree.js';
import { mergedTreeTable, mergeTrees } from '../analyze/diff-tree.js';
import { readSavedProfile, sniffJson } from '../io/profile-json.js';
import { makeTable, type ResultDocument, type Section, type Table } from '../model/table.js';
import type { Weight } from '../model/weight.js';
import { writeDocument } from '../output/document.js';
import { DIFF_FORMATS, EXIT_GATE } from './diff-options.js';
import { rowObject } from '../output/json.js';
import { openOutput } from '../output/sink.js';
import { formatCount, formatDuration } from '../output/units.js';
import { loadSymbols } from '../pipeline.js';
import { chooseFormat, inputOptions, parseTop, parseWeight, warn, type CommonOptions } from './common.js';
import { analyzeReport } from './report.js';
import { resolveWindowFor, windowEdges, windowOptions } from './window-pass.js';
import type { WindowOptions } from '../analyze/window.js';

export interface DiffCommandOptions extends CommonOptions, WindowOptions {
  mapA?: string | string[];
  mapB?: string | string[];
  top?: string;
  minDelta?: string;
  table?: string;
  normalize?: boolean;
  failAbove?: string;
  failPhase?: string[];
}

const CSV_TABLES = ['functions', 'phases', 'milestones', 'initcalls', 'syscalls'];

function list(v: string | string[] | undefined): string[] | undefined {
  return v === undefined ? undefined : Array.isArray(v) ? v : [v];
}

/** One side: a saved report, or a trace run through the report's analyses with stacks. */
async function loadSide(path: string, side: 'A' | 'B', o: DiffCommandOptions, groupBy: GroupBy | undefined): Promise<BootProfile> {
  const json = sniffJson(path);
  const windowed = windowOptions(o, { trace: path });
  if (json === 'report' && windowed)
    throw new BootprofError(
      'E_USAGE',
      `--from/--to/--phase: ${side} (${path}) is a saved report, whose numbers are of the run it was saved from; give the trace, or save the report with the window (bootprof report TRACE --from X --to Y --stacks -f json)`,
    );
  if (json === 'report') return groupSaved(await readSavedProfile(path), path, side, o, groupBy);
  if (json === 'json') throw new BootprofError('E_FORMAT', `${path}: JSON, but not a saved bootprof report (write one with bootprof report --format json)`);
  const maps = list(side === 'A' ? o.mapA : o.mapB) ?? list(o.map);
  const input = inputOptions(path, { ...o, map: maps });
  const symbols = await loadSymbols(input);
  const grouper = await loadGrouper(groupBy, o, symbols);
  // the same window on each side, its names resolved in this side's own trace
  const window = windowed ? await resolveWindowFor(windowed, input, symbols) : null;
  const { doc } = await analyzeReport(input, symbols, { stacks: true, window, grouper });
  const b = new ProfileBuilder(path, 'trace');
  b.setSummary(doc.summary as Record<string, unknown>);
  for (const t of doc.tables) for (const r of t.rows) b.row(t.spec.name, rowObject(t, r));
  return b.finish();
}

/**
 * A saved side under the diff's --group-by: grouped here with the side's symbols (a report saved
 * with the same grouping is taken as it is; one saved with another cannot be regrouped).
 */
async function groupSaved(p: BootProfile, path: string, side: 'A' | 'B', o: DiffCommandOptions, groupBy: GroupBy | undefined): Promise<BootProfile> {
  const want = groupBy ? groupByText(groupBy) : undefined;
  if (p.groupBy === want) return p;
  if (p.groupBy !== undefined)
    throw new BootprofError(
      'E_USAGE',
      `${side} (${path}) was saved with --group-by ${p.groupBy}: ${want ? `it cannot be regrouped by ${want}` : 'give the diff the same --group-by'}`,
    );
  const maps = list(side === 'A' ? o.mapA : o.mapB) ?? list(o.map);
  const symbols = await loadSymbols(inputOptions(path, { ...o, map: maps }));
  const grouper = (await loadGrouper(groupBy, o, symbols))!;
  return groupProfile(p, grouper, want!);
}

/** --min-delta: a value in the weight's unit (time: ns, or with us/ms/s), or N% of A's total. */
export function parseMinDelta(v: string | undefined, weight: Weight, totalA: number): number {
  if (v === undefined) return 0;
  const m = /^([0-9]+(?:\.[0-9]+)?)(%|ns|us|µs|ms|s)?$/.exec(v.trim());
  if (!m) throw new BootprofError('E_USAGE', `--min-delta takes a number, a time (500us, 2ms) or a percent of A's total (0.5%) (got '${v}')`);
  const x = Number(m[1]);
  const unit = m[2];
  if (unit === '%') return (x / 100) * totalA;
  if (unit && weight !== 'time') throw new BootprofError('E_USAGE', `--min-delta ${v}: a time, but the weight is ${weight} (give a count or a percent)`);
  const scale = unit === 's' ? 1e9 : unit === 'ms' ? 1e6 : unit === 'us' || unit === 'µs' ? 1e3 : 1;
  return x * scale;
}

function parsePercent(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?)%?$/.exec(v.trim());
  if (!m) throw new BootprofError('E_USAGE', `--fail-above takes a percent, e.g. 5 or 2.5% (got '${v}')`);
  return Number(m[1]);
}

function chooseWeight(asked: Weight | undefined, A: BootProfile, B: BootProfile): Weight {
  if (asked === 'insns') {
    for (const [s, p] of [['A', A] as const, ['B', B] as const])
      if (!p.insns)
        throw new BootprofError(
          'E_USAGE',
          `--weight insns: ${s} (${p.input}) has no instruction counts; record with -d nochain,in_asm (a saved report keeps them when its trace had them)`,
        );
    return 'insns';
  }
  const w = asked ?? (A.insns && B.insns ? 'insns' : 'time');
  if (w === 'time' && A.unit !== B.unit)
    throw new BootprofError('E_USAGE', `A is ${A.unit === 'events' ? 'untimed' : 'timed'} and B is not: compare them with --weight events`);
  return w;
}

function weightText(w: Weight, A: BootProfile, B: BootProfile, asked: boolean): string {
  if (w === 'time' && A.unit === 'events') return `weight: events (untimed traces: every event weighs 1)`;
  const why = asked
    ? 'chosen with --weight'
    : w === 'insns'
      ? 'both sides have translation records'
      : A.insns || B.insns
        ? 'one side has no translation records'
        : 'no translation records';
  return `weight: ${w === 'insns' ? 'guest instructions' : w === 'events' ? 'events' : 'host time'} (${why})`;
}

function amount(v: number, w: Weight, unit: 'ns' | 'events'): string {
  return w === 'time' ? formatDuration(v, unit) : `${formatCount(v)} ${w === 'insns' ? 'instructions' : 'events'}`;
}

function signedPct(p: number | null): string {
  return p === null ? 'n/a' : `${p > 0 ? '+' : ''}${p.toFixed(2)}%`;
}

function sideSummary(p: BootProfile): object {
  return {
    input: p.input,
    source: p.source,
    unit: p.unit,
    events: p.events,
    span_ns: p.span,
    total_self_ns: p.totalSelf,
    total_insns: p.insns ? p.totalInsns : null,
    translations: p.insns,
    stacks: p.stacks,
    ...(p.window ? { window: p.window } : {}),
  };
}

/**
 * FlameGraph's differential folded form (difffolded.pl): `stack countA countB` per line, both trees
 * merged into one CallTree (typed columns, its own node bound), lines written depth first with
 * siblings by name: only the current path's strings exist at a time.
 */
export async function writeDifferentialFolded(
  a: ProfileTree,
  b: ProfileTree,
  weight: Weight,
  scaleB: number,
  write: (s: string) => Promise<void>,
): Promise<void> {
  const { tree: merged, names, a: va, b: vb } = mergeTrees(a, b, weight, scaleB);
  const label = (n: number): string => frameLabel(names, merged.fn[n]);
  const children = (n: number): number[] => {
    const c: number[] = [];
    for (let k = merged.firstChild[n]; k >= 0; k = merged.nextSibling[k]) c.push(k);
    return c.sort((x, y) => (label(x) < label(y) ? -1 : label(x) > label(y) ? 1 : 0));
  };
  let buf = '';
  const walk: { node: number; path: string }[] = children(0)
    .reverse()
    .map((n) => ({ node: n, path: label(n) }));
  while (walk.length > 0) {
    const { node, path } = walk.pop()!;
    const x = Math.round(va[node]);
    const y = Math.round(vb[node]);
    if (x > 0 || y > 0) {
      buf += `${path} ${x} ${y}\n`;
      if (buf.length >= 1 << 20) {
        await write(buf);
        buf = '';
      }
    }
    const c = children(node);
    for (let i = c.length - 1; i >= 0; i--) walk.push({ node: c[i], path: path + ';' + label(c[i]) });
  }
  if (buf) await write(buf);
}

/** The gate: messages for each limit exceeded (empty: passed). */
function gate(d: BootDiff, pct: number, phases: readonly string[]): string[] {
  const out: string[] = [];
  const total = deltaPercent(d.total);
  if (total !== null && total > pct) out.push(`B's total ${d.weight === 'time' ? 'time' : d.weight} grew ${total.toFixed(2)}% (limit ${pct}%)`);
  for (const name of phases) {
    const p = d.phases.find((x) => x.phase === name || x.label === name);
    if (!p)
      throw new BootprofError('E_USAGE', `--fail-phase ${name}: no such phase in either boot (phases: ${d.phases.map((x) => x.phase).join(', ') || 'none'})`);
    if (p.duration.a === null || p.duration.b === null) {
      out.push(`phase ${p.phase} is ${p.duration.a === null ? 'only in B' : 'missing from B'}`);
      continue;
    }
    const g = deltaPercent(d.weight === 'insns' ? p.insns : p.duration);
    if (g !== null && g > pct) out.push(`phase ${p.phase} grew ${g.toFixed(2)}%${d.weight === 'insns' ? ' in instructions' : ''} (limit ${pct}%)`);
  }
  return out;
}

export async function diffCommand(a: string, b: string, o: DiffCommandOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, DIFF_FORMATS, 'diff');
  const asked = parseWeight(o.weight);
  const top = parseTop(o.top);
  const failAbove = parsePercent(o.failAbove);
  if (o.failPhase?.length && failAbove === undefined) throw new BootprofError('E_USAGE', '--fail-phase needs --fail-above PCT');
  const csvTable = o.table ?? 'functions';
  if (!CSV_TABLES.includes(csvTable)) throw new BootprofError('E_USAGE', `--table must be one of ${CSV_TABLES.join(', ')} (got '${o.table}')`);
  if (o.normalize && asked !== undefined && asked !== 'time')
    throw new BootprofError('E_USAGE', `--normalize scales host time: it does not apply to --weight ${asked}`);
  const groupBy = groupByOption(o);
  const out = openOutput(o.output, format);
  const A = await loadSide(a, 'A', o, groupBy);
  const B = await loadSide(b, 'B', o, groupBy);
  const weight = chooseWeight(asked, A, B);
  if (o.normalize && weight !== 'time') throw new BootprofError('E_USAGE', `--normalize scales host time; this diff weighs ${weight} (add --weight time)`);
  const d = diffProfiles(A, B, { weight, normalize: !!o.normalize });
  const unit = A.unit;

  if (format === 'folded') {
    for (const [s, p] of [['A', A] as const, ['B', B] as const])
      if (!p.tree) throw new BootprofError('E_USAGE', `--format folded needs call stacks: ${s} (${p.input}) is a report saved without --stacks`);
    await writeDifferentialFolded(A.tree!, B.tree!, weight, d.scale, (s) => out.write(s));
    await out.close();
  } else {
    const doc = diffDocument(d, A, B, {
      weightLine: weightText(weight, A, B, asked !== undefined),
      top: top ?? (format === 'table' ? 20 : undefined),
      min: parseMinDelta(o.minDelta, weight, sideTotal(A, weight)),
      csv: csvTable,
      unit,
    });
    if (format === 'csv' && !doc.tables.some((t) => t.spec.name === csvTable))
      throw new BootprofError(
        'E_USAGE',
        `--table ${csvTable}: not in this diff (${csvTable === 'initcalls' ? 'a side has no initcalls: a report saved without --stacks, or no kernel map' : 'a side has no system call entry symbols'})`,
      );
    // the page's differential flame graph: both call trees merged, when both sides have them
    const tables = format === 'html' && A.tree && B.tree ? [...doc.tables, mergedTreeTable(mergeTrees(A.tree, B.tree, weight, d.scale))] : doc.tables;
    await writeDocument(format, { ...doc, tables }, out, { quiet: o.quiet, label: o.label });
  }
  if (failAbove !== undefined) {
    const tripped = gate(d, failAbove, o.failPhase ?? []);
    for (const m of tripped) warn(`diff gate: ${m}`);
    if (tripped.length) process.exitCode = EXIT_GATE;
  }
}

interface DocOptions {
  weightLine: string;
  top: number | undefined;
  min: number;
  csv: string;
  unit: 'ns' | 'events';
}

function diffDocument(d: BootDiff, A: BootProfile, B: BootProfile, o: DocOptions): ResultDocument {
  const w = d.weight;
  const cut = <T extends { key: number }>(rows: T[]): T[] => {
    const kept = o.min > 0 ? rows.filter((r) => r.key >= o.min) : rows;
    return o.top === undefined ? kept : kept.slice(0, o.top);
  };
  const fnInclude = [...(d.stacks ? ['a_total_ns', 'b_total_ns', 'delta_total_ns'] : [])];
  if (d.insns) fnInclude.push('a_self_insns', 'b_self_insns', 'delta_self_insns', 'delta_self_insns_pct');
  if (d.insns && d.stacks) fnInclude.push('a_total_insns', 'b_total_insns', 'delta_total_insns');
  const fnRows = cut(d.functions);
  const newCount = d.functions.filter((r) => r.status === 'new').length;
  const goneCount = d.functions.filter((r) => r.status === 'gone').length;
  const tables: Table[] = [
    makeTable(functionsDiffView(w, d.stacks), fnRows, { include: fnInclude }),
    makeTable(phasesDiffView(w), d.phases, { include: d.insns ? ['a_insns', 'b_insns', 'delta_insns', 'delta_insns_pct'] : [] }),
    makeTable(milestonesDiffView(w), d.milestones, { include: d.insns ? ['a_insns', 'b_insns', 'delta_insns', 'delta_insns_pct'] : [] }),
  ];
  const layout: Section[] = [
    { title: w === 'insns' ? 'Phases (guest instructions)' : 'Phases (host time)', table: 'phases', empty: '(none found)' },
    { title: w === 'insns' ? 'Milestones (instructions run before each)' : 'Milestones', table: 'milestones', empty: '(none found)' },
    {
      title: `Functions by change in ${w === 'insns' ? 'instructions' : w === 'events' ? 'events' : 'self time'} (${fnRows.length} of ${formatCount(d.functions.length)}; ${newCount} new, ${goneCount} gone)`,
      table: 'functions',
      empty: '(no change)',
    },
  ];
  if (d.initcalls) {
    const rows = cut(d.initcalls);
    tables.push(makeTable(initcallsDiffView(w), rows, { include: d.insns ? ['a_insns', 'b_insns', 'delta_insns'] : [] }));
    layout.push({ title: `Initcalls by change (${rows.length} of ${d.initcalls.length})`, table: 'initcalls', empty: '(none)' });
  }
  if (d.syscalls) {
    const rows = cut(d.syscalls);
    tables.push(makeTable(syscallsDiffView(w), rows, { include: d.insns ? ['a_total_insns', 'b_total_insns', 'delta_total_insns'] : [] }));
    layout.push({ title: `System calls by change (${rows.length} of ${d.syscalls.length} names)`, table: 'syscalls', empty: '(none)' });
  }
  const totalPct = deltaPercent(d.total);
  const da = (d.total.b ?? 0) - (d.total.a ?? 0);
  const side = (name: string, p: BootProfile): string =>
    `${name}: ${p.input} (${p.source === 'trace' ? 'trace' : 'saved report'}), ${formatCount(p.events)} events, ${p.unit === 'events' ? 'untimed' : formatDuration(p.span) + ' traced'}${p.window ? `, window ${windowEdges(p.window)}` : ''}`;
  const lines = [side('A', A), side('B', B), o.weightLine];
  if (d.scale !== 1) lines.push(`normalized: B's times scaled by ${d.scale.toFixed(6)} so both total self times are equal (--normalize)`);
  lines.push(
    `total: A ${amount(d.total.a ?? 0, w, o.unit)}, B ${amount(d.total.b ?? 0, w, o.unit)}, delta ${da >= 0 ? '+' : '-'}${amount(Math.abs(da), w, o.unit)} (${signedPct(totalPct)})`,
  );
  if (!d.initcalls && (A.initcalls || B.initcalls)) lines.push('initcalls: not compared (one side is a report saved without --stacks)');
  if (!d.stacks) lines.push('inclusive time: not compared (one side is a report saved without --stacks)');
  return {
    kind: 'diff',
    summary: {
      unit: o.unit,
      a: sideSummary(A),
      b: sideSummary(B),
      weight: w,
      normalized: d.scale !== 1,
      b_scale: d.scale,
      total_a: d.total.a,
      total_b: d.total.b,
      total_delta: da,
      total_delta_pct: totalPct,
      functions: d.functions.length,
      functions_new: newCount,
      functions_gone: goneCount,
    },
    tables,
    lines,
    layout,
    csv: o.csv,
  };
}
