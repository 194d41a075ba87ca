/** `bootprof flamegraph`: reconstructed call stacks as folded stacks, speedscope or Chrome JSON. */
import { groupByOption, groupFlame, loadGrouper } from './group-by.js';
import { FrameRecorder } from '../analyze/frames.js';
import { StackReconstruction } from '../analyze/stacks.js';
import { BootprofError } from '../io/errors.js';
import { chooseThreshold, foldedLineBytes, foldedLines, foldTree } from '../output/folded.js';
import { writeChrome } from '../output/chrome.js';
import { openOutput } from '../output/sink.js';
import { sampleBytes, writeSpeedscope } from '../output/speedscope.js';
import { formatCount, formatDuration } from '../output/units.js';
import { loadSymbols, runPipeline } from '../pipeline.js';
import { chooseFormat, inputOptions, parseWeight, runWeight, warn, type CommonOptions } from './common.js';
import { inputWarnings } from './summary.js';
import { requireTimed, resolveWindowFor, windowLine, windowOptions } from './window-pass.js';
import type { WindowOptions } from '../analyze/window.js';

export interface FlamegraphOptions extends CommonOptions, WindowOptions {
  minDuration?: string;
}

/** Output budget of the default threshold: a full boot stays under ~100 MB. */
export const OUTPUT_BUDGET_BYTES = 100_000_000;
/** Frames kept in evented outputs by default (~90 bytes each in speedscope, ~85 in Chrome JSON). */
export const EVENTED_FRAME_BUDGET = 1_000_000;
/** Bytes of the aggregated profile in a speedscope file. */
export const AGGREGATE_BUDGET_BYTES = 10_000_000;

/** Parses a duration: a number of ns, or a number with ns, us, µs, ms or s. */
export function parseDuration(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)?\s*$/.exec(v);
  if (!m) throw new BootprofError('E_USAGE', `--min-duration takes a duration such as 0, 500us, 2ms (got '${v}')`);
  const scale = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 }[m[2] ?? 'ns']!;
  return Math.round(Number(m[1]) * scale);
}

/** Speedscope and Chrome JSON (megabytes on one line) are not written to a terminal, as gzip refuses to. */
export function refuseJsonOnTerminal(format: string, output: string | undefined, stdoutIsTTY: boolean | undefined): void {
  if (format === 'folded' || (output && output !== '-') || !stdoutIsTTY) return;
  throw new BootprofError('E_USAGE', `flamegraph: ${format} JSON not written to a terminal: use -o FILE, or a pipe (| npx speedscope -)`);
}

