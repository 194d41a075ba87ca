/**
 * The symbol stage gives every event its function and its offset once; nothing downstream resolves
 * again. So every command's results are the same whatever the KASLR slide (detected automatically),
 * and whatever format carries the trace, wherever that format carries the information.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, prng, putDecimal } from './helpers.js';
import {
  excerpt,
  MAP_PATH,
  parseLog,
  sampleLines,
  systemMapTable,
  toDexec,
  toGdb,
  toQemuLog,
  toSimpletraceBin,
  toSimpletraceText,
  toTwoColumn,
} from './formats-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-symstage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Shifts every kernel-half pc of a QEMU log by `slide` (what KASLR does to the virtual kernel). */
function shiftKernel(text: string, slide: number): string {
  const d = BigInt(slide);
  return text.replace(/pc=0x(ffff[0-9a-f]{12})\b/g, (_, pc: string) => 'pc=0x' + (BigInt('0x' + pc) + d).toString(16));
}

/** Drops what names the input file or the slide: the rest must be equal byte for byte. */
function normalize(out: string, trace = ''): string {
  if (trace) out = out.split(trace).join('TRACE').split(basename(trace)).join('TRACE');
  if (out.trimStart().startsWith('{')) return JSON.stringify(JSON.parse(out), (k, v) => (k === 'kaslr' ? undefined : v), 1);
  return out
    .split('\n')
    .filter((l) => !/^(input|symbols|KASLR slide|kaslr):/i.test(l))
    .join('\n');
}

/**
 * One trace across a boot from three real excerpts of the same boot, in file (and time) order: the
 * switch from physically-addressed startup code to the kernel mapping, start_kernel's first calls
 * (start_kernel, setup_arch) and init's first system calls in user space.
 */
const BOOT =
  [
    ...sampleLines('kernel-entry-20k.log.gz'),
    ...sampleLines('start-kernel-120k.log.gz').slice(0, 40_000),
    ...sampleLines('userspace-500k.log.gz').slice(60_000, 100_000),
  ].join('\n') + '\n';

/** Every command, in the forms whose output is deterministic (CSV, JSON, text). */
const COMMANDS: string[][] = [
  ['self-time', '--format', 'csv'],
  ['self-time', '--stacks', '--format', 'json'],
  ['report', '--format', 'json'],
  ['report', '--format', 'table'],
  ['timeline', '--format', 'json'],
  ['timeline', '--format', 'csv'],
  ['syscalls', '--format', 'csv'],
  ['syscalls', '--summary', '--format', 'json'],
  ['flamegraph', '--format', 'folded'],
  ['flamegraph', '--format', 'speedscope', '-o', 'OUT'],
  ['initcalls', '--all', '--format', 'csv'],
  ['resolve'],
  ['info', '--format', 'json'],
];

/**
 * Every command's output on `trace`, normalized; `raw` (when given) gets the outputs as written, for
 * the tests that also look at one command's own output (the same run, not a second one).
 */
async function runAll(trace: string, extra: string[] = [], raw: string[] = []): Promise<string[]> {
  const outs: string[] = [];
  for (const c of COMMANDS) {
    const args = c.map((a) => (a === 'OUT' ? join(dir, 'out.json') : a));
    const r = await cli(args[0], trace, ...args.slice(1), '--map', MAP_PATH, '-q', ...extra);
    expect(r.code, `${c.join(' ')}: ${r.err}`).toBe(0);
    const o = args.indexOf('-o');
    const out = o >= 0 ? readFileSync(args[o + 1], 'latin1') : r.out;
    raw.push(out);
    outs.push(normalize(out, trace));
  }
  return outs;
}

/** Where each command runs in COMMANDS. */
const AT = (...c: string[]): number => COMMANDS.findIndex((k) => k.join(' ') === c.join(' '));

