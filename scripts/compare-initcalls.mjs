#!/usr/bin/env node
// Compares `bootprof initcalls --format csv` with the kernel's own initcall_debug lines
// ("initcall X+0x0/0x.. returned R after N usecs") from the guest console.
//
//   node scripts/compare-initcalls.mjs console.txt initcalls.csv [--markdown]
//
// Matches the two lists in order (same initcalls, same order), then checks every initcall the kernel
// timed at over 1 ms: bootprof's duration must be within 10% or 1 ms of the kernel's.
import { readFileSync } from 'node:fs';

const [consolePath, csvPath, ...flags] = process.argv.slice(2);
if (!consolePath || !csvPath) {
  console.error('usage: compare-initcalls.mjs console.txt initcalls.csv [--markdown]');
  process.exit(1);
}
const markdown = flags.includes('--markdown');
const kernel = [];
for (const line of readFileSync(consolePath, 'latin1').split('\n')) {
  const m = /initcall ([^\s+]+)\+0x[0-9a-f]+\/0x[0-9a-f]+(?: \[[^\]]+\])? returned (-?\d+) after (\d+) usecs/.exec(line);
  if (m) kernel.push({ name: m[1], ret: Number(m[2]), us: Number(m[3]) });
}
const rows = readFileSync(csvPath, 'utf8').trim().split('\n');
const header = rows.shift().split(',');
const col = (n) => header.indexOf(n);
const ours = rows.map((r) => {
  const f = r.split(',');
  return { name: f[col('initcall')], start: Number(f[col('start_ns')]), ns: Number(f[col('duration_ns')]), returned: f[col('returned')] !== '0' };
});

// in-order matching: each kernel initcall takes the next bootprof row of the same name
const WINDOW = 50;
let j = 0;
const pairs = [];
const missing = [];
for (const k of kernel) {
  let found = -1;
  for (let x = j; x < Math.min(ours.length, j + WINDOW); x++) if (ours[x].name === k.name) { found = x; break; }
  if (found < 0) { missing.push(k); continue; }
  for (let x = j; x < found; x++) pairs.push({ extra: ours[x] });
  pairs.push({ k, o: ours[found] });
  j = found + 1;
}
for (let x = j; x < ours.length; x++) pairs.push({ extra: ours[x] });
const matched = pairs.filter((p) => p.k);
const extras = pairs.filter((p) => p.extra);
const big = matched.filter((p) => p.k.us > 1000);
const ok = (p) => Math.abs(p.o.ns / 1000 - p.k.us) <= Math.max(0.1 * p.k.us, 1000);
const bad = big.filter((p) => !ok(p));
const dev = (p) => (p.o.ns / 1000 - p.k.us) / p.k.us;
const maxRel = big.reduce((m, p) => (Math.abs(dev(p)) > Math.abs(m) ? dev(p) : m), 0);
const maxAbs = big.reduce((m, p) => Math.max(m, Math.abs(p.o.ns / 1000 - p.k.us)), 0);

const summary = [
  `kernel initcall_debug lines: ${kernel.length}; bootprof initcalls: ${ours.length}`,
  `matched in order: ${matched.length}; kernel initcalls not found by bootprof: ${missing.length}${missing.length ? ' (' + missing.map((m) => m.name).join(', ') + ')' : ''}`,
  `bootprof rows without a kernel line: ${extras.length}${extras.length ? ' (' + extras.slice(0, 10).map((e) => e.extra.name).join(', ') + (extras.length > 10 ? ', ...' : '') + ')' : ''}`,
  `initcalls over 1 ms (kernel): ${big.length}; within 10% or 1 ms: ${big.length - bad.length}; outside: ${bad.length}${bad.length ? ' (' + bad.map((p) => p.k.name).join(', ') + ')' : ''}`,
  `max relative deviation (over 1 ms): ${(maxRel * 100).toFixed(2)}%; max absolute deviation: ${(maxAbs / 1000).toFixed(3)} ms`,
];
if (!markdown) {
  console.log(summary.join('\n'));
  process.exit(bad.length || missing.length ? 2 : 0);
}
console.log(summary.map((s) => '- ' + s).join('\n'));
console.log('\n| # | initcall | kernel (µs) | bootprof (µs) | deviation | within 10% or 1 ms |');
console.log('|---:|---|---:|---:|---:|:---:|');
matched.forEach((p, i) => {
  if (p.k.us <= 1000) return;
  console.log(`| ${i + 1} | ${p.k.name} | ${p.k.us} | ${(p.o.ns / 1000).toFixed(0)} | ${(dev(p) * 100).toFixed(2)}% | ${ok(p) ? 'yes' : '**no**'} |`);
});
