// npm run bench:records: what translation records (-d in_asm) cost. Times `self-time` on a trace that
// has records and on the same exec_tb lines without them (written once beside it), runs interleaved,
// medians of BENCH_RUNS (default 3); prints the ratio per exec_tb line (both hold the same lines).
//   BOOTPROF_BENCH_INASM=path: a trace recorded with -d nochain,in_asm (plain text, page-cached);
//     default: the committed in_asm sample repeated to BOOTPROF_BENCH_MB (default 256) MiB
//   BOOTPROF_BENCH_MAP=path (default: the bundled System.map), BENCH_THREADS=N (default 1)
import { spawnSync } from 'node:child_process';
import { median, timeOnce, warm } from './lib.mjs';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { once } from 'node:events';

const root = new URL('..', import.meta.url).pathname;
const map = process.env.BOOTPROF_BENCH_MAP ?? join(root, 'samples', 'System.map-6.1.0-47-cloud-amd64.gz');
const runs = Number(process.env.BENCH_RUNS ?? 3);
const threads = String(process.env.BENCH_THREADS ?? 1);
const bin = join(root, 'bin', 'bootprof.js');

async function write(path, produce) {
  const tmp = path + '.tmp';
  const w = createWriteStream(tmp);
  for await (const chunk of produce()) if (!w.write(chunk)) await once(w, 'drain');
  w.end();
  await once(w, 'finish');
  renameSync(tmp, path);
}

let withRecords = process.env.BOOTPROF_BENCH_INASM;
if (!withRecords) {
  const mb = Number(process.env.BOOTPROF_BENCH_MB ?? 256);
  withRecords = join(root, 'bench', 'data', `inasm-${mb}m.log`);
  if (!existsSync(withRecords)) {
    mkdirSync(join(root, 'bench', 'data'), { recursive: true });
    const sample = join(root, 'samples', 'inasm-start-kernel-200k.log.gz');
    await write(withRecords, async function* () {
      let n = 0;
      while (n < mb * (1 << 20))
        for await (const c of createReadStream(sample).pipe(createGunzip())) {
          n += c.length;
          yield c;
        }
    });
  }
}
// the same exec_tb lines, records left out
const plain = withRecords.replace(/(\.log)?$/, '.exec-tb-only.log');
if (!existsSync(plain) || statSync(plain).mtimeMs < statSync(withRecords).mtimeMs) {
  await write(plain, async function* () {
    let tail = '';
    for await (const c of createReadStream(withRecords, { encoding: 'latin1', highWaterMark: 1 << 22 })) {
      const lines = (tail + c).split('\n');
      tail = lines.pop();
      yield Buffer.from(lines.filter((l) => l.includes(':exec_tb ')).join('\n') + '\n', 'latin1');
    }
    if (tail.includes(':exec_tb ')) yield Buffer.from(tail + '\n', 'latin1');
  });
}
const wc = (f) => Number(spawnSync('grep', ['-c', ':exec_tb ', f], { encoding: 'utf8' }).stdout.trim());
const lines = wc(plain);
if (wc(withRecords) !== lines) throw new Error('exec_tb line counts differ');
const cmd = (f) => ['self-time', f, '--map', map, '--format', 'csv', '-q', '--threads', threads, '--weight', 'events'];
const time = (f) => {
  const t = timeOnce('bootprof self-time', 'node', [bin, ...cmd(f)]);
  return { s: t.secs, rss: t.rssMB };
};
for (const f of [withRecords, plain]) await warm(f);
const a = [];
const b = [];
for (let r = 0; r < runs; r++) {
  a.push(time(withRecords));
  b.push(time(plain));
}
const sa = median(a.map((x) => x.s));
const sb = median(b.map((x) => x.s));
const mb = (f) => (statSync(f).size / 1e6).toFixed(0);
console.log(`exec_tb lines: ${lines.toLocaleString('en-US')}; runs: ${runs}; threads: ${threads}; node ${process.version}`);
console.log(
  `with records    ${mb(withRecords).padStart(6)} MB  median ${sa.toFixed(3)} s  ${(lines / sa / 1e6).toFixed(2)} M exec_tb lines/s  peak RSS ${Math.max(...a.map((x) => x.rss)).toFixed(0)} MB`,
);
console.log(
  `exec_tb only    ${mb(plain).padStart(6)} MB  median ${sb.toFixed(3)} s  ${(lines / sb / 1e6).toFixed(2)} M exec_tb lines/s  peak RSS ${Math.max(...b.map((x) => x.rss)).toFixed(0)} MB`,
);
console.log(`time per exec_tb line, with records / without: ${(sa / sb).toFixed(2)}x`);
console.log('runs (s): with ' + a.map((x) => x.s.toFixed(2)).join(' ') + '; without ' + b.map((x) => x.s.toFixed(2)).join(' '));
