/**
 * Small input rules, each pinned: numeric options are plain decimal integers; --kaslr-offset is hex
 * with 0x and never negative; every input error names the file first (--strict, simple-trace
 * headers); counts in messages are singular for 1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, logLine } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-opts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, data: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

const PCS = ['0xffffffff81000000', '0xffffffff81000040', '0x401000'];
const good = file('good.log', Array.from({ length: 300 }, (_, i) => logLine(7, 1000 + i, PCS[i % 3])).join(''));
const MAP = file('System.map', 'ffffffff81000000 T start_kernel\nffffffff81000040 T other_fn\nffffffff81000100 T third_fn\n');

/** Exit 1 (usage), one stderr line matching `why`. */
async function usage(why: RegExp, ...args: string[]): Promise<void> {
  const r = await cli(...args);
  expect([args.join(' '), r.code], r.err).toEqual([args.join(' '), 1]);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(why);
}

describe('numeric options', () => {
  it('--threads, --top, --chunk-size: plain decimal integers only', async () => {
    for (const v of ['1e2', '0x2', '', ' 2', '2.0', '+2', '-1', '0', '257'])
      await usage(/--threads takes a whole number from 1 to 256/, 'info', good, '--threads', v);
    for (const v of ['', '1e1', '0x5', ' 3', '-1', '1.5']) await usage(/--top takes a whole number/, 'self-time', good, '--map', MAP, '--top', v);
    await usage(/--chunk-size takes a positive number of bytes/, 'info', good, '--chunk-size', '1e3');
    expect((await cli('info', good, '--threads', '2', '-q')).code).toBe(0);
    const t = await cli('self-time', good, '--map', MAP, '--top', '0', '-f', 'csv', '-q');
    expect([t.code, t.out]).toEqual([0, 'function,self_ns,share,events\n']);
  });

  it('--kaslr-offset: hex with 0x, never negative', async () => {
    await usage(
      /--kaslr-offset takes a hex slide with its 0x prefix.*got '123': no 0x prefix: 0x123 if that is hex/,
      'info',
      good,
      '--map',
      MAP,
      '--kaslr-offset',
      '123',
    );
    await usage(/got '1e000000': no 0x prefix/, 'info', good, '--map', MAP, '--kaslr-offset', '1e000000');
    await usage(/got '-0x200000': a KASLR slide is not negative/, 'info', good, '--map', MAP, '--kaslr-offset', '-0x200000');
    await usage(/got '0xzz': not hex/, 'info', good, '--map', MAP, '--kaslr-offset', '0xzz');
    const r = await cli('info', good, '--map', MAP, '--kaslr-offset', '0x0', '-f', 'json', '-q');
    expect(r.code, r.err).toBe(0);
  });
});

describe('input errors start with the file name', () => {
  it('--strict: sequential and parallel', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => logLine(7, 1000 + i, PCS[i % 3]));
    lines.splice(2500, 0, 'garbage here\n');
    const p = file('bad.log', lines.join(''));
    const offset = lines.slice(0, 2500).join('').length;
    for (const threads of ['1', '2']) {
      const r = await cli('info', p, '--strict', '--threads', threads, '--unit-size', '30000');
      expect([threads, r.code, r.err]).toEqual([threads, 2, `bootprof: ${p}: line 2501 (byte ${offset}): not a trace record: garbage here\n`]);
    }
  });

  it('simpletrace-bin: no header (forced format) and an old version', async () => {
    const r = await cli('info', good, '--input-format', 'simpletrace-bin');
    expect([r.code, r.err]).toEqual([2, `bootprof: ${good}: not a QEMU simple trace file (no header magic 0xf2b177cb0aa429b4)\n`]);
    const h = Buffer.alloc(24);
    h.fill(0xff, 0, 8);
    h.writeUInt32LE(0x0aa429b4, 8);
    h.writeUInt32LE(0xf2b177cb, 12);
    h.writeUInt32LE(3, 16);
    const v3 = file('trace-v3', Buffer.concat([h, Buffer.alloc(64)]));
    const r3 = await cli('info', v3);
    expect(r3.code).toBe(2);
    expect(r3.err).toMatch(new RegExp(`^bootprof: ${v3}: QEMU simple trace log version 3: `));
  });
});

describe('singular and plural', () => {
  it('one malformed, one other, one CR LF line; one more function; one bad map line', async () => {
    const p = file(
      'ones.log',
      logLine(7, 1000, PCS[0]) +
        'junk\n' +
        '7@1700000000.002000:exec_tb_exit x=1\n' +
        logLine(7, 3000, PCS[1]).replace('\n', '\r\n') +
        logLine(7, 4000, PCS[1]),
    );
    const r = await cli('self-time', p, '--map', MAP, '-f', 'table', '--top', '1');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/bootprof: 1 malformed line skipped \(line 2: not a trace record: "junk"\)/);
    expect(r.out).toMatch(/\.\.\. 1 more function \(--top N/);
    expect(r.out).toMatch(/events: 3 in 5 lines/);
    expect(r.out).toMatch(/1 other line skipped, 1 malformed line skipped, 1 line ended in CR LF \(accepted\)/);
    const i = await cli('info', file('one-line.log', logLine(7, 1000, PCS[0])), '--map', MAP);
    expect(i.out).toMatch(/events: +1 in 1 line\n/);
    const m = await cli('info', good, '--map', file('bad.map', 'not a symbol line\nffffffff81000000 D data_only\n'));
    expect(m.err).toMatch(/no text symbols \(types T, t, W, w\) \(1 line is not "ADDR TYPE NAME"\)/);
  });
});
