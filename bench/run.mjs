// npm run bench: bootprof against `wc -l` and a naive awk one-liner on the same page-cached file,
// in the same run, medians of BENCH_RUNS (default 3) runs interleaved (the machines are noisy).
//   BOOTPROF_BENCH_TRACE=path (default: a trace of BOOTPROF_BENCH_MB MiB, default 1024, built once
//     from the committed samples by bench/make-trace.mjs into bench/data/)
//   BOOTPROF_BENCH_MAP=path (default: a System.map* beside the trace, else the bundled sample's)
//   BENCH_RUNS=N, BENCH_THREADS=N (parse workers for the parallel runs; default: the number of cores)
import { existsSync, readdirSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { availableParallelism } from 'node:os';
import { makeTrace, out as builtTrace } from './make-trace.mjs';
import { median, timeOnce, warm } from './lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const given = process.env.BOOTPROF_BENCH_TRACE;
if (given) console.log(`bench: timing BOOTPROF_BENCH_TRACE=${given}`);
else {
  console.log(`bench: no BOOTPROF_BENCH_TRACE given: timing a trace built from the committed samples (${relative(root, builtTrace)}, built once, reused)`);
  console.log(
    'bench: BOOTPROF_BENCH_TRACE=path times your own trace; BOOTPROF_BENCH_MB=N builds a smaller or larger one; BENCH_RUNS=N runs each command N times',
  );
}
const trace = given ?? (await makeTrace());
const size = statSync(trace).size;
const beside = readdirSync(dirname(trace)).filter((f) => f.startsWith('System.map'));
const map =
  process.env.BOOTPROF_BENCH_MAP ?? (beside.length === 1 ? join(dirname(trace), beside[0]) : join(root, 'samples', 'System.map-6.1.0-47-cloud-amd64.gz'));
const runs = Number(process.env.BENCH_RUNS ?? 3);
// The same trace gzipped (gzip -6, built once beside it): bootprof's sequential path against zcat.
const gz = process.env.BENCH_GZIP === '0' ? null : trace.endsWith('.gz') ? null : trace + '.gz';
if (gz && !existsSync(gz)) {
  console.log(`bench: compressing the trace once to ${relative(root, gz)} (gzip -6)`);
  execFileSync('sh', ['-c', 'gzip -6 -c "$1" > "$1.gz.tmp" && mv "$1.gz.tmp" "$1.gz"', 'sh', trace]);
}
const bin = join(root, 'bin', 'bootprof.js');
const threads = String(process.env.BENCH_THREADS ?? availableParallelism());

const commands = [
  { name: 'wc -l', cmd: 'wc', args: ['-l', trace] },
  { name: 'awk one-liner (self time per pc)', cmd: 'awk', args: ['-f', join(root, 'bench', 'self-time.awk'), trace] },
  {
    name: 'bootprof self-time --threads 1',
    cmd: 'node',
    args: [bin, 'self-time', trace, '--map', map, '--format', 'csv', '-q', '--threads', '1'],
    bootprof: true,
  },
  {
    name: `bootprof self-time (--threads ${threads})`,
    cmd: 'node',
    args: [bin, 'self-time', trace, '--map', map, '--format', 'csv', '-q', '--threads', threads],
    bootprof: true,
  },
  {
    name: `bootprof report (self+timeline+syscalls)`,
    cmd: 'node',
    args: [bin, 'report', trace, '--map', map, '--format', 'json', '-q', '--threads', threads],
    bootprof: true,
  },
];
if (gz) {
  commands.push(
    { name: 'zcat FILE.gz > /dev/null', cmd: 'sh', args: ['-c', 'zcat "$1" > /dev/null', 'sh', gz] },
    { name: 'bootprof self-time FILE.gz', cmd: 'node', args: [bin, 'self-time', gz, '--map', map, '--format', 'csv', '-q'], bootprof: true },
  );
}
for (const extra of (process.env.BENCH_EXTRA ?? '').split(';').filter(Boolean)) {
  commands.push({
    name: `bootprof ${extra}`,
    cmd: 'node',
    args: [bin, ...extra.split(' ').map((a) => (a === 'TRACE' ? trace : a === 'MAP' ? map : a))],
    bootprof: true,
  });
}

console.log(`trace: ${trace} (${(size / 1e6).toFixed(0)} MB), map: ${map}, runs: ${runs}, node ${process.version}`);
await warm(trace);
const results = commands.map(() => ({ secs: [], rss: [], busy: [] }));
for (let r = 0; r < runs; r++)
  commands.forEach((c, i) => {
    const t = timeOnce(c.name, c.cmd, c.args);
    results[i].secs.push(t.secs);
    results[i].rss.push(t.rssMB);
    results[i].busy.push(t.mainBusy);
  });
const wc = median(results[0].secs);
const awk = median(results[1].secs);
console.log('');
console.log(
  'command'.padEnd(44) +
    'median s'.padStart(10) +
    'MB/s'.padStart(9) +
    'x wc -l'.padStart(10) +
    'vs awk'.padStart(10) +
    'peak RSS'.padStart(11) +
    'main busy'.padStart(11) +
    'ceiling MB/s'.padStart(14),
);
commands.forEach((c, i) => {
  const s = median(results[i].secs);
  const rss = Math.max(...results[i].rss);
  const busy = median(results[i].busy);
  console.log(
    c.name.padEnd(44) +
      s.toFixed(3).padStart(10) +
      (size / 1e6 / s).toFixed(0).padStart(9) +
      (s / wc).toFixed(2).padStart(10) +
      (awk / s).toFixed(2).padStart(9) +
      'x' +
      (Number.isNaN(rss) ? '' : rss.toFixed(0) + ' MB').padStart(11) +
      (Number.isNaN(busy) ? '' : ((busy / s) * 100).toFixed(0) + '%').padStart(11) +
      (Number.isNaN(busy) ? '' : (size / 1e6 / busy).toFixed(0)).padStart(14),
  );
});
const self = median(results[3].secs);
const combined = median(results[4].secs);
console.log(`\nreport (three analyses, one pass) / self-time alone: ${(combined / self).toFixed(2)}x`);
if (gz) {
  const z = commands.findIndex((c) => c.name.startsWith('zcat'));
  console.log(`self-time on the gzipped trace / zcat > /dev/null: ${(median(results[z + 1].secs) / median(results[z].secs)).toFixed(2)}x`);
}
console.log('(x wc -l: time relative to wc -l, lower is better; vs awk: speed-up over the awk one-liner)');
console.log(
  "(main busy: the main thread's event-loop active time as a share of the wall time; ceiling: bytes / main-thread busy time, the throughput no number of parse workers can pass while the main thread does that work)",
);
console.log('runs (s): ' + commands.map((c, i) => `${c.name}: ${results[i].secs.map((x) => x.toFixed(2)).join(' ')}`).join('; '));
