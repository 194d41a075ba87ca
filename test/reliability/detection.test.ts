/**
 * Format detection beyond the first page, and what "no known trace format" says. The detectors see
 * the first 4 KiB, then (when nothing is recognised there) the first 4096 lines up to 1 MiB; a file
 * with nothing recognisable there gets one line naming what it holds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, logLine } from '../helpers.js';
import { DETECT_MAX_LINES } from '../../src/formats/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-detect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PCS = ['0xffffffff81000000', '0xffffffff81000040', '0x401000', '0xffffffff81000100'];
/** 2,000 exec_tb events over 2 vCPUs. */
const EVENTS = Array.from({ length: 2000 }, (_, i) => logLine(4415 + (i % 2), 1000 + i * 3, PCS[i % PCS.length])).join('');
const exitLine = (i: number) => `4415@1700000000.000${String(100 + (i % 900)).padStart(3, '0')}:exec_tb_exit last_tb:0x7f0000001000 flags=0x0\n`;

function file(name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const plain = file('events.log', EVENTS);
const reference = await cli('self-time', plain, '-f', 'csv', '-q');

/** Exit 2 and one stderr line `bootprof: PATH: no known trace format: ...` matching `why`. */
function expectUnknown(r: { code: number; err: string }, path: string, why: RegExp): void {
  const lines = r.err.split('\n').filter((l) => l !== '');
  expect([r.code, lines.length], r.err).toEqual([2, 1]);
  expect(lines[0].startsWith(`bootprof: ${path}: no known trace format: `), lines[0]).toBe(true);
  expect(lines[0]).toMatch(why);
}

describe('detection window', () => {
  it('the reference run works', () => {
    expect(reference.code, reference.err).toBe(0);
  });

  const cases: [string, string, number, number][] = [
    ['59 exec_tb_exit lines', Array.from({ length: 59 }, (_, i) => exitLine(i)).join(''), 59, 0],
    ['100 other-event lines', Array.from({ length: 100 }, (_, i) => `4415@1700000000.000001:translate_block tb:0x${i.toString(16)} pc=0x1 tb_code=0x2\n`).join(''), 100, 0],
    ['one 5 KB garbage line', 'x'.repeat(5000) + '\n', 0, 1],
    ['QEMU messages and 4000 other events', 'qemu-system-x86_64: warning: host doesn\'t support requested feature\n' + Array.from({ length: 4000 }, (_, i) => exitLine(i)).join(''), 4001, 0],
  ];
  for (const [label, before, other, malformed] of cases) {
    it(`${label} before the first exec_tb: detected, the same rows (sequential and parallel)`, async () => {
      const p = file(label.replace(/\W+/g, '-') + '.log', before + EVENTS);
      const r = await cli('self-time', p, '-f', 'csv', '-q');
      expect(r.code, r.err).toBe(0);
      expect(r.out).toBe(reference.out);
      const par = await cli('self-time', p, '-f', 'csv', '-q', '--threads', '2', '--unit-size', '20000');
      expect(par.code, par.err).toBe(0);
      expect(par.out).toBe(reference.out);
      const info = JSON.parse((await cli('info', p, '-f', 'json')).out);
      expect([info.format, info.events, info.other_lines, info.malformed_lines]).toEqual(['qemu-log', 2000, other, malformed]);
    });
  }

  it('no exec_tb in the first 4096 lines: names the other events found', async () => {
    const p = file('exits.log', Array.from({ length: DETECT_MAX_LINES }, (_, i) => exitLine(i)).join('') + EVENTS);
    expectUnknown(await cli('info', p), p, /the first 4096 lines hold no exec_tb event: they look like QEMU trace events of other kinds \(exec_tb_exit x4096\)/);
  });

  it('a short file of other events and text: counts both, quotes the first unknown line', async () => {
    const p = file('mixed.log', Array.from({ length: 30 }, (_, i) => exitLine(i) + 'hello world\n').join(''));
    expectUnknown(await cli('info', p), p, /its 60 lines hold no exec_tb event: 30 lines look like QEMU trace events of other kinds \(exec_tb_exit x30\); 30 are in no known format \(first: "hello world"\)/);
    const one = file('one.log', exitLine(0));
    expectUnknown(await cli('info', one), one, /its 1 line holds no exec_tb event: it looks like a QEMU trace event of another kind \(exec_tb_exit x1\)/);
  });

  it('over 1 MiB without a newline: says so', async () => {
    const p = file('noline.bin', 'y'.repeat(1.5 * (1 << 20)));
    expectUnknown(await cli('info', p), p, /the first 1 MiB holds no line end/);
  });
});
