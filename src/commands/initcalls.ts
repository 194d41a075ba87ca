/** `bootprof initcalls`: what initcall_debug + bootgraph report, from the trace alone. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { InitcallCollector, INITCALL_CALLER, INITCALLS_TABLE, initcallNamesFromMap, namedInitcalls } from '../analyze/initcalls.js';
import { StackReconstruction } from '../analyze/stacks.js';
import { TraceCounts } from '../analyze/trace-counts.js';
import { BootprofError } from '../io/errors.js';
import { isGzip } from '../io/source.js';
import { makeTable } from '../model/table.js';
import { writeDocument } from '../output/document.js';
import { openOutput } from '../output/sink.js';
import { formatCount, formatDuration } from '../output/units.js';
import { loadSymbols, runPipeline } from '../pipeline.js';
import { chooseFormat, inputOptions, needsSymbolsError, parseTop, runWeight, warn, type CommonOptions } from './common.js';
import { buildSummary, inputWarnings, summaryText } from './summary.js';
import { requireTimed, resolveWindowFor, windowField, windowOptions, withWindowLine } from './window-pass.js';
import type { WindowOptions } from '../analyze/window.js';

export interface InitcallsOptions extends CommonOptions, WindowOptions {
  sort?: string;
  top?: string;
  all?: boolean;
}

export async function initcallsCommand(trace: string | undefined, o: InitcallsOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, undefined, 'initcalls');
  const sort = o.sort ?? 'start';
  if (sort !== 'start' && sort !== 'duration' && sort !== 'insns')
    throw new BootprofError('E_USAGE', `--sort must be start, duration or insns (got '${sort}')`);
  const top = parseTop(o.top);
  const out = openOutput(o.output, format);
  const input = inputOptions(trace, o);
  const windowed = windowOptions(o, input);
  const symbols = await loadSymbols(input);
  if (!symbols.table) throw needsSymbolsError('initcalls', "the guest kernel's symbols with do_one_initcall", symbols.note);
  const table = symbols.table;
  // checked before the (long) read
  if (!table.names.includes(INITCALL_CALLER))
    throw new BootprofError('E_SYMBOLS', `${symbols.mapPath}: no ${INITCALL_CALLER} symbol: is it the guest kernel's System.map?`);
  const initcallNames = new Set<string>();
  for (const path of new Set([...(input.maps ?? []), ...(symbols.mapPath ? [symbols.mapPath] : [])]))
    for (const n of readInitcallNames(path)) initcallNames.add(n);
  const window = windowed ? await resolveWindowFor(windowed, input, symbols) : null;
  let sr!: StackReconstruction;
  let ic!: InitcallCollector;
  const counts = new TraceCounts();
  const run = await runPipeline(
    input,
    (info) => {
      requireTimed(window, info);
      sr = StackReconstruction.fromInfo(info, false); // calls and returns only: the tree keeps no weights
      sr.window = window; // its instruction clock counts the events inside the window
      ic = new InitcallCollector(sr.tree, sr.names, !!o.all, initcallNames);
      ic.window = window;
      sr.callSink = ic;
      return [counts, sr];
    },
    symbols,
  );
  for (const w of inputWarnings(run, sr.negativeDeltas)) warn(w);
  const full = sr.treeLimitNote();
  if (full) warn(full);
  if (!ic.available) throw new BootprofError('E_SYMBOLS', `${symbols.mapPath}: no ${INITCALL_CALLER} symbol`);
  const insns = run.translations.active;
  if (sort === 'insns' && !insns) runWeight('insns', run); // refused: no translation records
  const all = namedInitcalls(ic.sorted(sort as 'start' | 'duration' | 'insns'), run.names);
  const rows = top === undefined ? all : all.slice(0, top);
  const open = all.filter((r) => !r.returned).length;
  if (open > 0) warn(`${open} initcall${open > 1 ? 's' : ''} had not returned when the trace ended (duration runs to the end)`);
  if (all.length === 0)
    warn(window ? `no initcall ran in the window` : `no calls from ${INITCALL_CALLER} in this trace (does it cover the kernel's initcalls?)`);
  const summary = buildSummary(run, counts, { negativeDeltas: sr.negativeDeltas, weight: insns ? 'insns' : undefined });
  const sum = all.reduce((s, r) => s + r.duration, 0);
  const sumInsns = all.reduce((s, r) => s + r.insns, 0);
  const totalsLine = `initcalls: ${formatCount(all.length)}${open ? ` (${formatCount(open)} unfinished)` : ''}, ${formatDuration(sum, summary.unit)} in total${insns ? `, ${formatCount(sumInsns)} instructions` : ''}`;
  const more = all.length - rows.length;
  await writeDocument(
    format,
    {
      kind: 'initcalls',
      summary: {
        ...summary,
        initcalls: all.length,
        unfinished: open,
        total_duration_ns: sum,
        ...(insns ? { total_insns: sumInsns } : {}),
        ...windowField(window),
      },
      tables: [makeTable(INITCALLS_TABLE, rows, { include: insns ? ['insns'] : [] })],
      lines: [...withWindowLine(summaryText(summary), window, summary.span_ns), totalsLine],
      layout: [{ table: 'initcalls', notes: more > 0 ? [`... ${more} more initcall${more === 1 ? '' : 's'} (--top N, or --format csv for all)`] : [] }],
    },
    out,
    { quiet: o.quiet, label: o.label },
  );
}

/** The initcall table's function names from System.map (read again: the symbol table keeps only text). */
export function readInitcallNames(path: string): Set<string> {
  try {
    let bytes: Buffer = readFileSync(path);
    if (isGzip(bytes)) bytes = gunzipSync(bytes);
    return initcallNamesFromMap(bytes.toString('latin1'));
  } catch {
    return new Set();
  }
}
