/**
 * `syscalls` on the committed user-space sample (the first 500,000 lines of a real boot's end: a
 * busybox init's first system calls), checked against an independent naive implementation, and the
 * command's writers end to end.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Syscalls, type SyscallRow } from '../src/analyze/syscalls.js';
import { syscallsCommand } from '../src/commands/syscalls.js';
import { BootprofError } from '../src/io/errors.js';
import { loadSymbols, runPipeline } from '../src/pipeline.js';
import { naiveSyscalls, type NaiveCall } from './syscalls-naive.js';
import { sampleBytes, systemMapText } from './formats-helpers.js';

const TRACE = 'samples/userspace-500k.log.gz';
const MAP = 'samples/System.map-6.1.0-47-cloud-amd64.gz';

/** busybox's start-up, then its `ls` child's, as the sample holds them. */
const STARTUP = [
  'brk',
  'brk',
  'arch_prctl',
  'set_tid_address',
  'set_robust_list',
  'rseq',
  'prlimit64',
  'readlink',
  'getrandom',
  'clock_gettime',
  'clock_gettime',
  'brk',
  'brk',
  'brk',
  'mprotect',
];

let rows: SyscallRow[];
let naive: NaiveCall[];
let dir: string;

beforeAll(async () => {
  const symbols = await loadSymbols({ map: MAP });
  const an = new Syscalls(symbols.table!.names);
  await runPipeline({ trace: TRACE, map: MAP }, () => [an], symbols);
  rows = an.rows();
  const lines = sampleBytes(TRACE.replace('samples/', '')).toString('latin1').split('\n');
  naive = naiveSyscalls(lines, systemMapText());
  dir = mkdtempSync(join(tmpdir(), 'bootprof-syscalls-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('syscalls on the user-space sample', () => {
  it('equals the naive implementation: names, order, timestamps, durations', () => {
    expect(naive.length).toBe(62);
    expect(rows.map(({ ts, name, cpu, duration, unfinished }) => ({ ts, name, cpu, duration, unfinished }))).toEqual(naive);
  });

  it("holds busybox's start-up calls, a fork, an execve and a mount", () => {
    const names = rows.map((r) => r.name);
    expect(names.slice(0, STARTUP.length)).toEqual(STARTUP);
    for (const n of ['getpid', 'rt_sigaction', 'openat', 'read', 'clone', 'wait4', 'execve', 'mount', 'exit_group']) expect(names).toContain(n);
    expect(names).not.toContain('unknown');
    expect(rows[0].ts).toBe(130_808_000); // line 65,914, the first entry_SYSCALL_64
    expect(rows.filter((r) => r.unfinished).map((r) => r.name)).toEqual(['clone']); // the sample ends inside it
    expect(rows.every((r) => r.cpu === 0 && !r.compat && Number.isInteger(r.ts) && Number.isInteger(r.duration) && r.duration > 0)).toBe(true);
  });
});

describe('bootprof syscalls (command)', () => {
  it('writes CSV with the contract header', async () => {
    const out = join(dir, 'calls.csv');
    await syscallsCommand(TRACE, { map: MAP, output: out, quiet: true });
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('ts_ns,name,cpu,duration_ns,unfinished,compat');
    expect(lines.length).toBe(63);
    expect(lines[1]).toBe(`130808000,brk,0,${rows[0].duration},0,0`);
    expect(lines[62].split(',').slice(1, 2).concat(lines[62].split(',').slice(4))).toEqual(['clone', '1', '0']);
  });

  it('writes the --summary as JSON with the first call and per-vCPU counts', async () => {
    const out = join(dir, 'summary.json');
    await syscallsCommand(TRACE, { map: MAP, output: out, summary: true });
    const json = JSON.parse(readFileSync(out, 'utf8'));
    expect(json.summary.events).toBe(500_000);
    expect(json.summary.syscalls).toMatchObject({
      calls: 62,
      unfinished: 1,
      unknown: 0,
      compat: 0,
      first_ts_ns: 130_808_000,
      per_vcpu: [{ cpu: 0, calls: 62 }],
    });
    const s = json.syscalls as { name: string; count: number; total_ns: number; share: number }[];
    expect(s.reduce((a, x) => a + x.count, 0)).toBe(62);
    expect(s.find((x) => x.name === 'brk')!.count).toBe(10);
    for (let i = 1; i < s.length; i++) expect(s[i - 1].total_ns).toBeGreaterThanOrEqual(s[i].total_ns);
    expect(s.reduce((a, x) => a + x.total_ns, 0)).toBe(rows.reduce((a, r) => a + r.duration, 0));
  });

  it('writes a table with the call list and the summary lines', async () => {
    const out = join(dir, 'calls.txt');
    await syscallsCommand(TRACE, { map: MAP, output: out, format: 'table' });
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^time \(s\) +syscall +cpu +duration +note\n/);
    expect(text).toMatch(/\n0\.130808 +brk +0 +[\d.]+ µs\n/);
    expect(text).toMatch(/ clone +0 +[\d.]+ µs +unfinished\n/);
    expect(text).toContain('system calls: 62 (1 unfinished), first at 0.130808 s; per vCPU: 0=62');
  });

  it('refuses to run without a System.map (a plain trace), or with one that has no entry symbol', async () => {
    const alone = join(dir, 'alone.log.gz'); // no System.map beside it
    writeFileSync(alone, readFileSync(TRACE));
    await expect(syscallsCommand(alone, { output: join(dir, 'x.csv') })).rejects.toThrow(BootprofError);
    await expect(syscallsCommand(alone, { output: join(dir, 'x.csv') })).rejects.toThrow(/System\.map/);
    const map = join(dir, 'System.map-other');
    writeFileSync(map, 'ffffffff81000000 T _text\nffffffff81000100 T do_something\n');
    await expect(syscallsCommand(TRACE, { map, output: join(dir, 'x.csv') })).rejects.toThrow(/no system call entry symbol/);
    expect(readdirSync(dir).filter((f) => f.startsWith('.x.csv'))).toEqual([]);
  });
});
