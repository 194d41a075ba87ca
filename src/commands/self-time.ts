/** `bootprof self-time`: self time per function, as a table, CSV or JSON. */
import { groupByOption, groupResults, groupSummary, groupTitles, loadGrouper } from './group-by.js';
import { FUNCTIONS_TABLE, functionColumns, functionCosts, SelfTime, type FunctionCost } from '../analyze/self-time.js';
import { StackReconstruction } from '../analyze/stacks.js';
import { TraceCounts } from '../analyze/trace-counts.js';
import { BootprofError } from '../io/errors.js';
import { makeTable, type ResultDocument } from '../model/table.js';
import { writeDocument } from '../output/document.js';
import { openOutput } from '../output/sink.js';
import { countOf } from '../output/units.js';
import { loadSymbols, runPipeline } from '../pipeline.js';
import { chooseFormat, inputOptions, parseTop, parseWeight, runWeight, statedWeight, warn, type CommonOptions } from './common.js';
import { buildSummary, inputWarnings, summaryText } from './summary.js';
import { requireTimed, resolveWindowFor, windowField, windowOptions, withWindowLine } from './window-pass.js';

export interface SelfTimeOptions extends CommonOptions {
  top?: string;
  /** Reconstruct call stacks and add inclusive time (total_ns). */
  stacks?: boolean;
  /** --sort self|total|events|insns (default: the run's weight). */
  sort?: string;
  /** --from/--to/--phase: a time window (analyze/window.ts). */
  from?: string;
  to?: string;
  phase?: string;
}

export const SELF_TIME_SORTS = ['self', 'total', 'events', 'insns'] as const;
export type SelfTimeSort = (typeof SELF_TIME_SORTS)[number];

/** The column a --sort key orders by, largest first. */
const SORT_KEYS: Readonly<Record<SelfTimeSort, (r: FunctionCost) => number>> = {
  self: (r) => r.self,
  total: (r) => r.total,
  events: (r) => r.events,
  insns: (r) => r.selfInsns,
};

/** --sort, checked before the trace is read: total needs --stacks (as total_ns does). */
export function parseSelfTimeSort(v: string | undefined, stacks: boolean): SelfTimeSort | undefined {
  if (v === undefined) return undefined;
  if (!(SELF_TIME_SORTS as readonly string[]).includes(v))
    throw new BootprofError('E_USAGE', `--sort must be one of ${SELF_TIME_SORTS.join(', ')} (got '${v}')`);
  if (v === 'total' && !stacks)
    throw new BootprofError('E_USAGE', '--sort total needs --stacks: inclusive time (total_ns) comes from the reconstructed call stacks');
  return v as SelfTimeSort;
}

export async function selfTimeCommand(trace: string | undefined, o: SelfTimeOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, undefined, 'self-time');
  const top = parseTop(o.top) ?? (format === 'table' ? 25 : undefined);
  const asked = parseWeight(o.weight);
  const sort = parseSelfTimeSort(o.sort, !!o.stacks);
  const groupBy = groupByOption(o);
  const out = openOutput(o.output, format);
  const counts = new TraceCounts();
  let st!: SelfTime;
  let sr: StackReconstruction | null = null;
  const input = inputOptions(trace, o);
  const windowed = windowOptions(o, input);
  const symbols = await loadSymbols(input);
  const grouper = await loadGrouper(groupBy, o, symbols);
  const window = windowed ? await resolveWindowFor(windowed, input, symbols) : null;
  const run = await runPipeline(
    input,
    (info) => {
      requireTimed(window, info);
      st = new SelfTime(info.unit, window);
      if (!o.stacks) return [counts, st];
      // the stacks are rebuilt from every event; only the time inside the window is charged
      sr = StackReconstruction.fromInfo(info);
      sr.window = window;
      return [counts, st, sr];
    },
    symbols,
  );
  const rec = sr as StackReconstruction | null;
  const totals = rec ? rec.tree.functionTotals(run.names.length) : null;
  const totalsInsns = rec && run.translations.active ? rec.tree.functionTotals(run.names.length, rec.tree.totals(rec.tree.insns)) : null;
  const full = rec?.treeLimitNote();
  if (full) warn(full);
  const weight = runWeight(asked, run);
  if (sort === 'insns') runWeight('insns', run, '--sort insns'); // refused without translation records, as --weight insns is
  const { rows } = groupResults(grouper, run, functionCosts(st, run.nameOf, weight, totals, totalsInsns), weight, rec?.tree ?? null, run.translations.active);
  // a stable sort: ties keep the weight's order
  if (sort !== undefined) rows.sort((a, b) => SORT_KEYS[sort](b) - SORT_KEYS[sort](a));
  const shown = top === undefined ? rows : rows.slice(0, top);
  const summary = {
    ...buildSummary(run, counts, { negativeDeltas: st.negativeDeltas, weight: statedWeight(asked, weight, run) }),
    total_self_ns: st.totalSelf(),
    ...groupSummary(grouper),
    functions: rows.length,
    ...windowField(window),
  };
  for (const w of inputWarnings(run, st.negativeDeltas)) warn(w);
  const more = rows.length - shown.length;
  const rowWord = grouper ? 'more group' : 'more function';
  const doc: ResultDocument = {
    kind: 'self-time',
    summary,
    tables: [makeTable(FUNCTIONS_TABLE, shown, { include: functionColumns(totals !== null, run.translations.active), titles: groupTitles(grouper) })],
    lines: withWindowLine(summaryText(summary), window, summary.span_ns),
    layout: [{ table: 'functions', notes: more > 0 ? [`... ${countOf(more, rowWord)} (--top N, or --format csv for all)`] : [] }],
  };
  await writeDocument(format, doc, out, { quiet: o.quiet, label: o.label });
}
