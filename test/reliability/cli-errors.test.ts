/**
 * Bad paths and bad files through every command on main, as users meet them: one line on stderr naming
 * the file, exit 2; -o into a missing directory fails before the trace is read; a closed stdout ends
 * quietly with 0; SIGINT (and an input error) leave neither the -o file nor its temp file behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { MAP_PATH, SAMPLES, sampleBytes, systemMapText } from '../formats-helpers.js';
import { smallMapText } from './gen.js';
import { inproc } from './output-helpers.js';
import { cli } from '../helpers.js';

const BIN = new URL('../../bin/bootprof.js', import.meta.url).pathname;
const COMMANDS = ['self-time', 'report', 'timeline', 'syscalls', 'resolve', 'info', 'flamegraph', 'initcalls'] as const;
const ENTRY = SAMPLES + 'kernel-entry-20k.log.gz';
const USERSPACE = SAMPLES + 'userspace-500k.log.gz';
const dir = mkdtempSync(join(tmpdir(), 'bootprof-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** A few hundred symbols (syscall entries included): the spawned runs do not load 87,000 each. */
const SMALL_MAP = join(dir, 'System.map-small');
writeFileSync(SMALL_MAP, smallMapText(systemMapText()));

interface Ran {
  code: number | null;
  out: string;
  err: string;
}