describe('every command, whatever the KASLR slide', () => {
  const plain = join(dir, 'boot.log');
  writeFileSync(plain, BOOT);
  let reference: string[];

  it('the unshifted boot has what the comparison needs', async () => {
    reference = await runAll(plain);
    const timeline = JSON.parse(reference[4]);
    const keys = timeline.milestones.map((m: { milestone: string }) => m.milestone);
    for (const k of ['kernel_entry', 'start_kernel', 'setup_arch', 'first_user', 'first_syscall']) expect(keys).toContain(k);
    expect(reference[6].split('\n').length).toBeGreaterThan(12); // system calls
    expect(reference[8].split('\n').length).toBeGreaterThan(100); // stacks
  });

  const rnd = prng(Date.now() % 100_000);
  const random = (1 + rnd(500)) * 0x200000;
  /** The boot shifted by a slide, written once (the parallel test reads the first one again). */
  const shiftedFile = (slide: number): string => {
    const f = join(dir, `boot-${slide.toString(16)}.log`);
    if (!existsSync(f)) writeFileSync(f, shiftKernel(BOOT, slide));
    return f;
  };
  for (const slide of [0x1e000000, 0x2a600000, random]) {
    it(`slide 0x${slide.toString(16)}: detected, and every output equals the unshifted one`, async () => {
      const shifted = shiftedFile(slide);
      const raw: string[] = [];
      const outs = await runAll(shifted, [], raw);
      // info's own JSON (the comparison leaves the slide out)
      expect(JSON.parse(raw[AT('info', '--format', 'json')]).summary.kaslr).toMatchObject({ slide: '0x' + slide.toString(16), method: 'detected' });
      COMMANDS.forEach((c, k) => expect(outs[k], c.join(' ')).toBe(reference[k]));
    });
  }

  it('parallel parsing of a shifted trace: workers start without the slide, the result is the same', async () => {
    const shifted = shiftedFile(0x1e000000);
    for (const k of [0, 4, 8]) {
      const c = COMMANDS[k];
      const r = await cli(c[0], shifted, ...c.slice(1), '--map', MAP_PATH, '-q', '--threads', '2', '--unit-size', '300000');
      expect(normalize(r.out, shifted), c.join(' ')).toBe(reference[k]);
    }
  });
});

/**
 * The same events in every format that can carry them. Timed formats must agree on everything but
 * what names the input (times, vCPUs, offsets are all carried); `-d exec` carries no times, so its
 * results are compared in events.
 */
