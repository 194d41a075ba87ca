/** The command line as users meet it: formats, summaries, exit codes, pipes, -o. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

const BIN = new URL('../bin/bootprof.js', import.meta.url).pathname;
const SAMPLES = new URL('../samples/', import.meta.url).pathname;
const MAP = SAMPLES + 'System.map-6.1.0-47-cloud-amd64.gz';
const ENTRY = SAMPLES + 'kernel-entry-20k.log.gz';

/** The real binary for what reads stdin; the same main() in this process otherwise (no Node start-up per run). */
async function run(args: string[], input?: string | Buffer) {
  return input === undefined ? cli(...args) : real(args, input);
}

/** The real binary: stdin, and commander's own usage errors (it exits the process). */
function real(args: string[], input?: string | Buffer) {
  const r = spawnSync('node', [BIN, ...args], { input, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'bootprof-cli-'));

describe('bootprof self-time (CLI)', () => {
  it('CSV: exact header, every row, summary on stderr only', async () => {
    const r = await run(['self-time', ENTRY, '--map', MAP, '--format', 'csv']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('function,self_ns,share,events');
    expect(lines.length).toBe(1 + 19);
    expect(lines[1]).toMatch(/^\[boot\],13818000,44\.\d+,9372$/);
    expect(r.err).toContain('events: 20,000 in 20,000 lines, vCPUs: 1, traced span: 31.31 ms');
    expect(r.err).toContain('[boot] 9,372');
  });

  it('JSON: summary beside the rows; --top limits rows', async () => {
    const r = await run(['self-time', ENTRY, '--map', MAP, '--format', 'json', '--top', '3']);
    const j = JSON.parse(r.out);
    expect(j.functions).toHaveLength(3);
    expect(j.functions[1]).toEqual({ function: 'clear_bss', self_ns: 13292000, share: expect.any(Number), events: 8941 });
    expect(j.summary).toMatchObject({ events: 20000, threads: 1, unit: 'ns', span_ns: 31306000, functions: 19 });
    expect(j.summary.regions).toMatchObject({ boot: 9372, kernel: 10628, user: 0, firmware: 0 });
  });

  it('table: human units, top 25 by default, summary under it', async () => {
    const r = await run(['self-time', ENTRY, '--map', MAP, '--format', 'table']);
    expect(r.out).toMatch(/clear_bss\s+13\.29 ms\s+42\.46%\s+8,941/);
    expect(r.out).toContain('vCPUs: 1');
  });

  it('reads stdin, plain or gzip (by magic bytes)', async () => {
    const text = '1@5.000001:exec_tb tb:0x1 pc=0xffffffff81000000\n1@5.000003:exec_tb tb:0x1 pc=0xffffffff81000000\n';
    for (const input of [Buffer.from(text), gzipSync(text)]) {
      const r = await run(['self-time', '-', '--map', MAP, '--format', 'csv', '-q'], input);
      expect(r.out).toBe('function,self_ns,share,events\nstartup_64,2000,100,2\n');
    }
  });

  it('exit codes: 1 usage, 2 input errors, each one clear line', async () => {
    expect(real(['self-time', '--format', 'xml', ENTRY]).code).toBe(1);
    expect(real(['no-such-command']).code).toBe(1);
    const missing = await run(['self-time', join(tmp, 'nope.log')]);
    expect([missing.code, missing.err.trim()]).toEqual([2, `bootprof: ${join(tmp, 'nope.log')}: no such file`]);
    writeFileSync(join(tmp, 'empty.log'), '');
    expect((await run(['self-time', join(tmp, 'empty.log'), '--map', MAP])).err).toMatch(/empty trace/);
    writeFileSync(join(tmp, 'bad.gz'), Buffer.concat([gzipSync('1@5.1:exec_tb tb:0x1 pc=0x1\n'.repeat(1000)).subarray(0, 40)]));
    const gz = await run(['self-time', join(tmp, 'bad.gz'), '--map', MAP]);
    expect(gz.code).toBe(2);
    expect(gz.err).toMatch(/gzip|no exec_tb events|truncated/);
    writeFileSync(join(tmp, 'nomap.txt'), 'ffffffff81000000 D data\n');
    const nomap = await run(['self-time', ENTRY, '--map', join(tmp, 'nomap.txt')]);
    expect([nomap.code, nomap.err.trim()]).toEqual([2, `bootprof: ${join(tmp, 'nomap.txt')}: no text symbols (types T, t, W, w)`]);
    const dir = await run(['self-time', tmp]);
    expect([dir.code, dir.err.trim()]).toEqual([2, `bootprof: ${tmp}: is a directory`]);
  });

  it('initcalls refuses a map without do_one_initcall before reading the trace (exit 2, one line)', async () => {
    const map = join(tmp, 'no-initcall.map');
    writeFileSync(map, 'ffffffff81000000 T _text\nffffffff81000100 T foo\n');
    const r = await run(['initcalls', '-', '--map', map]); // stdin empty: only a check before the read ends it with this message
    expect([r.code, r.err.trim()]).toEqual([2, `bootprof: ${map}: no do_one_initcall symbol: is it the guest kernel's System.map?`]);
  });

  it('ends quietly with 0 when stdout closes early (| head -1)', async () => {
    const out = execFileSync('bash', ['-c', `set -o pipefail; node ${BIN} self-time ${SAMPLES}userspace-500k.log.gz --map ${MAP} --format csv -q | head -1`], {
      encoding: 'utf8',
    });
    expect(out).toBe('function,self_ns,share,events\n');
  });

  it('-o writes atomically and fails before reading when the directory is missing', async () => {
    const target = join(tmp, 'out.csv');
    const r = await run(['self-time', ENTRY, '--map', MAP, '-o', target, '-q']);
    expect(r.code).toBe(0);
    expect(existsSync(target)).toBe(true);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp'))).toEqual([]);
    const bad = await run(['self-time', ENTRY, '--map', MAP, '-o', join(tmp, 'missing', 'x.csv')]);
    expect([bad.code, bad.err.trim()]).toEqual([2, `bootprof: ${join(tmp, 'missing', 'x.csv')}: cannot write output (directory does not exist)`]);
  });

  it('reports malformed lines with line numbers on stderr; --strict makes them fatal', async () => {
    const text = '1@5.000001:exec_tb tb:0x1 pc=0xffffffff81000000\nbroken\n1@5.000003:exec_tb tb:0x1 pc=0xffffffff81000000\n';
    const r = await run(['self-time', '-', '--map', MAP, '--format', 'csv', '-q'], text);
    expect(r.code).toBe(0);
    expect(r.err).toContain('1 malformed line skipped (line 2: not a trace record: "broken")');
    const s = await run(['self-time', '-', '--map', MAP, '--strict'], text);
    expect([s.code, s.err.trim()]).toEqual([2, 'bootprof: stdin: line 2 (byte 48): not a trace record: broken']);
  });
});
