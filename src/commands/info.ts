/**
 * `bootprof info`: what a trace is before analysing it: format and time unit, events, vCPUs (thread
 * ids), span, distinct pcs, events per region, kernel-half resolution rate, KASLR slide, skipped and
 * malformed lines. Table (default on a terminal) or JSON.
 */
import { TraceCounts } from '../analyze/trace-counts.js';
import { DistinctPcs, EXACT_DISTINCT_PCS } from '../analyze/distinct-pcs.js';
import { TABLELESS_FORMATS, writeDocument } from '../output/document.js';
import type { InfoSummary } from '../output/format-spec.js';
import { openOutput } from '../output/sink.js';
import { countOf, formatCount, formatDuration } from '../output/units.js';
import { runPipeline, type RunResult } from '../pipeline.js';
import { slideHex } from '../symbols/kaslr.js';
import { chooseFormat, inputOptions, warn, type CommonOptions } from './common.js';
import { buildSummary, inputWarnings } from './summary.js';

export interface InfoOptions extends CommonOptions {}

export function buildInfo(run: RunResult, counts: TraceCounts, pcs: DistinctPcs): InfoSummary {
  const s = buildSummary(run, counts);
  const k = run.kaslr;
  const p = run.parser;
  return {
    ...s,
    symbol_sources: run.symbols.sources ?? [],
    distinct_pcs: pcs.count,
    /** false: more than EXACT_DISTINCT_PCS, estimated within ~1% in bounded memory */
    distinct_pcs_exact: pcs.exact,
    kernel_half_events: k?.kernelEvents ?? 0,
    kernel_half_resolved: k?.kernelResolved ?? 0,
    resolution_rate: k && k.kernelEvents > 0 ? Number((k.kernelResolved / k.kernelEvents).toFixed(6)) : null,
    kaslr: k
      ? {
          slide: slideHex(k.slide),
          method: k.method,
          confidence: k.vote?.confidence ?? null,
          votes: k.vote
            ? { hits: k.vote.hits, without_slide: k.vote.zero, runner_up: k.vote.second, voters: k.vote.voters, best: slideHex(k.vote.slide) }
            : null,
          sampled_kernel_events: k.sampled,
        }
      : null,
    malformed_samples: p.stats.samples,
    lost_events: p.lostEvents,
  };
}

export function infoLines(info: InfoSummary): string[] {
  const pct = (n: number): string => (info.events > 0 ? ((n / info.events) * 100).toFixed(1) + '%' : '0%');
  const r = info.regions;
  const lines: [string, string][] = [
    ['input', info.input],
    ['format', info.format],
    [
      'time unit',
      `input: ${info.input_time_unit || (info.unit === 'ns' ? 'absolute timestamps' : 'none (no timestamps)')}; bootprof: ${info.unit === 'ns' ? 'nanoseconds' : 'events (no timestamps: each event weighs 1)'}`,
    ],
    ['symbols', info.symbols ?? 'none'],
    ...info.symbol_sources.map((x): [string, string] => ['  source', `${x.path} (${x.kind}, ${formatCount(x.symbols)} symbols, ${formatCount(x.added)} used)`]),
    ['events', `${formatCount(info.events)} in ${countOf(info.lines, 'line')}`],
    [
      'vCPUs',
      `${info.vcpus.length}: ` +
        info.vcpus
          .slice(0, 16)
          .map((v) => `${v.cpu}=tid ${v.tid} (${formatCount(v.events)})`)
          .join(', ') +
        (info.vcpus.length > 16 ? ', ...' : ''),
    ],
    ['span', formatDuration(info.span_ns, info.unit)],
    [
      'distinct pcs',
      info.distinct_pcs_exact ? formatCount(info.distinct_pcs) : `~${formatCount(info.distinct_pcs)} (estimated beyond ${formatCount(EXACT_DISTINCT_PCS)})`,
    ],
    [
      'regions',
      `kernel ${formatCount(r.kernel)} (${pct(r.kernel)}), [user] ${formatCount(r.user)} (${pct(r.user)}), [firmware] ${formatCount(r.firmware)} (${pct(r.firmware)}), [boot] ${formatCount(r.boot)} (${pct(r.boot)}), [unknown] ${formatCount(r.unknown)} (${pct(r.unknown)})` +
        (r.unsymbolized_kernel ? `, [kernel] ${formatCount(r.unsymbolized_kernel)} (${pct(r.unsymbolized_kernel)})` : ''),
    ],
    [
      'resolution',
      info.resolution_rate === null
        ? 'no kernel-half pcs' + (info.symbols ? '' : ' resolved (no symbols)')
        : `${(info.resolution_rate * 100).toFixed(2)}% of ${formatCount(info.kernel_half_events)} kernel-half events resolve to a function`,
    ],
    [
      'KASLR slide',
      info.kaslr
        ? `${info.kaslr.slide} (${info.kaslr.method}${info.kaslr.confidence ? `, confidence ${info.kaslr.confidence}` : ''}${info.kaslr.votes ? `: ${info.kaslr.votes.hits} of ${info.kaslr.votes.voters} frequent pcs start a function under ${info.kaslr.votes.best}, ${info.kaslr.votes.without_slide} without a slide` : ''})`
        : 'n/a',
    ],
    ['other lines', formatCount(info.other_lines)],
    [
      'malformed lines',
      formatCount(info.malformed_lines) +
        (info.malformed_samples.length ? ' (' + info.malformed_samples.map((x) => `line ${x.line}: ${x.reason}: "${x.snippet}"`).join('; ') + ')' : ''),
    ],
  ];
  if (info.lost_events) lines.push(['lost events', `${formatCount(info.lost_events)} (the tracer's dropped-records count)`]);
  if (info.crlf_lines) lines.push(['CR LF lines', formatCount(info.crlf_lines)]);
  if (info.truncated) lines.push(['truncated', 'yes: the input is cut short (results up to its last complete line)']);
  const w = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${(k + ':').padEnd(w + 1)} ${v}`);
}

export async function infoCommand(trace: string | undefined, o: InfoOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, TABLELESS_FORMATS, 'info');
  const out = openOutput(o.output, format);
  const counts = new TraceCounts();
  const pcs = new DistinctPcs();
  const run = await runPipeline(inputOptions(trace, o), () => [counts, pcs]);
  const info = buildInfo(run, counts, pcs);
  for (const w of inputWarnings(run)) warn(w);
  await writeDocument(format, { kind: 'info', summary: info, tables: [], lines: infoLines(info) }, out, { quiet: o.quiet, label: o.label });
}