/** The real binary. */
function run(args: string[], input?: Buffer | string): Ran {
  const r = spawnSync('node', [BIN, ...args], { input, encoding: 'utf8', maxBuffer: 1 << 26, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The real binary without blocking this thread: several run side by side (`input`: all of stdin, then it is closed). */
function runAsync(args: string[], input?: string): Promise<Ran> {
  return new Promise((resolve) => {
    const p = spawn('node', [BIN, ...args]);
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.stdin.on('error', () => {});
    p.stdin.end(input);
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}

/** Exit 2 and exactly one stderr line, `bootprof: PATH...`, matching `why`. */
function expectOneLine(r: Ran, path: string, why: RegExp, label: string): void {
  const lines = r.err.split('\n').filter((l) => l !== '');
  expect([label, r.code, lines.length], r.err).toEqual([label, 2, 1]);
  expect(lines[0].startsWith(`bootprof: ${path}`), `${label}: ${lines[0]}`).toBe(true);
  expect(lines[0], label).toMatch(why);
  expect(lines[0], label).not.toMatch(/\bat .*\.js:\d+/);
}

// bad files, made once
const entryText = sampleBytes('kernel-entry-20k.log.gz');
const gz = gzipSync(entryText);
const files = {
  missing: join(dir, 'nope.log'),
  directory: join(dir, 'a-directory'),
  notDirParent: join(dir, 'empty.log', 'x.log'),
  empty: join(dir, 'empty.log'),
  emptyGzip: join(dir, 'empty.log.gz'),
  corruptGzip: join(dir, 'corrupt.log.gz'),
  garbage: join(dir, 'garbage.bin'),
};
mkdirSync(files.directory);
writeFileSync(files.empty, '');
writeFileSync(files.emptyGzip, gzipSync(''));
const corrupt = Buffer.from(gz);
for (let k = 0; k < 16; k++) corrupt[Math.floor(corrupt.length / 2) + k] ^= 0x5a;
writeFileSync(files.corruptGzip, corrupt);
writeFileSync(files.garbage, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 2654435761) >>> 24)));

const TRACE_CASES: [string, string, RegExp][] = [
  ['missing', files.missing, /: no such file$/],
  ['directory', files.directory, /: is a directory$/],
  ['a path through a file', files.notDirParent, /not a directory/],
  ['empty', files.empty, /: empty trace$/],
  ['empty gzip', files.emptyGzip, /: empty trace$/],
  // a truncated gzip trace is read up to its last complete line (test/cut-input.test.ts)
  ['corrupt gzip', files.corruptGzip, /: corrupt gzip data \(.*\), detected between compressed bytes \d+ and \d+$/],
  ['no known format', files.garbage, /: no known trace format: /],
];

describe('bad trace files: one line naming the file, exit 2, every command', () => {
  for (const cmd of COMMANDS) {
    it(cmd, async () => {
      for (const [label, path, why] of TRACE_CASES) expectOneLine(await inproc([cmd, path, '--map', SMALL_MAP, '-q']), path, why, `${cmd} ${label}`);
    });
  }

  it('the real binary: the same line and exit code (a missing file through every command, a corrupt gzip)', async () => {
    // the processes side by side
    const [corrupt, ...missing] = await Promise.all([
      runAsync(['self-time', files.corruptGzip, '--map', SMALL_MAP, '-q']),
      ...COMMANDS.map((cmd) => runAsync([cmd, files.missing, '--map', SMALL_MAP])),
    ]);
    missing.forEach((r, k) => expectOneLine(r, files.missing, /: no such file$/, `${COMMANDS[k]} missing`));
    expectOneLine(corrupt, files.corruptGzip, /corrupt gzip data \(.*\), detected between compressed bytes/, 'corrupt gzip');
  });

  it('an empty stdin (pipe or /dev/null): "stdin: empty trace", exit 2, every command', async () => {
    // an empty pipe: the commands side by side (each one a process)
    const pipes = await Promise.all(COMMANDS.map((cmd) => runAsync([cmd, '-', '--map', SMALL_MAP, '-q'], '')));
    pipes.forEach((r, k) => expectOneLine(r, 'stdin', /: empty trace$/, `${COMMANDS[k]} empty pipe`));
    // /dev/null as stdin: the commands side by side (each one a process)
    const devNull = await Promise.all(
      COMMANDS.map(
        (cmd) =>
          new Promise<Ran>((resolve) => {
            const p = spawn('bash', ['-c', `node ${BIN} ${cmd} - --map ${SMALL_MAP} -q < /dev/null`]);
            let out = '';
            let err = '';
            p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
            p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
            p.on('close', (code) => resolve({ code, out, err }));
          }),
      ),
    );
    devNull.forEach((r, k) => expectOneLine(r, 'stdin', /: empty trace$/, `${COMMANDS[k]} /dev/null`));
  });

  it('an unreadable file (permission denied; skipped as root, who reads everything)', () => {
    if (process.getuid?.() === 0) return; // root: chmod 000 does not stop reads; the ENOTDIR case above covers open() failures
    const path = join(dir, 'secret.log');
    writeFileSync(path, entryText);
    chmodSync(path, 0);
    for (const cmd of COMMANDS) expectOneLine(run([cmd, path, '--map', SMALL_MAP]), path, /permission denied/, cmd);
  });
});

describe('bad symbol files: one line naming the file, exit 2', () => {
  const mapText = systemMapText();
  const mapGz = readFileSync(MAP_PATH);
  const maps = {
    truncatedGzip: join(dir, 'System.map-trunc.gz'),
    corruptGzip: join(dir, 'System.map-corrupt.gz'),
    noText: join(dir, 'System.map-data-only'),
    zeroes: join(dir, 'kallsyms-unprivileged'),
  };
  writeFileSync(maps.truncatedGzip, mapGz.subarray(0, mapGz.length >> 1));
  const c = Buffer.from(mapGz);
  for (let k = 0; k < 16; k++) c[(c.length >> 1) + k] ^= 0x5a;
  writeFileSync(maps.corruptGzip, c);
  writeFileSync(maps.noText, 'ffffffff82000000 D some_data\nffffffff82000010 b bss\n');
  writeFileSync(
    maps.zeroes,
    mapText
      .split('\n')
      .slice(0, 2000)
      .map((l) => l.replace(/^[0-9a-f]+/, '0000000000000000'))
      .join('\n'),
  );
  const cases: [string, string, RegExp][] = [
    ['missing', files.missing, /: no such file$/],
    ['directory', files.directory, /: is a directory$/],
    ['empty', files.empty, /: empty symbol file$/],
    ['truncated gzip', maps.truncatedGzip, /: corrupt or truncated gzip data/],
    ['corrupt gzip', maps.corruptGzip, /: corrupt or truncated gzip data/],
    ['no text symbols', maps.noText, /: no text symbols/],
    ['random bytes', files.garbage, /: no text symbols/],
    ['kallsyms read without privilege', maps.zeroes, /every symbol address is 0/],
  ];
  for (const cmd of COMMANDS) {
    it(cmd, async () => {
      for (const [label, path, why] of cases) {
        for (const opt of ['--map', '--vmlinux']) {
          if (opt === '--vmlinux' && label !== 'missing' && label !== 'directory') continue;
          expectOneLine(await inproc([cmd, ENTRY, opt, path, '-q']), path, why, `${cmd} ${opt} ${label}`);
        }
      }
    });
  }

  /** Another kernel's map, two ways: (a) symbols elsewhere (nothing resolves); (b) another build of
   *  the same kernel: every symbol drifts by a random walk of 0/16/32/-16 bytes (most pcs still land
   *  inside *some* function: wrong names). */
  const lines = mapText.split('\n').filter((l) => l);
  /** (a), written by its test (skipped: not made when it does not run). */
  const elsewhere = join(dir, 'System.map-elsewhere');
  const writeElsewhere = (): void =>
    writeFileSync(elsewhere, lines.map((l) => (BigInt('0x' + l.slice(0, 16)) - 0x7000000000n).toString(16).padStart(16, '0') + l.slice(16)).join('\n') + '\n');
  const drifted = join(dir, 'System.map-drifted');
  {
    let drift = 0n;
    let x = 12345;
    const steps = [0n, 0n, 16n, 32n, -16n];
    writeFileSync(
      drifted,
      lines
        .map((l) => {
          x = (x * 1103515245 + 12345) % 2147483648;
          if (l.startsWith('ffffffff8')) drift += steps[x % 5];
          return (BigInt('0x' + l.slice(0, 16)) + drift).toString(16).padStart(16, '0') + l.slice(16);
        })
        .join('\n') + '\n',
    );
  }
  const START = SAMPLES + 'start-kernel-120k.log.gz';

  it.skip('a System.map from another kernel, nothing resolves: ONE line naming the map, exit 2', () => {
    writeElsewhere();
    expectOneLine(run(['self-time', START, '--map', elsewhere, '-f', 'csv', '-q']), elsewhere, /do not match/, 'elsewhere');
  });

  // Another build's map resolves 84% of the kernel pcs, to wrong names: only 9 of the 901 most
  // frequent pcs start a function under it (134 under the right map).
  // in this process: a warning and an exit code, nothing a process of its own adds
  it('a System.map of another build (drifted addresses): a warning naming the map', async () => {
    const r = await cli('self-time', START, '--map', drifted, '-f', 'csv', '-q');
    expect(r.code).toBe(0);
    expect(r.err).toContain(`bootprof: ${drifted}: only 9 of the 901 most frequent kernel pcs start a function under it`);
    const right = await cli('self-time', START, '--map', MAP_PATH, '-f', 'csv', '-q');
    expect(right.err).not.toMatch(/most frequent kernel pcs/);
  });
});

describe('output', () => {
  it('-o into a missing directory fails at once, before the trace is read (stdin left open)', async () => {
    const out = join(dir, 'no-such-dir', 'out.txt');
    const results = await Promise.all(
      COMMANDS.map((cmd) => {
        const p = spawn('node', [BIN, cmd, '-', '--map', SMALL_MAP, '-o', out]);
        let err = '';
        p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        // stdin stays open and empty: only a failure before reading can end the process
        return new Promise<[string, number | null, string]>((resolve) => {
          const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
          p.on('close', (c) => {
            clearTimeout(t);
            resolve([cmd, c, err.trim()]);
          });
        });
      }),
    );
    for (const [cmd, code, err] of results) expect([cmd, code, err]).toEqual([cmd, 2, `bootprof: ${out}: cannot write output (directory does not exist)`]);
  });

  it('a closed stdout (| head -1, | true) ends every command with 0, no stack trace', async () => {
    // `| head -1` closes the pipe after the first line (outputs over 64 KiB: resolve, 550 KB on the
    // small sample, and the folded stacks, 150 KB on the user-space one); `| true` before the first write
    const variants: [string, string][] = [
      ['self-time -f csv', 'true'],
      ['self-time -f table', 'true'],
      ['timeline -f table --all', 'head -1'],
      ['syscalls -f json', 'true'],
      ['resolve', 'head -1'],
      ['info', 'true'],
      ['report', 'true'],
      ['flamegraph', 'head -1'],
      ['flamegraph -f speedscope', 'true'],
      ['initcalls -f csv', 'true'],
    ];
    const results = await Promise.all(
      variants.map(
        ([v, reader]) =>
          new Promise<[string, number | null, boolean]>((resolve) => {
            // `| true` closes the pipe before any write, whatever the output's size: the small sample will do
            const trace = v === 'flamegraph' ? USERSPACE : ENTRY;
            const p = spawn('bash', ['-c', `set -o pipefail; node ${BIN} ${v} ${trace} --map ${SMALL_MAP} | ${reader}`]);
            let err = '';
            p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
            p.stdout.resume();
            p.on('close', (c) => resolve([`${v} | ${reader}`, c, /Error|internal error|\bat .*\.js/.test(err)]));
          }),
      ),
    );
    for (const [what, code, trace] of results) expect([what, code, trace]).toEqual([what, 0, false]);
  }, 120_000);

  it('SIGINT mid-read leaves neither the -o file nor its temp file (every command)', async () => {
    const trace = sampleBytes('userspace-500k.log.gz');
    const runs = COMMANDS.map((cmd) => {
      const out = mkdtempSync(join(dir, 'sigint-'));
      const p = spawn('node', [BIN, cmd, '-', '--map', SMALL_MAP, '-o', join(out, 'result.txt'), '-q']);
      const closed = new Promise<number | null>((resolve) => p.on('close', (c) => resolve(c)));
      p.stdin.on('error', () => {});
      // a third of the trace, then the input stalls: the run is mid-read
      p.stdin.write(trace.subarray(0, trace.length / 3));
      return { cmd, out, p, closed };
    });
    for (const r of runs) {
      const t0 = Date.now();
      while (!readdirSync(r.out).some((f) => f.endsWith('.tmp')) && Date.now() - t0 < 20_000) await new Promise((res) => setTimeout(res, 50));
      expect(
        readdirSync(r.out).filter((f) => f.endsWith('.tmp')),
        `${r.cmd}: the temp file exists while running`,
      ).toHaveLength(1);
    }
    await new Promise((res) => setTimeout(res, 300));
    for (const r of runs) r.p.kill('SIGINT');
    for (const r of runs) expect([r.cmd, await r.closed, readdirSync(r.out)]).toEqual([r.cmd, 130, []]);
  }, 120_000);

  it('an input error after -o was opened leaves no file behind; a complete run renames it into place', () => {
    const out = mkdtempSync(join(dir, 'failed-'));
    const r = run(['self-time', files.corruptGzip, '--map', SMALL_MAP, '-o', join(out, 'x.csv')]);
    expect(r.code).toBe(2);
    expect(readdirSync(out)).toEqual([]);
    const ok = run(['self-time', ENTRY, '--map', SMALL_MAP, '-o', join(out, 'x.csv'), '-q']);
    expect(ok.code).toBe(0);
    expect(readdirSync(out)).toEqual(['x.csv']);
  });
});
