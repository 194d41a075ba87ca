/**
 * Bad paths and bad files through every command on main, as users meet them: one line on stderr naming
 * the file, exit 2; -o into a missing directory fails before the trace is read; a closed stdout ends
 * quietly with 0; SIGINT (and an input error) leave neither the -o file nor its temp file behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAP_PATH, SAMPLES } from '../formats-helpers.js';

const BIN = new URL('../../bin/bootprof.js', import.meta.url).pathname;
const COMMANDS = ['self-time', 'timeline', 'syscalls', 'resolve', 'info'] as const;
const ENTRY = SAMPLES + 'kernel-entry-20k.log.gz';
const USERSPACE = SAMPLES + 'userspace-500k.log.gz';
const dir = mkdtempSync(join(tmpdir(), 'bootprof-errors-'));

function run(args: string[], input?: Buffer | string) {
  const r = spawnSync('node', [BIN, ...args], { input, encoding: 'utf8', maxBuffer: 1 << 26, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Exit 2 and exactly one stderr line, `bootprof: PATH...`, matching `why`. */
function expectOneLine(r: ReturnType<typeof run>, path: string, why: RegExp, label: string): void {
  const lines = r.err.split('\n').filter((l) => l !== '');
  expect([label, r.code, lines.length], r.err).toEqual([label, 2, 1]);
  expect(lines[0].startsWith(`bootprof: ${path}`), `${label}: ${lines[0]}`).toBe(true);
  expect(lines[0], label).toMatch(why);
  expect(lines[0], label).not.toMatch(/\bat .*\.js:\d+/);
}

// bad files, made once
const entryText = gunzipSync(readFileSync(ENTRY));
const gz = gzipSync(entryText);
const files = {
  missing: join(dir, 'nope.log'),
  directory: join(dir, 'a-directory'),
  notDirParent: join(dir, 'empty.log', 'x.log'),
  empty: join(dir, 'empty.log'),
  emptyGzip: join(dir, 'empty.log.gz'),
  truncatedGzip: join(dir, 'truncated.log.gz'),
  corruptGzip: join(dir, 'corrupt.log.gz'),
  garbage: join(dir, 'garbage.bin'),
};
mkdirSync(files.directory);
writeFileSync(files.empty, '');
writeFileSync(files.emptyGzip, gzipSync(''));
writeFileSync(files.truncatedGzip, gz.subarray(0, Math.floor(gz.length / 2)));
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
  ['truncated gzip', files.truncatedGzip, /: corrupt or truncated gzip data/],
  ['corrupt gzip', files.corruptGzip, /: corrupt or truncated gzip data/],
  ['no known format', files.garbage, /: no known trace format in the first 4096 bytes/],
];

describe('bad trace files: one line naming the file, exit 2, every command', () => {
  for (const cmd of COMMANDS) {
    it(cmd, () => {
      // every case through self-time; the shared input path once more through each other command
      const cases = cmd === 'self-time' ? TRACE_CASES : TRACE_CASES.filter(([label]) => label === 'missing' || label === 'corrupt gzip');
      for (const [label, path, why] of cases) expectOneLine(run([cmd, path, '--map', MAP_PATH, '-q']), path, why, `${cmd} ${label}`);
    });
  }

  it('an unreadable file (permission denied; skipped as root, who reads everything)', () => {
    if (process.getuid?.() === 0) return; // root: chmod 000 does not stop reads; the ENOTDIR case above covers open() failures
    const path = join(dir, 'secret.log');
    writeFileSync(path, entryText);
    chmodSync(path, 0);
    for (const cmd of COMMANDS) expectOneLine(run([cmd, path, '--map', MAP_PATH]), path, /permission denied/, cmd);
  });
});

describe('bad symbol files: one line naming the file, exit 2', () => {
  const mapText = gunzipSync(readFileSync(MAP_PATH));
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
  writeFileSync(maps.zeroes, mapText.toString('latin1').split('\n').slice(0, 2000).map((l) => l.replace(/^[0-9a-f]+/, '0000000000000000')).join('\n'));
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
    it(cmd, () => {
      for (const [label, path, why] of cases) {
        // every case through self-time; timeline and syscalls load symbols themselves: two cases each
        if (cmd !== 'self-time' && label !== 'missing' && label !== 'no text symbols') continue;
        for (const opt of ['--map', '--vmlinux']) {
          if (opt === '--vmlinux' && label !== 'missing' && label !== 'directory') continue;
          expectOneLine(run([cmd, ENTRY, opt, path, '-q']), path, why, `${cmd} ${opt} ${label}`);
        }
      }
    });
  }

  /** Another kernel's map, two ways: (a) symbols elsewhere (nothing resolves); (b) another build of
   *  the same kernel: every symbol drifts by a random walk of 0/16/32/-16 bytes (most pcs still land
   *  inside *some* function: wrong names). */
  const lines = mapText.toString('latin1').split('\n').filter((l) => l);
  const elsewhere = join(dir, 'System.map-elsewhere');
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

  it('a System.map from another kernel, nothing resolves: today a warning with results, exit 0 (proposal below)', () => {
    const r = run(['self-time', START, '--map', elsewhere, '-f', 'csv', '-q']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[1]).toMatch(/^\[unknown\],/);
    expect(r.err).toMatch(/only 0\.0% of 120,000 kernel-half events resolve to a function: the symbols do not match this kernel/);
  });

  // Not implemented (docs/RELIABILITY.md, "Not fixed"): today two stderr lines (the KASLR search's and
  // the resolution warning), neither naming the map, and exit 0.
  it.skip('a System.map from another kernel, nothing resolves: ONE line naming the map, exit 2', () => {
    expectOneLine(run(['self-time', START, '--map', elsewhere, '-f', 'csv', '-q']), elsewhere, /do not match/, 'elsewhere');
  });

  // Not implemented: another build's map resolves 84% of the kernel pcs to wrong names without a word
  // (only 6 of the 901 most frequent pcs start a function under it; 134 under the right map).
  it.skip('a System.map of another build (drifted addresses): a warning naming the map', () => {
    const r = run(['self-time', START, '--map', drifted, '-f', 'csv', '-q']);
    expect(r.err).toContain(drifted);
  });
});

