/**
 * `bootprof record` with a stand-in QEMU (test/fixtures/fake-qemu: plays a committed sample into the
 * -D path it is given, or dies midway, or never opens its log, or runs until stopped): the reports
 * equal `report` on the same trace, partial runs are marked, exit codes, the FIFO is removed and no
 * trace file is left unless --save-trace asks for one. (A real QEMU: test/e2e/record-qemu.test.ts.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { planQemu } from '../src/io/qemu.js';
import { cli } from './helpers.js';
import { MAP_PATH, SAMPLES } from './formats-helpers.js';

const ROOT = new URL('../', import.meta.url).pathname;
const BIN = ROOT + 'bin/bootprof.js';
const FAKE = ROOT + 'test/fixtures/fake-qemu/qemu-system-x86_64';
const SAMPLE = SAMPLES + 'kernel-entry-20k.log.gz';
const tmp = mkdtempSync(join(tmpdir(), 'bootprof-record-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function fresh(): { dir: string; argsFile: string } {
  n++;
  return { dir: join(tmp, `run${n}`), argsFile: join(tmp, `args${n}.txt`) };
}

/** Runs record in a real process with the stand-in QEMU. */
function record(mode: string, extra: string[], qemuArgs: string[] = ['-m', '512', '-nographic']) {
  const { dir, argsFile } = fresh();
  const r = spawnSync('node', [BIN, 'record', '--map', MAP_PATH, '--out', dir, ...extra, '--', FAKE, ...qemuArgs], {
    encoding: 'utf8',
    env: { ...process.env, FAKE_QEMU: mode, FAKE_QEMU_TRACE: SAMPLE, FAKE_QEMU_ARGS: argsFile, NO_COLOR: '1' },
    timeout: 60_000,
  });
  return { ...r, dir, argsFile };
}

/** The same in this process (no Node start-up for bootprof; the stand-in QEMU is still a process). */
async function recordHere(mode: string, extra: string[]) {
  const { dir, argsFile } = fresh();
  const saved = { ...process.env };
  Object.assign(process.env, { FAKE_QEMU: mode, FAKE_QEMU_TRACE: SAMPLE, FAKE_QEMU_ARGS: argsFile });
  try {
    const r = await cli('record', '--map', MAP_PATH, '--out', dir, ...extra, '--', FAKE, '-m', '512', '-nographic');
    return { status: r.code, stderr: r.err, stdout: r.out, dir, argsFile };
  } finally {
    for (const k of ['FAKE_QEMU', 'FAKE_QEMU_TRACE', 'FAKE_QEMU_ARGS']) if (saved[k] === undefined) delete process.env[k];
  }
}

/** A report JSON without what names the input. */
function tablesOf(json: string): Record<string, unknown> {
  const { summary, ...tables } = JSON.parse(json) as { summary: Record<string, unknown> };
  const { input: _i, ...rest } = summary;
  return { summary: rest, ...tables };
}

