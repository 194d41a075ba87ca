/** What a new user meets first: options doing what --help says, consistent output, clear refusals. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { refuseJsonOnTerminal } from '../src/commands/flamegraph.js';
import { stdinTerminalCheck } from '../src/commands/common.js';
import { progressBar, progressStyle } from '../src/output/progress.js';
import { cli, logLine } from './helpers.js';
import { addrOf, systemMap, type FnName } from './synthetic.js';

const ROOT = new URL('../', import.meta.url).pathname;
const BIN = ROOT + 'bin/bootprof.js';
const SAMPLES = ROOT + 'samples/';
const MAP = SAMPLES + 'System.map-6.1.0-47-cloud-amd64.gz';
const ENTRY = SAMPLES + 'kernel-entry-20k.log.gz';
const USER = SAMPLES + 'userspace-500k.log.gz';

/** Runs the CLI as a child process (stdin, environment). */
function spawn(args: string[], o: { input?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync('node', [BIN, ...args], { input: o.input ?? '', encoding: 'utf8', env: { ...process.env, ...o.env }, maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

afterEach(() => vi.restoreAllMocks());

const tmp = mkdtempSync(join(tmpdir(), 'bootprof-usability-'));
/** A synthetic kernel_init running two initcalls (foo_init from 0.25 s, bar_init), and its System.map. */
const SYN = join(tmp, 'synthetic.log');
const SYN_MAP = join(tmp, 'synthetic.map');
const SEQ: [FnName, number, number][] = [
  ['kernel_init', 0, 0],
  ['do_one_initcall', 0, 100_000],
  ['foo_init', 0, 250_000],
  ['foo_init', 0x10, 260_000],
  ['do_one_initcall', 0x20, 300_000],
  ['bar_init', 0, 310_000],
  ['bar_init', 0x10, 320_000],
  ['do_one_initcall', 0x30, 330_000],
  ['kernel_init', 0x10, 340_000],
];
writeFileSync(SYN, SEQ.map(([fn, off, us]) => logLine(7, us, '0x' + addrOf(fn, off).toString(16))).join(''));
writeFileSync(SYN_MAP, systemMap());

describe('report --top', () => {
  it('limits the system-call summary as well as self time (table and JSON)', async () => {
    const j = JSON.parse((await cli('report', USER, '--map', MAP, '--top', '3', '--format', 'json', '-q')).out);
    expect(j.functions).toHaveLength(3);
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

describe('initcalls reads like the other commands', () => {
  it('JSON has the shared summary; the table shows start in seconds and the summary under it', async () => {
    const j = JSON.parse((await cli('initcalls', SYN, '--map', SYN_MAP, '--format', 'json')).out);
    expect(j.summary).toMatchObject({
      input: SYN,
      format: 'qemu-log',
      unit: 'ns',
      symbols: SYN_MAP,
      events: 9,
      threads: 1,
      initcalls: 2,
      unfinished: 0,
      total_duration_ns: 70_000_000,
    });
    expect(j.initcalls).toEqual([
      { initcall: 'foo_init', start_ns: 250_000_000, duration_ns: 50_000_000, cpu: 0, returned: true },
      { initcall: 'bar_init', start_ns: 310_000_000, duration_ns: 20_000_000, cpu: 0, returned: true },
    ]);
    const csv = await cli('initcalls', SYN, '--map', SYN_MAP, '--format', 'csv');
    expect(csv.out).toBe('initcall,start_ns,duration_ns,cpu,returned\nfoo_init,250000000,50000000,0,1\nbar_init,310000000,20000000,0,1\n');
    expect(csv.err).toContain(`input: ${SYN} (qemu-log), unit: nanoseconds\n`);
    const t = await cli('initcalls', SYN, '--map', SYN_MAP, '--format', 'table', '--top', '1');
    expect(t.out).toBe(
      [
        'start (s)  initcall  duration  vCPU',
        '---------  --------  --------  ----',
        ' 0.250000  foo_init  50.00 ms     0',
        '... 1 more initcall (--top N, or --format csv for all)',
        '',
        `input: ${SYN} (qemu-log), unit: nanoseconds`,
        `symbols: ${SYN_MAP}`,
        'events: 9 in 9 lines, vCPUs: 1, traced span: 340.0 ms',
        'regions: kernel 9 (100.0%), [user] 0 (0.0%), [firmware] 0 (0.0%), [boot] 0 (0.0%), [unknown] 0 (0.0%)',
        'initcalls: 2, 70.00 ms in total',
        '',
      ].join('\n'),
    );
  });
});

describe('-o FILE: one format rule for every command', () => {
  const missing = join(tmp, 'no-such-trace.log'); // a refusal must come before the trace is opened
  it('infers the format from the extension', async () => {
    const dir = mkdtempSync(join(tmp, 'out-'));
    const fg = join(dir, 'x.speedscope.json');
    expect((await cli('flamegraph', ENTRY, '--map', MAP, '-q', '-o', fg)).code).toBe(0);
    expect(JSON.parse(readFileSync(fg, 'utf8')).$schema).toContain('speedscope');
    const chrome = join(dir, 'x.json');
    expect((await cli('flamegraph', ENTRY, '--map', MAP, '-q', '-o', chrome)).code).toBe(0);
    expect(JSON.parse(readFileSync(chrome, 'utf8')).traceEvents).toBeDefined();
    const folded = join(dir, 'x.folded');
    expect((await cli('flamegraph', ENTRY, '--map', MAP, '-q', '-o', folded)).code).toBe(0);
    expect(readFileSync(folded, 'utf8')).toMatch(/^\S+ \d+\n/);
    const st = join(dir, 'st.json');
    expect((await cli('self-time', ENTRY, '--map', MAP, '-q', '-o', st)).code).toBe(0);
    expect(JSON.parse(readFileSync(st, 'utf8')).functions.length).toBeGreaterThan(0);
    const table = join(dir, 'st.txt');
    expect((await cli('self-time', ENTRY, '--map', MAP, '-q', '-o', table)).code).toBe(0);
    expect(readFileSync(table, 'utf8')).toMatch(/^function +self +share +events\n/);
    const info = join(dir, 'info.json');
    expect((await cli('info', ENTRY, '--map', MAP, '-q', '-o', info)).code).toBe(0);
    expect(JSON.parse(readFileSync(info, 'utf8')).summary.events).toBe(20000);
  });

  it('refuses an extension the command cannot write, before reading the trace', async () => {
    const r = await cli('report', missing, '-o', join(tmp, 'r.csv'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `bootprof: -o ${join(tmp, 'r.csv')}: report cannot write csv (the '.csv' extension); it writes table, json, html, parquet: pick a matching name or --format\n`,
    );
    expect((await cli('self-time', missing, '-o', join(tmp, 'x.folded'))).code).toBe(1);
    expect((await cli('self-time', missing, '-o', join(tmp, 'x.speedscope.json'))).code).toBe(1);
  });

  it('refuses a --format the extension contradicts', async () => {
    const r = await cli('self-time', missing, '--format', 'csv', '-o', join(tmp, 'x.json'));
    expect([r.code, r.err]).toEqual([1, `bootprof: --format csv contradicts -o ${join(tmp, 'x.json')} (a '.json' file is json): change one of them\n`]);
    expect((await cli('flamegraph', missing, '--format', 'folded', '-o', join(tmp, 'x.speedscope.json'))).code).toBe(1);
    expect((await cli('flamegraph', missing, '--format', 'chrome', '-o', join(tmp, 'x.speedscope.json'))).code).toBe(1);
    expect((await cli('timeline', missing, '--format', 'table', '-o', join(tmp, 'x.csv'))).code).toBe(1);
    // agreeing or saying nothing is fine: these fail only on the missing trace (exit 2)
    expect((await cli('flamegraph', missing, '--format', 'chrome', '-o', join(tmp, 'boot.json'))).code).toBe(2);
    expect((await cli('flamegraph', missing, '--format', 'speedscope', '-o', join(tmp, 'boot.json'))).code).toBe(2);
    expect((await cli('self-time', missing, '--format', 'json', '-o', join(tmp, 'x.out'))).code).toBe(2);
  });
});

describe('progress bar', () => {
  /** A fake terminal stderr that records what is written. */
  function fakeTty(): NodeJS.WriteStream & { text: string } {
    const s = {
      isTTY: true,
      columns: 100,
      text: '',
      write(chunk: string) {
        s.text += chunk;
        return true;
      },
      cursorTo() {
        return true;
      },
      clearLine() {
        return true;
      },
      moveCursor() {
        return true;
      },
      on() {
        return s;
      },
      removeListener() {
        return s;
      },
    };
    return s as unknown as NodeJS.WriteStream & { text: string };
  }
  function drive(env: NodeJS.ProcessEnv): string {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const tty = fakeTty();
      const bar = progressBar(true, tty, env);
      vi.setSystemTime(Date.now() + 2000);
      bar.update(50e6, 100e6);
      bar.stop();
      return tty.text;
    } finally {
      vi.useRealTimers();
    }
  }
  it('follows TERM and NO_COLOR', () => {
    expect(progressStyle(true, { TERM: 'xterm-256color' })).toBe('unicode');
    expect(progressStyle(true, { TERM: 'xterm-256color', NO_COLOR: '1' })).toBe('ascii');
    expect(progressStyle(true, { TERM: 'xterm-256color', NO_COLOR: '' })).toBe('unicode');
    expect(progressStyle(true, { TERM: 'dumb' })).toBe('none');
    expect(progressStyle(true, {})).toBe('none');
    expect(progressStyle(false, { TERM: 'xterm' })).toBe('none');
    expect(drive({ TERM: 'xterm' })).toMatch(/bootprof █+░+ 50% \| 50 \/ 100 MB/);
    const ascii = drive({ TERM: 'xterm', NO_COLOR: '1' });
    expect(ascii).toMatch(/bootprof =+-+ 50% \| 50 \/ 100 MB/);
    // eslint-disable-next-line no-control-regex -- a deliberate ASCII-only check (any byte outside 0x00-0x7f)
    expect(ascii).not.toMatch(/[^\x00-\x7f]/);
    expect(drive({ TERM: 'dumb' })).toBe('');
  });
});

describe('a terminal on stdin', () => {
  it('no TRACE: a usage error, not a silent wait; an explicit - gets a hint', () => {
    expect(stdinTerminalCheck(undefined, true)).toBe('refuse');
    expect(stdinTerminalCheck('-', true)).toBe('hint');
    expect(stdinTerminalCheck(ENTRY, true)).toBe('ok');
    expect(stdinTerminalCheck(undefined, false)).toBe('ok');
    expect(stdinTerminalCheck(undefined, undefined)).toBe('ok');
  });

  // util-linux script(1) runs the CLI on a pseudo-terminal (its stdin, stdout and stderr)
  const haveScript = spawnSync('script', ['-qec', 'true', '/dev/null'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!haveScript)('on a pseudo-terminal: exit 1 with one line', () => {
    const r = spawnSync('script', ['-qec', `node ${BIN} self-time`, '/dev/null'], { encoding: 'utf8', input: '', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stdout.replace(/\r/g, '')).toBe(
      'bootprof: no TRACE given and stdin is a terminal: pass a TRACE path, or pipe one (zcat trace.log.gz | bootprof COMMAND -); --help for usage\n',
    );
  });
});

describe('flamegraph JSON and a terminal', () => {
  it('refuses speedscope and Chrome JSON on a terminal, not into a file or pipe', () => {
    expect(() => refuseJsonOnTerminal('speedscope', undefined, true)).toThrow(
      'flamegraph: speedscope JSON not written to a terminal: use -o FILE, or a pipe (| npx speedscope -)',
    );
    expect(() => refuseJsonOnTerminal('chrome', '-', true)).toThrow(/not written to a terminal/);
    expect(() => refuseJsonOnTerminal('folded', undefined, true)).not.toThrow();
    expect(() => refuseJsonOnTerminal('chrome', 'boot.json', true)).not.toThrow();
    expect(() => refuseJsonOnTerminal('speedscope', undefined, false)).not.toThrow();
  });

  const haveScript = spawnSync('script', ['-qec', 'true', '/dev/null'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!haveScript)('on a pseudo-terminal: exit 1 with one line, before reading the trace', () => {
    const r = spawnSync('script', ['-qec', `node ${BIN} flamegraph ${join(tmp, 'missing.log')} --format chrome`, '/dev/null'], {
      encoding: 'utf8',
      input: '',
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stdout.replace(/\r/g, '')).toBe('bootprof: flamegraph: chrome JSON not written to a terminal: use -o FILE, or a pipe (| npx speedscope -)\n');
  });
});

describe('syscalls and initcalls without symbols', () => {
  it('one line saying what they need, no "running without symbols"', () => {
    const dir = mkdtempSync(join(tmp, 'nomap-'));
    const trace = join(dir, 'trace.log');
    writeFileSync(trace, logLine(1, 0, '0xffffffff81000000') + logLine(1, 1, '0xffffffff81000100'));
    const s = spawn(['syscalls', trace]);
    expect([s.code, s.err]).toEqual([
      2,
      "bootprof: syscalls needs the guest kernel's symbols with its system call entry points: give a System.map, kallsyms copy or vmlinux with --map FILE or --vmlinux FILE (no --map given and no System.map* beside the trace)\n",
    ]);
    const i = spawn(['initcalls', '-'], { input: logLine(1, 0, '0xffffffff81000000') });
    expect([i.code, i.err]).toEqual([
      2,
      "bootprof: initcalls needs the guest kernel's symbols with do_one_initcall: give a System.map, kallsyms copy or vmlinux with --map FILE or --vmlinux FILE (no --map given (reading stdin))\n",
    ]);
  });
});
