// npm run bench:startup: start-up, the time a short run takes. Times `self-time` on the first 100
// lines of a committed sample with the bundled System.map: with an empty symbol cache (a new
// directory each run: the first run over a map), with a warm one (the same map again), with the
// cache off, and bare `node -e 0` for scale; runs interleaved, BENCH_RUNS (default 10) of each,
// wall-clock medians.
//   BOOTPROF_STARTUP_BASE=path/to/bin/bootprof.js: also times that build (another checkout), cache off
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const map = join(root, 'samples', 'System.map-6.1.0-47-cloud-amd64.gz');
const bin = join(root, 'bin', 'bootprof.js');
const runs = Number(process.env.BENCH_RUNS ?? 10);
const base = process.env.BOOTPROF_STARTUP_BASE;

const dir = mkdtempSync(join(tmpdir(), 'bootprof-startup-'));
const trace = join(dir, 't100.log');
const lines = gunzipSync(readFileSync(join(root, 'samples', 'start-kernel-120k.log.gz')))
  .toString('latin1')
  .split('\n');
writeFileSync(trace, lines.slice(0, 100).join('\n') + '\n');
const warmCache = join(dir, 'warm');
const args = (b) => [b, 'self-time', trace, '--map', map];

const cases = [
  { name: 'node -e 0 (no bootprof)', argv: ['-e', '0'] },
  { name: 'warm symbol cache', argv: args(bin), cache: () => warmCache },
  { name: 'BOOTPROF_CACHE_DIR=off', argv: args(bin), cache: () => 'off' },
  { name: 'empty symbol cache (first run over the map)', argv: args(bin), cache: () => mkdtempSync(join(dir, 'cold-')) },
  ...(base ? [{ name: 'the other build (BOOTPROF_STARTUP_BASE)', argv: args(base), cache: () => 'off' }] : []),
];

function once(c) {
  const env = { ...process.env };
  if (c.cache) env.BOOTPROF_CACHE_DIR = c.cache();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, c.argv, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${c.name} failed (${r.status}): ${r.stderr}`);
  return secs;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

try {
  once(cases.find((c) => c.name === 'warm symbol cache')); // fills the warm cache
  const times = cases.map(() => []);
  for (let r = 0; r < runs; r++) cases.forEach((c, i) => times[i].push(once(c)));
  console.log(`self-time on a 100-line trace with the bundled System.map, ${runs} runs each, interleaved (wall seconds)\n`);
  console.log('| run | median | min | max |\n|---|---:|---:|---:|');
  cases.forEach((c, i) =>
    console.log(`| ${c.name} | ${median(times[i]).toFixed(3)} | ${Math.min(...times[i]).toFixed(3)} | ${Math.max(...times[i]).toFixed(3)} |`),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
