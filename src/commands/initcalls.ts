/** `bootprof initcalls`: what initcall_debug + bootgraph report, from the trace alone. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { InitcallCollector, INITCALL_CALLER, initcallNamesFromMap } from '../analyze/initcalls.js';
import { StackReconstruction } from '../analyze/stacks.js';
import { TraceCounts } from '../analyze/summary.js';
import { BootprofError } from '../io/errors.js';
import { csvLine } from '../output/csv.js';
import { openOutput } from '../output/sink.js';
import { renderTable } from '../output/table.js';
import { formatSeconds } from '../output/timestamp.js';
import { formatCount, formatDuration } from '../output/units.js';
import { loadSymbols, runPipeline } from '../pipeline.js';
import { chooseFormat, inputOptions, needsSymbolsError, parseTop, warn, type CommonOptions } from './common.js';
import { buildSummary, inputWarnings, summaryText } from './summary.js';

export interface InitcallsOptions extends CommonOptions {
  sort?: string;
  top?: string;
  all?: boolean;
}

export const INITCALLS_CSV_HEADER = ['initcall', 'start_ns', 'duration_ns', 'cpu', 'returned'] as const;

export async function initcallsCommand(trace: string | undefined, o: InitcallsOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, undefined, 'initcalls');
  const sort = o.sort ?? 'start';
  if (sort !== 'start' && sort !== 'duration') throw new BootprofError('E_USAGE', `--sort must be start or duration (got '${sort}')`);
  const top = parseTop(o.top);
  const out = openOutput(o.output);
  const input = inputOptions(trace, o);
  const symbols = await loadSymbols(input);
  if (!symbols.table) throw needsSymbolsError('initcalls', "the guest kernel's symbols with do_one_initcall", symbols.note);
  const table = symbols.table;
  // checked before the (long) read
  if (!table.names.includes(INITCALL_CALLER))
    throw new BootprofError('E_SYMBOLS', `${symbols.mapPath}: no ${INITCALL_CALLER} symbol: is it the guest kernel's System.map?`);
  const initcallNames = new Set<string>();
  for (const path of new Set([...(input.maps ?? []), ...(symbols.mapPath ? [symbols.mapPath] : [])]))
    for (const n of readInitcallNames(path)) initcallNames.add(n);
  let sr!: StackReconstruction;
  let ic!: InitcallCollector;
  const counts = new TraceCounts();
  const run = await runPipeline(
    input,
    (info) => {
      sr = StackReconstruction.fromInfo(info);
      ic = new InitcallCollector(sr.tree, sr.names, !!o.all, initcallNames);
      sr.callSink = ic;
      return [counts, sr];
    },
    symbols,
  );
  sr.finish();
  for (const w of inputWarnings(run, sr.negativeDeltas)) warn(w);
  const full = sr.treeLimitNote();
  if (full) warn(full);
  if (!ic.available) throw new BootprofError('E_SYMBOLS', `${symbols.mapPath}: no ${INITCALL_CALLER} symbol`);
  const names = run.names;
  const all = ic.sorted(sort as 'start' | 'duration');
  const rows = top === undefined ? all : all.slice(0, top);
  const open = all.filter((r) => !r.returned).length;
  if (open > 0) warn(`${open} initcall${open > 1 ? 's' : ''} had not returned when the trace ended (duration runs to the end)`);
  if (all.length === 0) warn(`no calls from ${INITCALL_CALLER} in this trace (does it cover the kernel's initcalls?)`);
  const summary = buildSummary(run, counts, { negativeDeltas: sr.negativeDeltas });
  const unit = summary.unit;
  const sum = all.reduce((s, r) => s + r.duration, 0);
  const totals = { initcalls: all.length, unfinished: open, total_duration: sum };
  const totalsLine = `initcalls: ${formatCount(all.length)}${open ? ` (${formatCount(open)} unfinished)` : ''}, ${formatDuration(sum, unit)} in total`;
  if (format === 'csv') {
    let text = csvLine(INITCALLS_CSV_HEADER);
    for (const r of rows) text += csvLine([names[r.fn], r.start, r.duration, r.cpu, r.returned ? 1 : 0]);
    await out.write(text);
    if (!o.quiet) for (const line of [...summaryText(summary), totalsLine]) process.stderr.write(line + '\n');
  } else if (format === 'json') {
    const json = {
      summary: { ...summary, ...totals },
      initcalls: rows.map((r) => ({ initcall: names[r.fn], start_ns: r.start, duration_ns: r.duration, cpu: r.cpu, returned: r.returned })),
    };
    await out.write(JSON.stringify(json, null, 1) + '\n');
  } else {
    let text = renderTable(
      [
        { header: unit === 'ns' ? 'start (s)' : 'start', align: 'right' },
        { header: 'initcall' },
        { header: 'duration', align: 'right' },
        { header: 'vCPU', align: 'right' },
      ],
      rows.map((r) => [formatSeconds(r.start, unit), names[r.fn] + (r.returned ? '' : ' (unfinished)'), formatDuration(r.duration, unit), String(r.cpu)]),
    );
    if (rows.length < all.length)
      text += `... ${all.length - rows.length} more initcall${all.length - rows.length === 1 ? '' : 's'} (--top N, or --format csv for all)\n`;
    text += '\n' + [...summaryText(summary), totalsLine].join('\n') + '\n';
    await out.write(text);
  }
  await out.close();
}

/** The initcall table's function names from System.map (read again: the symbol table keeps only text). */
function readInitcallNames(path: string): Set<string> {
  try {
    let bytes: Buffer = readFileSync(path);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
    return initcallNamesFromMap(bytes.toString('latin1'));
  } catch {
    return new Set();
  }
}
