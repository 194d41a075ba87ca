/**
 * The number of vCPUs (distinct thread ids) is capped at MAX_VCPUS: a file naming a new thread id on
 * every line (garbage, hostile, many guests' traces concatenated) stops at the first one too many with
 * one line naming the file and that line, exit 2, in bounded memory; the sequential parser, the work
 * units and the main thread's mapping of unit thread ids report the same line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_VCPUS } from '../../src/formats/parser.js';
import { cli, putDecimal } from '../helpers.js';

const DIST_CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'bootprof-vcpu-cap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAP = join(dir, 'System.map');
writeFileSync(
  MAP,
  'ffffffff81000000 T _text\nffffffff81000000 T startup_64\nffffffff81000800 T do_one_initcall\nffffffff81001000 T f\nffffffff81100000 T _etext\n',
);

/**
 * The CLI in a child process that reports its peak RSS (workers are threads: included) on stderr, in
 * KiB: /proc/self/status VmHWM, the high-water mark of its own memory since exec. (Not
 * `resourceUsage().maxRSS`: on Linux a child forked from the test worker starts with the worker's
 * RSS as its maximum, so a 400 MB worker made the bound fail whatever the CLI used.)
 */
const WRAPPER = join(dir, 'bootprof-rss.mjs');
writeFileSync(
  WRAPPER,
  `import { readFileSync } from 'node:fs';
import { main } from ${JSON.stringify(DIST_CLI)};
process.on('exit', () => {
  const hwm = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  process.stderr.write('maxrss ' + (hwm ? hwm[1] : process.resourceUsage().maxRSS) + '\\n');
});
await main(process.argv);
`,
);
function run(args: string[]): { code: number | null; out: string; err: string; maxRssMb: number } {
  const r = spawnSync('node', [WRAPPER, ...args, '-q'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const m = /maxrss (\d+)\n/.exec(r.stderr);
  return { code: r.status, out: r.stdout, err: r.stderr.replace(/maxrss \d+\n/, ''), maxRssMb: m ? Number(m[1]) / 1024 : NaN };
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');
const PC_PREFIX = Buffer.from(':exec_tb tb:0x7f0000001000 pc=0xffffffff8100', 'latin1');

/**
 * `tid@SEC.USEC:exec_tb tb:0x7f0000001000 pc=0xffffffff81001xxx` (xxx: the low 12 bits of `pc`)
 * written at `at`; returns the end. Bytes, not template strings: a million of those took seconds.
 */
function putLine(b: Buffer, at: number, tid: number, us: number, pc: number): number {
  at = putDecimal(b, at, tid);
  b[at++] = 0x40; // @
  at = putDecimal(b, at, 1700000000 + Math.floor(us / 1e6));
  b[at++] = 0x2e; // .
  at = putDecimal(b, at, us % 1e6, 6);
  at += PC_PREFIX.copy(b, at);
  for (let k = 3, v = 0x1000 + (pc & 0xfff); k >= 0; k--, v >>= 4) b[at + k] = HEX[v & 15];
  at += 4;
  b[at++] = 0x0a;
  return at;
}

/**
 * QEMU messages first, then `repeated` thread ids 5 times each (about 1 MB: the first work unit of
 * 1 MB units holds fewer than MAX_VCPUS of them), then a new thread id on every line. Returns the
 * text and the line of the first event of the (MAX_VCPUS + 1)th distinct thread id.
 */
function manyThreads(repeated: number, fresh: number): { text: Buffer; overflowLine: number } {
  const head = 'qemu-system-x86_64: warning: host does not support the feature\nQEMU 8.2.0 monitor\n';
  const text = Buffer.alloc(head.length + (5 * repeated + fresh) * 96);
  let at = text.write(head, 0, 'latin1');
  let lineNo = 2;
  let distinct = 0;
  let overflowLine = -1;
  let us = 0;
  const add = (tid: number, isNew: boolean): void => {
    lineNo++;
    if (isNew && ++distinct === MAX_VCPUS + 1) overflowLine = lineNo;
    at = putLine(text, at, tid, us++, tid);
  };
  for (let k = 0; k < 5; k++) for (let t = 0; t < repeated; t++) add(100000 + t, k === 0);
  for (let t = 0; t < fresh; t++) add(200000 + t, true);
  return { text: text.subarray(0, at), overflowLine };
}

describe(`more than MAX_VCPUS (${MAX_VCPUS}) distinct thread ids`, () => {
  // 1,000,000 distinct thread ids after 3,000 repeated ones: ~74 MB
  const { text, overflowLine } = manyThreads(3000, 1_000_000);
  const path = join(dir, 'million-tids.log');
  writeFileSync(path, text);
  const message = `bootprof: ${path}: more than ${MAX_VCPUS} distinct thread ids (line ${overflowLine}): not the trace of one guest? bootprof supports up to ${MAX_VCPUS} vCPUs\n`;

  for (const [label, extra] of [
    ['sequential', ['--threads', '1']],
    ['parallel, small units (the main thread maps past the cap)', ['--threads', '2', '--unit-size', '65536']],
    ['parallel, 1 MB units (a unit past the cap on its own, after one below it)', ['--threads', '2', '--unit-size', '1000000']],
  ] as const) {
    it(`${label}: one line naming the file and the line, exit 2, bounded memory`, () => {
      for (const cmd of ['flamegraph', 'report']) {
        const r = run([cmd, path, '--map', MAP, ...extra]);
        expect([cmd, r.code, r.out, r.err]).toEqual([cmd, 2, '', message]);
        // before the cap, flamegraph on this file took 7.9 GB (docs/RELIABILITY.md)
        expect(r.maxRssMb, `${cmd} peak RSS`).toBeLessThan(400);
      }
    });
  }

  // in this process: outputs and exit codes, no memory bound to measure
  it(`exactly ${MAX_VCPUS} thread ids still run, sequential and parallel alike`, async () => {
    const { text: ok } = manyThreads(MAX_VCPUS, 0);
    const okPath = join(dir, 'max-tids.log');
    writeFileSync(okPath, ok);
    const seq = await cli('self-time', okPath, '--map', MAP, '--format', 'json', '--threads', '1', '-q');
    expect(seq.code, seq.err).toBe(0);
    const j = JSON.parse(seq.out);
    expect(j.summary.threads).toBe(MAX_VCPUS);
    expect(j.summary.events).toBe(5 * MAX_VCPUS);
    const par = await cli('self-time', okPath, '--map', MAP, '--format', 'json', '--threads', '2', '--unit-size', '65536', '-q');
    expect(par.code, par.err).toBe(0);
    expect(par.out).toBe(seq.out);
  });
});
