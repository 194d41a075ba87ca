/** `bootprof resolve`: the trace back out with symbols, one line per event (output/resolved.ts). */
import { TraceCounts } from '../analyze/trace-counts.js';
import { openSource, withRead, type ByteSource } from '../io/source.js';
import { ResolveWriter } from '../output/resolved.js';
import { openOutput } from '../output/sink.js';
import { runPipeline } from '../pipeline.js';
import { inputOptions, warn, type CommonOptions } from './common.js';
import { buildSummary, inputWarnings, summaryText } from './summary.js';

export interface ResolveOptions extends CommonOptions {}

/** A source whose reads first wait for the writer to drain (backpressure without a string per line). */
function throttled(src: ByteSource, writer: () => ResolveWriter | undefined): ByteSource {
  return withRead(src, async (buf, off, len) => {
    await writer()?.drain();
    return src.read(buf, off, len);
  });
}

export async function resolveCommand(trace: string | undefined, o: ResolveOptions): Promise<void> {
  const out = openOutput(o.output);
  const input = inputOptions(trace, o);
  let writer: ResolveWriter | undefined;
  input.source = throttled(await openSource(trace), () => writer);
  const counts = new TraceCounts();
  const run = await runPipeline(input, (info) => {
    writer = new ResolveWriter(out, info.names, true);
    return [counts, writer];
  });
  for (const w of inputWarnings(run)) warn(w);
  if (!o.quiet) for (const line of summaryText(buildSummary(run, counts))) process.stderr.write(line + '\n');
  await out.close();
}
