/** `bootprof self-time`: self time per function, as a table, CSV or JSON. */
import { FUNCTIONS_TABLE, functionColumns, functionCosts, SelfTime } from '../analyze/self-time.js';
import { StackReconstruction } from '../analyze/stacks.js';
import { TraceCounts } from '../analyze/trace-counts.js';
import { makeTable, type ResultDocument } from '../model/table.js';
import { writeDocument } from '../output/document.js';
import { openOutput } from '../output/sink.js';
import { countOf } from '../output/units.js';
import { loadSymbols, runPipeline } from '../pipeline.js';
import { chooseFormat, inputOptions, parseTop, parseWeight, runWeight, statedWeight, warn, type CommonOptions } from './common.js';
import { buildSummary, inputWarnings, summaryText } from './summary.js';

export interface SelfTimeOptions extends CommonOptions {
  top?: string;
  /** Reconstruct call stacks and add inclusive time (total_ns). */
  stacks?: boolean;
}

export async function selfTimeCommand(trace: string | undefined, o: SelfTimeOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, undefined, 'self-time');
  const top = parseTop(o.top) ?? (format === 'table' ? 25 : undefined);
  const asked = parseWeight(o.weight);
  const out = openOutput(o.output);
  const counts = new TraceCounts();
  let st!: SelfTime;
  let sr: StackReconstruction | null = null;
  const input = inputOptions(trace, o);
  const symbols = await loadSymbols(input);
  const run = await runPipeline(
    input,
    (info) => {
      st = new SelfTime(info.unit);
      if (!o.stacks) return [counts, st];
      sr = StackReconstruction.fromInfo(info);
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
  const rows = functionCosts(st, run.nameOf, weight, totals, totalsInsns);
  const shown = top === undefined ? rows : rows.slice(0, top);
  const summary = {
    ...buildSummary(run, counts, { negativeDeltas: st.negativeDeltas, weight: statedWeight(asked, weight, run) }),
    total_self_ns: st.totalSelf(),
    functions: rows.length,
  };
  for (const w of inputWarnings(run, st.negativeDeltas)) warn(w);
  const more = rows.length - shown.length;
  const doc: ResultDocument = {
    kind: 'self-time',
    summary,
    tables: [makeTable(FUNCTIONS_TABLE, shown, { include: functionColumns(totals !== null, run.translations.active) })],
    lines: summaryText(summary),
    layout: [{ table: 'functions', notes: more > 0 ? [`... ${countOf(more, 'more function')} (--top N, or --format csv for all)`] : [] }],
  };
  await writeDocument(format, doc, out, { quiet: o.quiet });
}
