/** `bootprof callers FUNC` and `bootprof callees FUNC`: the call paths into or out of a function, from the reconstructed stacks. */
import { CallCounter, pathRows, pathTree, pathView, type PathDirection } from '../analyze/call-paths.js';
import { StackReconstruction } from '../analyze/stacks.js';
import { TraceCounts } from '../analyze/trace-counts.js';
import { BootprofError } from '../io/errors.js';
import { makeTable, sharePercent, type ResultDocument } from '../model/table.js';
import type { Weight } from '../model/weight.js';
import { writeDocument } from '../output/document.js';
import type { CallPathsSummary } from '../output/format-spec.js';
import { openOutput } from '../output/sink.js';
import { countOf, formatCount, formatDuration } from '../output/units.js';
import { loadSymbols, runPipeline } from '../pipeline.js';
import { chooseFormat, inputOptions, parseWeight, runWeight, warn, type CommonOptions } from './common.js';
import { buildSummary, inputWarnings, summaryText } from './summary.js';
import { requireTimed, resolveWindowFor, windowField, windowOptions, withWindowLine } from './window-pass.js';
import type { WindowOptions } from '../analyze/window.js';

export interface CallPathsOptions extends CommonOptions, WindowOptions {
  regex?: boolean;
  depth?: string;
  minShare?: string;
}

/** The terminal table's default --min-share: nodes under 0.5% of FUNC's total are left out (as perf report -g does). */
export const TABLE_MIN_SHARE = 0.5;

export async function callersCommand(func: string, trace: string | undefined, o: CallPathsOptions): Promise<void> {
  await callPathsCommand('callers', func, trace, o);
}

export async function calleesCommand(func: string, trace: string | undefined, o: CallPathsOptions): Promise<void> {
  await callPathsCommand('callees', func, trace, o);
}

/** --depth N: a whole number of levels below FUNC. */
export function parseDepth(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v)) throw new BootprofError('E_USAGE', `--depth takes a whole number of levels below FUNC (got '${v}')`);
  return Number(v);
}

/** --min-share P: a percent from 0 to 100 (a trailing % allowed). */
export function parseMinShare(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)%?$/.exec(v.trim());
  const p = m ? Number(m[1]) : NaN;
  if (!(p >= 0 && p <= 100)) throw new BootprofError('E_USAGE', `--min-share takes a percent from 0 to 100, e.g. 1 or 0.5% (got '${v}')`);
  return p;
}

/** What FUNC names: one function (its exact name), or with --regex every name the pattern matches. */
function matcher(func: string, regex: boolean): (name: string) => boolean {
  if (!regex) return (name) => name === func;
  let re: RegExp;
  try {
    re = new RegExp(func);
  } catch (e) {
    throw new BootprofError('E_USAGE', `--regex: ${func} is not a JavaScript regular expression (${(e as Error).message})`);
  }
  return (name) => re.test(name);
}

