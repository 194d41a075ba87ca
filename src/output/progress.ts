/**
 * A progress bar on stderr for long runs (bytes done, MB/s, ETA), via cli-progress. Only when stderr
 * is a terminal and not --quiet; updates are throttled (the pipeline reports per chunk or unit, so
 * this costs nothing measurable: see docs/BENCHMARKS.md). What kind of bar: `progressStyle`.
 * cli-progress (with string-width, its regexes) is loaded when a bar is first drawn, a second into
 * a run: loading it costs a short run ~30 ms (measured).
 */
import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';

let lib: typeof CliProgress | undefined;

function cliProgress(): typeof CliProgress {
  return (lib ??= createRequire(import.meta.url)('cli-progress') as typeof CliProgress);
}

export interface Progress {
  update(bytes: number, total: number | undefined): void;
  stop(): void;
}

const NONE: Progress = { update() {}, stop() {} };
const MB = 1e6;

export type ProgressStyle = 'none' | 'unicode' | 'ascii';

/**
 * No bar when stderr is no terminal or a dumb one (TERM unset or `dumb`: it cannot redraw a line);
 * with NO_COLOR set (to anything but empty) an ASCII bar (`=`/`-`, no cursor hiding); else the
 * Unicode one.
 */
export function progressStyle(isTTY: boolean | undefined, env: NodeJS.ProcessEnv = process.env): ProgressStyle {
  if (!isTTY || !env.TERM || env.TERM === 'dumb') return 'none';
  return env.NO_COLOR ? 'ascii' : 'unicode';
}

export function progressBar(enabled: boolean, stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): Progress {
  const style = enabled ? progressStyle(stream.isTTY, env) : 'none';
  if (style === 'none') return NONE;
  let bar: CliProgress.SingleBar | null = null;
  const t0 = Date.now();
  let last = 0;
  return {
    update(bytes, total) {
      const now = Date.now();
      if (now - t0 < 1000 || now - last < 200) return; // short runs show nothing
      last = now;
      const rate = bytes / MB / Math.max(0.001, (now - t0) / 1000);
      if (!bar) {
        const { Presets, SingleBar } = cliProgress();
        bar = new SingleBar(
          {
            stream,
            format: total ? 'bootprof {bar} {percentage}% | {done} / {all} MB | {rate} MB/s | ETA {eta_formatted}' : 'bootprof {done} MB | {rate} MB/s',
            hideCursor: style === 'unicode',
            clearOnComplete: true,
            etaBuffer: 50,
            fps: 5,
          },
          style === 'unicode' ? Presets.shades_classic : Presets.legacy,
        );
        bar.start(total ?? 1, 0, { done: '0', all: total ? (total / MB).toFixed(0) : '?', rate: '0' });
      }
      bar.update(total ? Math.min(bytes, total) : 0, { done: (bytes / MB).toFixed(0), rate: rate.toFixed(0) });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