export async function flamegraphCommand(trace: string | undefined, o: FlamegraphOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, ['folded', 'speedscope', 'chrome'], 'flamegraph');
  refuseJsonOnTerminal(format, o.output, process.stdout.isTTY);
  const fixed = o.minDuration !== undefined ? parseDuration(o.minDuration) : undefined;
  const asked = parseWeight(o.weight);
  const groupBy = groupByOption(o);
  const out = openOutput(o.output);
  const input = inputOptions(trace, o);
  const windowed = windowOptions(o, input);
  const symbols = await loadSymbols(input);
  const grouper = await loadGrouper(groupBy, o, symbols);
  const window = windowed ? await resolveWindowFor(windowed, input, symbols) : null;
  let sr!: StackReconstruction;
  let frames: FrameRecorder | undefined;
  const run = await runPipeline(
    input,
    (info) => {
      requireTimed(window, info);
      sr = StackReconstruction.fromInfo(info);
      // a window: the stacks from every event, the weights and the frames clipped to it
      sr.window = window;
      if (format !== 'folded') {
        frames = new FrameRecorder(fixed ?? 0, fixed === undefined, EVENTED_FRAME_BUDGET, window);
        sr.frameSink = frames;
      }
      return [sr];
    },
    symbols,
  );
  for (const w of inputWarnings(run, sr.negativeDeltas)) warn(w);
  const full = sr.treeLimitNote();
  if (full) warn(full);
  const { tree, names, frames: evented } = groupFlame(grouper, run.names, sr.tree, frames);
  // the profile's name states the window (speedscope's title, Perfetto's process name)
  const profileName = window ? `${run.inputName} (${windowLine(window, sr.end)})` : run.inputName;
  const weight = runWeight(asked, run);
  // folded stacks and speedscope's aggregated profile weigh by the weight; evented views stay in time
  const own = tree.selfOf(weight);
  const totals = tree.totals(own);
  const unit = run.parser.unit;
  const fmt = (v: number): string => formatDuration(v, unit);
  // the folding notes speak the weight's unit
  const fmtW = weight === 'time' ? fmt : (v: number): string => `${formatCount(v)} ${weight === 'insns' ? 'instructions' : 'events'}`;
  if (format === 'folded') {
    const threshold = fixed ?? chooseThreshold(tree, totals, names, OUTPUT_BUDGET_BYTES, foldedLineBytes);
    const fold = foldTree(tree, totals, threshold, own);
    const lines = foldedLines(tree, names, fold);
    for (let i = 0; i < lines.length; i += 10000) await out.write(lines.slice(i, i + 10000).join('\n') + '\n');
    if (!o.quiet)
      note(`${formatCount(lines.length)} stacks from ${formatCount(tree.count - 1)} call nodes`, threshold, fold.foldedNodes, tree.count - 1, fixed, fmtW);
  } else if (format === 'speedscope') {
    const f = frames!;
    const aggThreshold = fixed ?? chooseThreshold(tree, totals, names, AGGREGATE_BUDGET_BYTES, (n) => sampleBytes(n, tree));
    const fold = foldTree(tree, totals, aggThreshold, own);
    await writeSpeedscope(out, {
      name: profileName,
      tree,
      names,
      frames: evented!,
      fold,
      unit: unit === 'ns' ? 'nanoseconds' : 'none',
      aggregateUnit: unit === 'ns' && weight === 'time' ? 'nanoseconds' : 'none',
      exporter: 'bootprof 0.1.0',
    });
    if (!o.quiet) {
      note(`${formatCount(f.kept)} frames in ${f.vcpus} vCPU profile${f.vcpus === 1 ? '' : 's'}`, f.threshold, f.closed - f.kept, f.closed, fixed, fmt);
      note(`aggregated profile: ${formatCount(tree.count - 1 - fold.foldedNodes)} call nodes`, aggThreshold, fold.foldedNodes, tree.count - 1, fixed, fmtW);
    }
  } else {
    const f = frames!;
    await writeChrome(out, { name: profileName, tree, names, frames: evented!, threadIds: run.parser.threadIds });
    if (!o.quiet)
      note(`${formatCount(f.kept)} frames on ${f.vcpus} vCPU track${f.vcpus === 1 ? '' : 's'}`, f.threshold, f.closed - f.kept, f.closed, fixed, fmt);
  }
  if (!o.quiet) {
    stackNote(sr);
    if (window) warn(windowLine(window, sr.end));
  }
  await out.close();
}

function note(what: string, threshold: number, folded: number, all: number, fixed: number | undefined, fmt: (v: number) => string): void {
  if (folded === 0) {
    warn(`flamegraph: ${what}, every frame kept`);
    return;
  }
  const why = fixed === undefined ? 'threshold chosen to keep the output under ~100 MB; --min-duration 0 keeps every frame' : '--min-duration';
  warn(`flamegraph: ${what}; ${formatCount(folded)} of ${formatCount(all)} frames shorter than ${fmt(threshold)} folded into their parents (${why})`);
}

function stackNote(sr: StackReconstruction): void {
  const s = sr.stats;
  warn(
    `stacks: ${formatCount(s.calls)} calls, ${formatCount(s.returns)} returns, ${formatCount(s.interrupts)} interrupt entries, ` +
      `${formatCount(s.adoptions)} task resumes, ${formatCount(s.missedEntries + s.replaced)} recovered jumps, max depth ${s.maxDepth}`,
  );
  if (s.isaEvents > 0)
    warn(
      `stacks: ${formatCount(s.isaEvents)} events placed by the previous block's last instruction (translation records), ` +
        `${formatCount(s.tailCalls)} tail calls, ${formatCount(s.inferredBlocks)} unlogged return sites followed (${formatCount(s.inferredInsns)} instructions), ` +
        `${formatCount(s.resynced)} placed by name`,
    );
}