async function callPathsCommand(direction: PathDirection, func: string, trace: string | undefined, o: CallPathsOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, undefined, direction);
  const asked = parseWeight(o.weight);
  const maxDepth = parseDepth(o.depth);
  const minShare = parseMinShare(o.minShare) ?? (format === 'table' ? TABLE_MIN_SHARE : undefined);
  const matches = matcher(func, !!o.regex);
  const out = openOutput(o.output, format);
  const counts = new TraceCounts();
  let sr!: StackReconstruction;
  const input = inputOptions(trace, o);
  const windowed = windowOptions(o, input);
  const symbols = await loadSymbols(input);
  const window = windowed ? await resolveWindowFor(windowed, input, symbols) : null;
  // a window: the stacks from every event; the weights clipped to it, the calls made inside it
  const calls = new CallCounter(window);
  const run = await runPipeline(
    input,
    (info) => {
      requireTimed(window, info);
      sr = StackReconstruction.fromInfo(info);
      sr.window = window;
      sr.callSink = calls;
      return [counts, sr];
    },
    symbols,
  );
  for (const w of inputWarnings(run, sr.negativeDeltas)) warn(w);
  const full = sr.treeLimitNote();
  if (full) warn(full);
  const weight = runWeight(asked, run);
  const names = run.names;
  const tree = sr.tree;
  const match = new Uint8Array(names.length);
  let any = false;
  for (let id = 0; id < names.length; id++) {
    if (!matches(names[id])) continue;
    match[id] = 1;
    any = true;
  }
  if (!any) {
    throw new BootprofError(
      'E_USAGE',
      o.regex
        ? `${direction}: no function name matches /${func}/ in ${run.inputName}'s symbols`
        : `${direction}: no function named '${func}' in ${run.inputName}'s symbols (--regex to match a pattern)`,
    );
  }
  // the matched functions that ran (have frames): the ones merged into the root
  const ran = new Uint8Array(names.length);
  for (let n = 1; n < tree.count; n++) {
    const f = tree.fn[n];
    if (f >= 0 && f < names.length && match[f]) ran[f] = 1;
  }
  const matched = names.filter((_, id) => ran[id] === 1).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const paths = pathTree(tree, match, direction, calls.calls);
  const rootLabel = matched.length === 1 ? matched[0] : o.regex ? `/${func}/` : func;
  const { rows, pruned } = pathRows(paths, names, { weight, rootLabel, maxDepth, minShare });
  const runTotal = tree.totals(tree.selfOf(weight))[0];
  const rootTotal = paths.of(weight).total[0];
  const summary: CallPathsSummary = {
    ...buildSummary(run, counts, { negativeDeltas: sr.negativeDeltas }),
    weight,
    function: func,
    regex: !!o.regex,
    matched,
    run_share: sharePercent(rootTotal, runTotal),
    nodes: paths.roots === 0 ? 0 : paths.count,
    depth: maxDepth ?? null,
    min_share: minShare ?? null,
    ...windowField(window),
  };
  const unit = run.parser.unit;
  const show = (v: number, w: Weight): string => (w === 'time' ? formatDuration(v, unit) : `${formatCount(v)} ${w === 'insns' ? 'instructions' : 'events'}`);
  const what = weight === 'time' ? (unit === 'events' ? 'events' : 'time') : weight === 'insns' ? 'instructions' : 'events';
  const lines = withWindowLine(summaryText(summary), window, summary.span_ns);
  if (matched.length > 1) lines.push(`${direction}: ${countOf(matched.length, 'function')} matching /${func}/ ran, merged: ${matchedList(matched)}`);
  if (paths.roots > 0)
    lines.push(
      `${direction} of ${rootLabel}: ${show(rootTotal, weight)} in total (${summary.run_share.toFixed(2)}% of the ${window ? "window's" : "run's"} ${what}), ` +
        `${countOf(paths.calls[0], 'call')}, ${countOf(paths.count, 'node')}`,
    );
  const never = `${rootLabel} never ran on a reconstructed stack in this trace`;
  if (paths.roots === 0) warn(`${direction}: ${never}`);
  const notes = pruned > 0 ? [`... ${countOf(pruned, 'more node')} ${prunedWhy(rootLabel, maxDepth, minShare)}`] : [];
  const doc: ResultDocument = {
    kind: direction,
    summary,
    tables: [makeTable(pathView(direction, weight), rows, { include: run.translations.active ? ['self_insns', 'total_insns'] : [] })],
    lines,
    layout: [{ table: direction, empty: never, notes }],
  };
  await writeDocument(format, doc, out, { quiet: o.quiet, label: o.label });
}

function matchedList(names: readonly string[]): string {
  return names.length <= 10 ? names.join(', ') : `${names.slice(0, 10).join(', ')}, ... (summary.matched in JSON has all)`;
}

function prunedWhy(root: string, maxDepth: number | undefined, minShare: number | undefined): string {
  const why: string[] = [];
  if (maxDepth !== undefined) why.push(`deeper than --depth ${maxDepth}`);
  if (minShare !== undefined && minShare > 0) why.push(`under ${minShare}% of ${root}'s total`);
  const all = [maxDepth !== undefined ? 'no --depth' : '', minShare ? '--min-share 0' : ''].filter((x) => x).join(', ');
  return `${why.join(' or ')} (${all} for all)`;
}
