/** What a new user meets first: options doing what --help says, consistent output, clear refusals. */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';

const ROOT = new URL('../', import.meta.url).pathname;
const BIN = ROOT + 'bin/bootprof.js';
const SAMPLES = ROOT + 'samples/';
const MAP = SAMPLES + 'System.map-6.1.0-47-cloud-amd64.gz';
const ENTRY = SAMPLES + 'kernel-entry-20k.log.gz';
const USER = SAMPLES + 'userspace-500k.log.gz';

/** Runs the CLI in-process; returns stdout, stderr and the exit code. */
async function cli(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    out += String(chunk);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    err += String(chunk);
    return true;
  });
  process.exitCode = 0;
  try {
    await main(['node', 'bootprof', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}

/** Runs the CLI as a child process (stdin, environment). */
function spawn(args: string[], o: { input?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync('node', [BIN, ...args], { input: o.input ?? '', encoding: 'utf8', env: { ...process.env, ...o.env }, maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

afterEach(() => vi.restoreAllMocks());

describe('report --top', () => {
  it('limits the system-call summary as well as self time (table and JSON)', async () => {
    const j = JSON.parse((await cli('report', USER, '--map', MAP, '--top', '3', '--format', 'json', '-q')).out);
    expect(j.self_time).toHaveLength(3);
    expect(j.syscalls).toHaveLength(3);
    expect(j.summary.syscalls.calls).toBe(62);
    const t = (await cli('report', USER, '--map', MAP, '--top', '3', '--format', 'table', '-q')).out;
    const section = t.slice(t.indexOf('System calls'), t.indexOf('\ninput:'));
    expect(section.split('\n')[0]).toBe('System calls (62; top 3 of 29 names)');
    // heading, header, rule, 3 names, the total over every call
    expect(section.trim().split('\n')).toHaveLength(7);
    expect(section).toMatch(/\ntotal +62 +457\.8 ms +100\.00%/);
  });
});

describe('phases table', () => {
  it('has a header over every column', async () => {
    const t = (await cli('timeline', ENTRY, '--map', MAP, '--format', 'table', '-q')).out.split('\n');
    const header = t[t.indexOf('Phases') + 1];
    const rule = t[t.indexOf('Phases') + 2];
    expect(header.trim().split(/ {2,}/)).toEqual(['phase', 'start (s)', 'duration', 'share', 'idle (vCPU 0)', 'note']);
    expect(rule.split(/ +/)).toHaveLength(6);
    // every header ends where its column's rule ends (left-aligned: starts where it starts)
    expect(header.indexOf('note')).toBe(rule.lastIndexOf(' ') + 1);
  });
});

describe('-q', () => {
  it('silences the note about the System.map picked beside the trace, not the warning about none', async () => {
    const loud = await cli('self-time', ENTRY, '--format', 'csv', '--top', '1');
    expect(loud.err).toContain('(the one System.map beside the trace)');
    const quiet = await cli('self-time', ENTRY, '--format', 'csv', '--top', '1', '-q');
    expect([quiet.code, quiet.err]).toEqual([0, '']);
    expect(quiet.out).toBe(loud.out);
    const none = spawn(['self-time', '-', '--format', 'csv', '-q'], { input: '1@5.000001:exec_tb tb:0x1 pc=0xffffffff81000000\n' });
    expect([none.code, none.err]).toEqual([0, 'bootprof: no --map given (reading stdin): running without symbols\n']);
  });
});
