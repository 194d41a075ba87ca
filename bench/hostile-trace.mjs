// Generates the hostile QEMU exec_tb traces that docs/RELIABILITY.md's memory figures were measured
// on, from the committed System.map's function starts:
//   node bench/hostile-trace.mjs vcpus N [EVENTS_PER_VCPU] > trace.log
//       N distinct thread ids, interleaved round-robin, each making calls to (and returns into)
//       a few kernel functions (EVENTS_PER_VCPU events each, default 8)
//   node bench/hostile-trace.mjs random EVENTS [SEED] > trace.log
//       one vCPU entering random kernel functions at offset 0: (almost) every event a new stack
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const map = gunzipSync(readFileSync(root + 'samples/System.map-6.1.0-47-cloud-amd64.gz')).toString('latin1');
const starts = [];
for (const line of map.split('\n')) {
  const [a, t, name] = line.split(' ');
  if ((t === 't' || t === 'T') && name && !name.startsWith('__x86_') && !name.startsWith('asm_') && !name.startsWith('entry_'))
    starts.push(a.replace(/^0+/, ''));
}
const [mode, nArg, extra] = process.argv.slice(2);
const n = Number(nArg);
if (!(mode === 'vcpus' || mode === 'random') || !(n > 0)) {
  process.stderr.write('usage: hostile-trace.mjs vcpus N [EVENTS_PER_VCPU] | random EVENTS [SEED]\n');
  process.exit(1);
}
let us = 0;
const out = [];
const flush = (force) => {
  if (out.length >= 8192 || (force && out.length > 0)) {
    process.stdout.write(out.join(''));
    out.length = 0;
  }
};
const line = (tid, pc) => {
  us += 1;
  out.push(`${tid}@${1795310244 + Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}:exec_tb tb:0x7fbd882054c0 pc=0x${pc}\n`);
  flush(false);
};
const plus = (hex, k) => (BigInt('0x' + hex) + BigInt(k)).toString(16);
if (mode === 'vcpus') {
  const per = Number(extra ?? 8);
  // each vCPU: calls f0 -> f1 -> f2 ..., then returns (a block inside the caller)
  for (let e = 0; e < per; e++) {
    for (let v = 0; v < n; v++) {
      const depth = e % 4;
      const fn = starts[(depth * 131) % starts.length]; // the same calls on every vCPU
      line(10000 + v, e < per / 2 ? fn : plus(fn, 0x10));
    }
  }
} else {
  let s = Number(extra ?? 1) >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  for (let i = 0; i < n; i++) line(4415, starts[rnd() % starts.length]);
}
flush(true);
