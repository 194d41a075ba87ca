// Helpers the benchmark scripts share: page-cache warm-up, one timed run with peak RSS, the median.
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';

/** Reads a file once so the runs that follow time the page cache, not the disk. */
export async function warm(path) {
  for await (const _ of createReadStream(path, { highWaterMark: 1 << 22 })); // page cache
}

const hasTime = existsSync('/usr/bin/time');

/**
 * Runs `cmd args` once (stdout discarded): wall seconds, peak RSS in MB (NaN without /usr/bin/time)
 * and, for bootprof (run with BOOTPROF_STATS=1), the main thread's busy seconds (else NaN).
 */
export function timeOnce(name, cmd, args) {
  const env = { ...process.env, BOOTPROF_STATS: '1' };
  const t0 = process.hrtime.bigint();
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-f', 'RSS_KB=%M', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26, env })
    : spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${name} failed (${r.status}): ${r.stderr}`);
  const m = /RSS_KB=(\d+)/.exec(r.stderr ?? '');
  const busy = /bootprof-stats: main_busy_ms=([\d.]+)/.exec(r.stderr ?? '');
  return { secs, rssMB: m ? Number(m[1]) / 1024 : NaN, mainBusy: busy ? Number(busy[1]) / 1000 : NaN };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
