/** `bootprof timeline` as users meet it: format choice, stdin, --grep errors, help. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../bin/bootprof.js', import.meta.url).pathname;
const SAMPLES = new URL('../samples/', import.meta.url).pathname;
const MAP = SAMPLES + 'System.map-6.1.0-47-cloud-amd64.gz';
const ENTRY = SAMPLES + 'kernel-entry-20k.log.gz';

function run(args: string[], input?: Buffer) {
  const r = spawnSync('node', [BIN, ...args], { input, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('bootprof timeline (CLI)', () => {
  it('CSV into a pipe by default; summary, VMM points and phases on stderr', () => {
    const r = run(['timeline', ENTRY, '--map', MAP]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('function,first_ns,cpu,milestone');
    expect(lines).toHaveLength(1 + 19);
    expect(lines[2]).toBe('startup_64,13818000,0,kernel entry (first kernel pc)');
    expect(r.err).toContain('events: 20,000 in 20,000 lines, vCPUs: 1, traced span: 31.31 ms');
    expect(r.err).toContain('firmware_start absent, linux_start_kernel absent, linux_start_user absent');
    expect(r.err).toMatch(/early kernel +0\.013818 +17\.49 ms/);
  });

  it('reads stdin with --map, and -q keeps stderr quiet', () => {
    const r = run(['timeline', '-', '--map', MAP, '-q', '--format', 'json'], readFileSync(ENTRY));
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out).milestones.map((m: { milestone: string }) => m.milestone)).toEqual(['kernel_entry', 'x86_64_start_kernel']);
  });

  it('a bad --grep is a usage error (exit 1)', () => {
    const r = run(['timeline', ENTRY, '--map', MAP, '--grep', '(']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^bootprof: --grep: invalid regular expression/);
  });

  it('is listed in the help', () => {
    const r = run(['--help']);
    expect(r.out).toMatch(/timeline \[options\] \[trace\]/);
    const h = run(['timeline', '--help']);
    expect(h.out).toContain('--grep <regex>');
    expect(h.out).toContain('--all');
  });
});
