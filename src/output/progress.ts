/**
 * A progress bar on stderr for long runs (bytes done, MB/s, ETA), via cli-progress. Only when stderr
 * is a terminal and not --quiet; updates are throttled (the pipeline reports per chunk or unit, so
 * this costs nothing measurable: see docs/BENCHMARKS.md).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(bytes: number, total: number | undefined): void;
  stop(): void;
}

const NONE: Progress = { update() {}, stop() {} };
const MB = 1e6;

export function progressBar(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!enabled || !stream.isTTY) return NONE;
  let bar: cliProgress.SingleBar | null = null;
  const t0 = Date.now();
  let last = 0;
  return {
    update(bytes, total) {
      const now = Date.now();
      if (now - t0 < 1000 || now - last < 200) return; // short runs show nothing
      last = now;
      const rate = bytes / MB / Math.max(0.001, (now - t0) / 1000);
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: total ? 'bootprof {bar} {percentage}% | {done} / {all} MB | {rate} MB/s | ETA {eta_formatted}' : 'bootprof {done} MB | {rate} MB/s',
            hideCursor: true,
            clearOnComplete: true,
            etaBuffer: 50,
            fps: 5,
          },
          cliProgress.Presets.shades_classic,
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