describe('every input format through every command', () => {
  const userspace = parseLog(sampleLines('userspace-500k.log.gz').slice(65_000, 80_000));
  const evs = [...excerpt(), ...userspace];
  const table = systemMapTable();
  const qemu = join(dir, 'm.log');
  writeFileSync(qemu, toQemuLog(evs));
  const timed: [string, () => string | Uint8Array, string[]][] = [
    ['simpletrace-text', () => toSimpletraceText(evs), []],
    ['simpletrace-bin (little-endian)', () => toSimpletraceBin(evs, true), []],
    ['simpletrace-bin (big-endian)', () => toSimpletraceBin(evs, false), []],
    ['gdb-symbols', () => toGdb(evs, table), []],
    ['two-column (µs)', () => toTwoColumn(evs, table), ['--time-unit', 'us']],
  ];
  let reference: string[];
  /** The reference runs' outputs as written (the resolve and -d exec tests compare with them). */
  const qemuOut: string[] = [];

  it('the QEMU log of the excerpt (reference) has milestones, calls and stacks', async () => {
    reference = await runAll(qemu, [], qemuOut);
    expect(JSON.parse(reference[4]).milestones.length).toBeGreaterThan(2);
    expect(reference[6].split('\n').length).toBeGreaterThan(5);
  });

  /** What describes the input rather than the boot: format, line counts, time unit, thread ids (not all formats carry them). */
  const FORMAT_KEYS = new Set(['format', 'lines', 'other_lines', 'input_time_unit', 'tid']);
  const noFormat = (o: string): string => (o.startsWith('{') ? JSON.stringify(JSON.parse(o), (k, v) => (FORMAT_KEYS.has(k) ? undefined : v), 1) : o);
  /** The table's summary lines name the format and count lines: the table is compared in the slide test. */
  const compared = (c: string[]): boolean => c[0] !== 'info' && c.join(' ') !== 'report --format table';

  for (const [name, make, extra] of timed) {
    it(`${name}: every command agrees with the QEMU log`, async () => {
      const f = join(dir, 'm.' + name.replace(/\W+/g, '-'));
      writeFileSync(f, make());
      const outs = await runAll(f, extra);
      COMMANDS.forEach((c, k) => {
        if (compared(c)) expect(noFormat(outs[k]), `${name}: ${c.join(' ')}`).toBe(noFormat(reference[k]));
      });
      const info = JSON.parse(outs[COMMANDS.findIndex((c) => c[0] === 'info')]).summary;
      expect([info.events, info.vcpus.length, info.regions]).toEqual([evs.length, 1, JSON.parse(reference[12]).summary.regions]);
    });
  }

  it('resolve output read back: every command agrees (the trace names its functions itself)', async () => {
    // the reference run's resolve output
    const f = join(dir, 'm.resolved');
    writeFileSync(f, qemuOut[AT('resolve')]);
    const outs = await runAll(f);
    COMMANDS.forEach((c, k) => {
      if (compared(c)) expect(noFormat(outs[k]), c.join(' ')).toBe(noFormat(reference[k]));
    });
  });

  it('-d exec (untimed): the same functions, events, milestones and stacks, in events', async () => {
    const f = join(dir, 'm.dexec');
    writeFileSync(f, toDexec(evs));
    // the QEMU log's side: the reference runs of the same commands
    const st = await cli('self-time', f, '--map', MAP_PATH, '-q', '--format', 'csv');
    const refSt = { out: qemuOut[AT('self-time', '--format', 'csv')] };
    const events = (csv: string): string[] =>
      csv
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','))
        .map((p) => `${p[0]} ${p[p.length - 1]}`)
        .sort();
    expect(events(st.out)).toEqual(events(refSt.out));
    const keys = (out: string): string[] => JSON.parse(out).milestones.map((m: { milestone: string; function: string }) => `${m.milestone} ${m.function}`);
    expect(keys((await cli('timeline', f, '--map', MAP_PATH, '-q', '--format', 'json')).out)).toEqual(keys(qemuOut[AT('timeline', '--format', 'json')]));
    const stacks = (out: string): string[] =>
      out
        .trim()
        .split('\n')
        .map((l) => l.slice(0, l.lastIndexOf(' ')))
        .sort();
    expect(stacks((await cli('flamegraph', f, '--map', MAP_PATH, '-q', '--format', 'folded')).out)).toEqual(
      stacks(qemuOut[AT('flamegraph', '--format', 'folded')]),
    );
    const resolved = (out: string): string[] =>
      out
        .trim()
        .split('\n')
        .map((l) => l.slice(l.indexOf(' ') + 1));
    expect(resolved((await cli('resolve', f, '--map', MAP_PATH, '-q')).out)).toEqual(resolved(qemuOut[AT('resolve')]));
  });
});

describe('pre-resolved traces keep the timeline (with and without the map)', () => {
  for (const sample of ['start-kernel-120k.log.gz', 'kernel-entry-20k.log.gz']) {
    it(sample, async () => {
      const raw = join(dir, sample.replace('.gz', ''));
      writeFileSync(raw, sampleLines(sample).join('\n') + '\n');
      const want = normalize((await cli('timeline', raw, '--map', MAP_PATH, '-q', '--format', 'json')).out, raw);
      const r = await cli('resolve', raw, '--map', MAP_PATH, '-q');
      const f = join(dir, sample + '.resolved');
      writeFileSync(f, r.out);
      const strip = (o: string): string => normalize(o, f).replace(/\n *"(tid|symbols|format|input_time_unit)": [^\n]*?,?(?=\n)/g, '');
      expect(strip((await cli('timeline', f, '--map', MAP_PATH, '-q', '--format', 'json')).out)).toBe(strip(want));
      const alone = await cli('timeline', f, '-q', '--format', 'json');
      expect(alone.code).toBe(0);
      expect(strip(alone.out)).toBe(strip(want));
    });
  }
});

