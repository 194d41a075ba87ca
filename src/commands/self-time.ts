/** `bootprof self-time`: self time per function, as a table, CSV or JSON. */
import { SelfTime } from '../analyze/self-time.js';
import { StackReconstruction } from '../analyze/stacks.js';
import { TraceCounts } from '../analyze/summary.js';
import { csvLine } from '../output/csv.js';
import { openOutput } from '../output/sink.js';
import { renderTable } from '../output/table.js';
import { countOf, formatCount, formatDuration, sharePercent } from '../output/units.js';
import { loadSymbols, runPipeline } from '../pipeline.js';
import { chooseFormat, inputOptions, parseTop, warn, type CommonOptions } from './common.js';
import { buildSummary, inputWarnings, summaryText } from './summary.js';

export interface SelfTimeOptions extends CommonOptions {
  top?: string;
  /** Reconstruct call stacks and add inclusive time (total_ns). */
  stacks?: boolean;
}

export const SELF_TIME_CSV_HEADER = ['function', 'self_ns', 'share', 'events'] as const;
export const SELF_TIME_STACKS_CSV_HEADER = ['function', 'self_ns', 'total_ns', 'share', 'events'] as const;

export async function selfTimeCommand(trace: string | undefined, o: SelfTimeOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, undefined, 'self-time');
  const top = parseTop(o.top) ?? (format === 'table' ? 25 : undefined);
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
  const names = run.names;
  let totals: Float64Array | null = null;
  if (sr) {
    const rec = sr as StackReconstruction;
    rec.finish();
    totals = rec.tree.functionTotals(names.length);
    const full = rec.treeLimitNote();
    if (full) warn(full);
  }
  const totalOf = (id: number): number => (totals ? totals[id] : 0);
  const rows = st.rows((id) => names[id]);
  const total = st.totalSelf();
  const summary = buildSummary(run, counts, { negativeDeltas: st.negativeDeltas });
  const shown = top === undefined ? rows : rows.slice(0, top);
  for (const w of inputWarnings(run, st.negativeDeltas)) warn(w);

  if (format === 'csv') {
    let text = csvLine(totals ? SELF_TIME_STACKS_CSV_HEADER : SELF_TIME_CSV_HEADER);
    for (const r of shown) {
      text += totals
        ? csvLine([names[r.id], r.self, totalOf(r.id), sharePercent(r.self, total), r.events])
        : csvLine([names[r.id], r.self, sharePercent(r.self, total), r.events]);
    }
    await out.write(text);
    if (!o.quiet) for (const line of summaryText(summary)) process.stderr.write(line + '\n');
  } else if (format === 'json') {
    const json = {
      summary: { ...summary, total_self: total, functions: rows.length },
      rows: shown.map((r) =>
        totals
          ? { function: names[r.id], self_ns: r.self, total_ns: totalOf(r.id), share: sharePercent(r.self, total), events: r.events }
          : { function: names[r.id], self_ns: r.self, share: sharePercent(r.self, total), events: r.events },
      ),
    };
    await out.write(JSON.stringify(json, null, 1) + '\n');
  } else {
    const unit = summary.unit;
    const table = totals
      ? renderTable(
          [
            { header: 'function' },
            { header: unit === 'ns' ? 'self' : 'self (events)', align: 'right' },
            { header: unit === 'ns' ? 'total' : 'total (events)', align: 'right' },
            { header: 'share', align: 'right' },
            { header: 'events', align: 'right' },
          ],
          shown.map((r) => [
            names[r.id],
            formatDuration(r.self, unit),
            formatDuration(totalOf(r.id), unit),
            sharePercent(r.self, total).toFixed(2) + '%',
            formatCount(r.events),
          ]),
        )
      : renderTable(
          [
            { header: 'function' },
            { header: unit === 'ns' ? 'self' : 'self (events)', align: 'right' },
            { header: 'share', align: 'right' },
            { header: 'events', align: 'right' },
          ],
          shown.map((r) => [names[r.id], formatDuration(r.self, unit), sharePercent(r.self, total).toFixed(2) + '%', formatCount(r.events)]),
        );
    let text = table;
    if (top !== undefined && rows.length > top) text += `... ${countOf(rows.length - top, 'more function')} (--top N, or --format csv for all)\n`;
    text += '\n' + summaryText(summary).join('\n') + '\n';
    await out.write(text);
  }
  await out.close();
}