describe('output', () => {
  it('-o into a missing directory fails at once, before the trace is read (stdin left open)', async () => {
    for (const cmd of COMMANDS) {
      const out = join(dir, 'no-such-dir', 'out.txt');
      const p = spawn('node', [BIN, cmd, '-', '--map', MAP_PATH, '-o', out]);
      let err = '';
      p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      // stdin stays open and empty: only a failure before reading can end the process
      const code = await new Promise<number | null>((resolve, reject) => {
        const t = setTimeout(() => {
          p.kill('SIGKILL');
          reject(new Error(`${cmd}: still running: it waited for the trace before checking -o`));
        }, 20_000);
        p.on('close', (c) => {
          clearTimeout(t);
          resolve(c);
        });
      });
      expect([cmd, code, err.trim()]).toEqual([cmd, 2, `bootprof: ${out}: cannot write output (directory does not exist)`]);
    }
  });

  it('a closed stdout (| head -1, | true) ends every command and format with 0, no stack trace', () => {
    const variants = [
      ['self-time', '-f', 'csv'],
      ['self-time', '-f', 'table'],
      ['self-time', '-f', 'json'],
      ['timeline', '-f', 'csv'],
      ['timeline', '-f', 'table', '--all'],
      ['syscalls', '-f', 'csv'],
      ['syscalls', '-f', 'table', '--summary'],
      ['resolve'],
      ['info'],
      ['info', '-f', 'json'],
    ];
    for (const v of variants) {
      // `| true` closes the pipe before the first write; `| head -1` after it (outputs over 64 KiB)
      for (const reader of v[0] === 'resolve' || v[2] === 'csv' ? ['head -1', 'true'] : ['true']) {
        const r = spawnSync('bash', ['-c', `set -o pipefail; node ${BIN} ${v.join(' ')} ${ENTRY} --map ${MAP_PATH} | ${reader}`], { encoding: 'utf8' });
        expect([v.join(' '), reader, r.status, r.stderr.includes('Error') || r.stderr.includes('internal error')]).toEqual([v.join(' '), reader, 0, false]);
      }
    }
  }, 120_000);

  it('SIGINT mid-read leaves neither the -o file nor its temp file (every command)', async () => {
    const trace = gunzipSync(readFileSync(USERSPACE));
    for (const cmd of COMMANDS) {
      const out = mkdtempSync(join(dir, 'sigint-'));
      const p = spawn('node', [BIN, cmd, '-', '--map', MAP_PATH, '-o', join(out, 'result.txt'), '-q']);
      const closed = new Promise<[number | null, string | null]>((resolve) => p.on('close', (c, s) => resolve([c, s])));
      p.stdin.on('error', () => {});
      // a third of the trace, then the input stalls: the run is mid-read
      p.stdin.write(trace.subarray(0, trace.length / 3));
      const t0 = Date.now();
      while (!readdirSync(out).some((f) => f.endsWith('.tmp')) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
      expect(readdirSync(out).filter((f) => f.endsWith('.tmp')), `${cmd}: the temp file exists while running`).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 300));
      p.kill('SIGINT');
      const [code] = await closed;
      expect([cmd, code, readdirSync(out)]).toEqual([cmd, 130, []]);
    }
  }, 120_000);

  it('an input error after -o was opened leaves no file behind; a complete run renames it into place', () => {
    const out = mkdtempSync(join(dir, 'failed-'));
    const r = run(['self-time', files.corruptGzip, '--map', MAP_PATH, '-o', join(out, 'x.csv')]);
    expect(r.code).toBe(2);
    expect(readdirSync(out)).toEqual([]);
    const ok = run(['self-time', ENTRY, '--map', MAP_PATH, '-o', join(out, 'x.csv'), '-q']);
    expect(ok.code).toBe(0);
    expect(readdirSync(out)).toEqual(['x.csv']);
  });
});