describe('KASLR on a whole boot: detection waits for the first kernel-half events wherever they start', () => {
  /**
   * `n` firmware-like low-pc events (SeaBIOS's POST loop pcs), 1 µs apart, before `text`'s first line:
   * the lines written straight into bytes (1.2 million template strings took seconds to make and join).
   */
  function firmwareHead(n: number, first: string): Buffer {
    const m = /^(\d+)@(\d+)\.(\d{6}):/.exec(first)!;
    let us = Number(m[2]) * 1e6 + Number(m[3]) - n - 1;
    const tails = ['0xfe05b', '0xfe062', '0xf1f34', '0x7fbd0', '0xe6a20'].map((pc) => Buffer.from(`:exec_tb tb:0x7fbd88200000 pc=${pc}\n`, 'latin1'));
    const out = Buffer.alloc(n * (m[1].length + 32 + Math.max(...tails.map((t) => t.length))));
    let at = 0;
    let sec = NaN;
    let prefix = Buffer.alloc(0);
    for (let i = 0; i < n; i++, us++) {
      const s = Math.floor(us / 1e6);
      if (s !== sec) prefix = Buffer.from(`${m[1]}@${(sec = s)}.`, 'latin1');
      at += prefix.copy(out, at);
      at = putDecimal(out, at, us % 1e6, 6);
      at += tails[i % 5].copy(out, at);
    }
    return out.subarray(0, at);
  }

  const kernel = sampleLines('start-kernel-120k.log.gz').slice(0, 40_000);
  const head = firmwareHead(1_200_000, kernel[0]);
  const plain = join(dir, 'whole.log');
  writeFileSync(plain, Buffer.concat([head, Buffer.from(kernel.join('\n') + '\n')]));
  const slid = join(dir, 'whole-slid.log');
  writeFileSync(slid, Buffer.concat([head, Buffer.from(shiftKernel(kernel.join('\n') + '\n', 0x1e000000))]));

  it('1.2M firmware events, then kernel pcs shifted by 0x1e000000: the slide is found (sequential and parallel), results equal', async () => {
    const want = await cli('self-time', plain, '--map', MAP_PATH, '-q', '--format', 'csv');
    const wantTl = normalize((await cli('timeline', plain, '--map', MAP_PATH, '-q', '--format', 'json')).out, plain);
    for (const extra of [
      ['--threads', '1'],
      ['--threads', '2', '--unit-size', '4000000'],
    ]) {
      const r = await cli('self-time', slid, '--map', MAP_PATH, '-q', '--format', 'csv', ...extra);
      expect(r.out, extra.join(' ')).toBe(want.out);
      const tl = normalize((await cli('timeline', slid, '--map', MAP_PATH, '-q', '--format', 'json', ...extra)).out, slid);
      expect(tl, extra.join(' ')).toBe(wantTl);
    }
    const info = JSON.parse((await cli('info', slid, '--map', MAP_PATH, '-q', '--format', 'json')).out).summary;
    expect([info.kaslr.slide, info.resolution_rate]).toEqual(['0x1e000000', 1]);
  });

  it('one kernel pc repeated 100,000 times before the rest (early boot loops): the vote waits for distinct pcs', async () => {
    const loop = Array.from({ length: 100_000 }, () => kernel[0]).join('\n') + '\n';
    const f = join(dir, 'loop-slid.log');
    writeFileSync(f, shiftKernel(loop + kernel.join('\n') + '\n', 0x20200000));
    const info = JSON.parse((await cli('info', f, '--map', MAP_PATH, '-q', '--format', 'json')).out).summary;
    expect([info.kaslr.slide, info.resolution_rate]).toEqual(['0x20200000', 1]);
  });
});