describe('bootprof record with a stand-in QEMU', () => {
  it('the reports equal report --stacks on the same trace; the trace never reaches the disk; the FIFO is gone', async () => {
    const r = await recordHere('ok', ['--quiet']);
    expect([r.status, r.stderr]).toEqual([0, expect.any(String)]);
    expect(readdirSync(r.dir).sort()).toEqual(['cmdline.txt', 'console.txt', 'report.html', 'report.json']);
    const ref = await cli('report', SAMPLE, '--map', MAP_PATH, '--stacks', '-f', 'json', '-q');
    expect(tablesOf(readFileSync(join(r.dir, 'report.json'), 'utf8'))).toEqual(tablesOf(ref.out));
    expect(JSON.parse(readFileSync(join(r.dir, 'report.json'), 'utf8')).summary.input).toBe('qemu-system-x86_64 (live)');
    expect(readFileSync(join(r.dir, 'console.txt'), 'utf8')).toContain('Booting from ROM');
    expect(readFileSync(join(r.dir, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
    // what QEMU was given: the user's arguments, then record's
    const args = readFileSync(r.argsFile, 'utf8').trim().split('\n');
    expect(args.slice(0, 3)).toEqual(['-m', '512', '-nographic']);
    expect(args.slice(3, 5)).toEqual(['-d', 'nochain,in_asm']);
    expect(args[5]).toBe('-D');
    expect(args[6]).toMatch(/\.trace\.\d+\.fifo$/);
    expect(args.slice(7)).toEqual(['-trace', 'exec_tb', '-msg', 'timestamp=on']);
    expect(existsSync(args[6])).toBe(false);
    expect(readFileSync(join(r.dir, 'cmdline.txt'), 'utf8')).toContain(`${FAKE} -m 512 -nographic -d nochain,in_asm -D `);
  });

  it('--save-trace keeps the exact trace, gzip-compressed; milestones as reached and the summary go to stderr', () => {
    const r = record('ok', ['--save-trace', join(tmp, 'kept.log.gz')]);
    expect(r.status).toBe(0);
    expect(gunzipSync(readFileSync(join(tmp, 'kept.log.gz'))).equals(gunzipSync(readFileSync(SAMPLE)))).toBe(true);
    expect(r.stderr).toMatch(/^recorded: 20,000 events from .*qemu-system-x86_64; .* exited with status 0$/m);
    expect(r.stderr).toContain(`written: ${join(r.dir, 'report.html')}, ${join(r.dir, 'report.json')}, ${join(tmp, 'kept.log.gz')}`);
    expect(r.stdout).toContain('Booting from ROM');
    // milestones as they are reached, while QEMU runs
    expect(r.stderr).toMatch(/^bootprof: first C code, virtual addresses at \d+\.\d{3} s \(event [\d,]+\)$/m);
  });

  it('QEMU dying midway: the captured part is reported, marked partial; exit 2 with QEMU’s status and last words', async () => {
    const r = await recordHere('die', ['--quiet', '--report', 'json']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/exited with status 1: results are partial; its last words: .*fatal: emulated device error/);
    const doc = JSON.parse(readFileSync(join(r.dir, 'report.json'), 'utf8'));
    expect(doc.summary.truncated).toBe(true);
    expect(doc.summary.events).toBeGreaterThan(5_000);
    expect(doc.summary.events).toBeLessThan(20_000);
    expect(readdirSync(r.dir).sort()).toEqual(['cmdline.txt', 'console.txt', 'report.json']);
  });

  it('QEMU failing before it writes its log: one line, exit 2, no report, no FIFO', async () => {
    const r = await recordHere('nolog', ['--quiet']);
    expect(r.status).toBe(2);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.includes('KASLR')),
    ).toEqual([expect.stringMatching(/^bootprof: QEMU wrote no trace \(.*qemu-system-x86_64 exited with status 1\); its last words: .*could not load kernel/)]);
    expect(readdirSync(r.dir).sort()).toEqual(['console.txt']);
  });

  it('--duration stops QEMU: partial results, exit 0', async () => {
    const r = await recordHere('hang', ['--quiet', '--duration', '1', '--report', 'json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(readFileSync(join(r.dir, 'report.json'), 'utf8'));
    expect(doc.summary.events).toBe(20_000);
    expect(doc.summary.truncated).toBe(true);
  });

  it('Ctrl-C stops QEMU and writes what was captured: exit 130', async () => {
    const { dir, argsFile } = fresh();
    const p = spawn('node', [BIN, 'record', '--map', MAP_PATH, '--out', dir, '--quiet', '--report', 'json', '--', FAKE], {
      env: { ...process.env, FAKE_QEMU: 'hang', FAKE_QEMU_TRACE: SAMPLE, FAKE_QEMU_ARGS: argsFile },
    });
    let err = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const closed = new Promise<number | null>((res) => p.on('close', (c) => res(c)));
    // the stand-in has started and written its trace
    const t0 = Date.now();
    const written = (): boolean => existsSync(join(dir, 'console.txt')) && readFileSync(join(dir, 'console.txt'), 'utf8').includes('Power down');
    while (!written() && Date.now() - t0 < 20_000) await new Promise((res) => setTimeout(res, 100));
    await new Promise((res) => setTimeout(res, 500));
    p.kill('SIGINT');
    expect(await closed, err).toBe(130);
    const doc = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(doc.summary.truncated).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.fifo') || f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);

  it('refused before QEMU starts: -D, -trace file=, -msg timestamp=off, -daemonize, no such QEMU, an --out that cannot be written', async () => {
    const { dir, argsFile } = fresh();
    writeFileSync(join(tmp, 'a-file'), '');
    const cases: [string[], RegExp, number][] = [
      [['--', FAKE, '-D', 'q.log'], /QEMU's -D q\.log: record reads QEMU's log through a FIFO of its own/, 1],
      [['--', FAKE, '-trace', 'events=ev,file=t.out'], /a trace file of its own/, 1],
      [['--', FAKE, '-msg', 'timestamp=off'], /needs time stamps/, 1],
      [['--', FAKE, '-daemonize'], /remove -daemonize/, 1],
      [['--', 'qemu-system-nosuch'], /qemu-system-nosuch: no such program on PATH \(QEMU: Debian\/Ubuntu apt install qemu-system-x86/, 1],
      [['--out', join(tmp, 'a-file', 'sub'), '--', FAKE], /cannot write there/, 2],
    ];
    for (const [args, why, code] of cases) {
      const r = await cli('record', '--map', MAP_PATH, ...(args[0] === '--out' ? [] : ['--out', dir]), ...args);
      expect([r.code, r.err], args.join(' ')).toEqual([code, expect.stringMatching(why)]);
    }
    expect(existsSync(argsFile)).toBe(false);
  });

  it('the QEMU arguments: -d flags merged, other arguments kept in order, -trace exec_tb and -msg not doubled', () => {
    expect(planQemu(['qemu', '-d', 'int,cpu_reset', '-kernel', 'k', '-append', 'console=ttyS0 -d'], '/f').args).toEqual([
      '-kernel',
      'k',
      '-append',
      'console=ttyS0 -d',
      '-d',
      'int,cpu_reset,nochain,in_asm',
      '-D',
      '/f',
      '-trace',
      'exec_tb',
      '-msg',
      'timestamp=on',
    ]);
    expect(planQemu(['qemu', '-trace', 'exec_tb', '-msg', 'timestamp=on', '--d=in_asm'], '/f').args).toEqual([
      '-trace',
      'exec_tb',
      '-msg',
      'timestamp=on',
      '-d',
      'in_asm,nochain',
      '-D',
      '/f',
    ]);
  });
});
