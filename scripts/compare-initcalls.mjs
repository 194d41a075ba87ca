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
// The kernel times initcalls with ktime_get(): until "clocksource: Switched to clocksource" that
// clock is jiffies (4 ms steps at HZ=250, and ticks get lost when a slow TCG guest keeps interrupts
// off), so those durations are also checked against the printk timestamps (sched_clock, TSC).
const kernel = [];
const calling = new Map();
let clock = 'jiffies';
for (const line of readFileSync(consolePath, 'latin1').split('\n')) {
  const ts = /^\[\s*(\d+\.\d+)\]/.exec(line);
  const c = /calling {2}([^\s+]+)\+/.exec(line);
  if (c && ts) calling.set(c[1], Number(ts[1]));
  if (/clocksource: Switched to clocksource/.test(line)) clock = 'clocksource';
  const m = /initcall ([^\s+]+)\+0x[0-9a-f]+\/0x[0-9a-f]+(?: \[[^\]]+\])? returned (-?\d+) after (\d+) usecs/.exec(line);
  if (m) {
    const from = calling.get(m[1]);
    const printkUs = ts && from !== undefined ? Math.round((Number(ts[1]) - from) * 1e6) : NaN;
    kernel.push({ name: m[1], ret: Number(m[2]), us: Number(m[3]), clock, printkUs, callingAt: from });
  }
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
  for (let x = j; x < Math.min(ours.length, j + WINDOW); x++)
    if (ours[x].name === k.name) {
      found = x;
      break;
    }
  if (found < 0) {
    missing.push(k);
    continue;
  }
  for (let x = j; x < found; x++) pairs.push({ extra: ours[x] });
  pairs.push({ k, o: ours[found] });
  j = found + 1;
}
for (let x = j; x < ours.length; x++) pairs.push({ extra: ours[x] });
const matched = pairs.filter((p) => p.k);
const extras = pairs.filter((p) => p.extra);
const within = (ours, ref) => Math.abs(ours - ref) <= Math.max(0.1 * ref, 1000);
// Local rate of the host clock (the trace) against the guest's clock, from the printk timestamps of
// the "calling" lines of the matched initcalls five places around each one.
matched.forEach((p, i) => {
  const a = matched[Math.max(0, i - 5)];
  const b = matched[Math.min(matched.length - 1, i + 5)];
  const g = b.k.callingAt - a.k.callingAt;
  p.rate = g > 0 ? (b.o.start - a.o.start) / 1e9 / g : 1;
});
const JIFFY_US = 4000;
// jiffies-era durations: within 10% or 1 ms plus one jiffy (the kernel's clock steps by 4 ms)
const okJiffies = (p) => Math.abs(p.o.ns / 1000 - p.k.us) <= Math.max(0.1 * p.k.us, 1000) + JIFFY_US;
// ... or so once ours is converted to the guest's clock where that clock lost time (rate > 1.1)
const okDrift = (p) => p.rate > 1.1 && Math.abs(p.o.ns / 1000 / p.rate - p.k.us) <= Math.max(0.1 * p.k.us, 1000) + JIFFY_US;
const ok = (p) => within(p.o.ns / 1000, p.k.us);
const big = matched.filter((p) => p.k.us > 1000 && p.k.clock === 'clocksource');
const bigJiffies = matched.filter((p) => p.k.clock === 'jiffies' && p.k.us > 1000);
const bad = big.filter((p) => !ok(p));
const badJiffies = bigJiffies.filter((p) => !okJiffies(p));
const drifted = badJiffies.filter(okDrift);
const badBoth = badJiffies.filter((p) => !okDrift(p));
const dev = (p) => (p.o.ns / 1000 - p.k.us) / p.k.us;
const devJ = (p) => (p.o.ns / 1000 / p.rate - p.k.us) / p.k.us;
const maxOf = (list, f) => list.reduce((m, p) => (Math.abs(f(p)) > Math.abs(m) ? f(p) : m), 0);
const maxRel = maxOf(big, dev);
const maxAbs = big.reduce((m, p) => Math.max(m, Math.abs(p.o.ns / 1000 - p.k.us)), 0);
const rawJ = bigJiffies.filter(ok).length;

const summary = [
  `kernel initcall_debug lines: ${kernel.length}; bootprof initcalls: ${ours.length}`,
  `matched in order: ${matched.length}; kernel initcalls not found by bootprof: ${missing.length}${missing.length ? ' (' + missing.map((m) => m.name).join(', ') + ')' : ''}`,
  `bootprof rows without a kernel line: ${extras.length}${
    extras.length
      ? ' (' +
        extras
          .slice(0, 10)
          .map((e) => e.extra.name)
          .join(', ') +
        (extras.length > 10 ? ', ...' : '') +
        ')'
      : ''
  }`,
  `timed by the kernel with a real clocksource, over 1 ms: ${big.length}; within 10% or 1 ms: ${big.length - bad.length}; outside: ${bad.length}${bad.length ? ' (' + bad.map((p) => p.k.name).join(', ') + ')' : ''}`,
  `  max relative deviation: ${(maxRel * 100).toFixed(2)}%; max absolute deviation: ${(maxAbs / 1000).toFixed(3)} ms`,
  `timed by the kernel with jiffies (4 ms steps), over 1 ms: ${bigJiffies.length}; within 10% or 1 ms: ${rawJ}; within 10% or 1 ms plus one jiffy: ${bigJiffies.length - badJiffies.length}; the others: ${badJiffies.length}, of which ${drifted.length} agree once converted to the guest's clock where it lost time (${drifted.map((p) => p.k.name).join(', ')}) and ${badBoth.length} do not${badBoth.length ? ' (' + badBoth.map((p) => p.k.name).join(', ') + ')' : ''}`,
];
if (!markdown) {
  console.log(summary.join('\n'));
  process.exit(bad.length || missing.length ? 2 : 0);
}
console.log(summary.map((s) => '- ' + s).join('\n'));
console.log(
  '\n| # | initcall | kernel clock | kernel (µs) | bootprof (µs) | deviation | host/guest clock rate | bootprof on guest clock (µs) | deviation | within tolerance |',
);
console.log('|---:|---|---|---:|---:|---:|---:|---:|---:|:---:|');
matched.forEach((p, i) => {
  const jiffies = p.k.clock === 'jiffies';
  if (p.k.us <= 1000) return;
  const good = jiffies ? (okJiffies(p) ? 'yes (± 1 jiffy)' : okDrift(p) ? 'on the guest clock' : '**no**') : ok(p) ? 'yes' : '**no**';
  const g = jiffies && p.rate > 1.1 ? `${(p.o.ns / 1000 / p.rate).toFixed(0)} | ${(devJ(p) * 100).toFixed(2)}%` : ' | ';
  console.log(
    `| ${i + 1} | ${p.k.name} | ${jiffies ? 'jiffies' : 'tsc'} | ${p.k.us} | ${(p.o.ns / 1000).toFixed(0)} | ${(dev(p) * 100).toFixed(2)}% | ${p.rate.toFixed(3)} | ${g} | ${good} |`,
  );
});
