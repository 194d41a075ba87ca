/**
 * qemu-log stamps with any number of fraction digits: the first 9 are ns, the 10th rounds half up
 * (TimeReader's rule), carrying into the seconds. Before, more than 9 digits made every line
 * malformed and the run ended with "no exec_tb events in N lines" without saying why; that message
 * now names the malformed lines and the first one's reason.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-stamps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const PCS = ['0xffffffff81000000', '0xffffffff81000040', '0x401000', '0xffffffff81000100', '0xffffffff81000200'];
const N = 3000;
/** Event times in ns since 1700000000 s: irregular steps, crossing whole seconds. */
const times = Array.from({ length: N }, (_, i) => 999_000_000 + i * 333_333 + ((i * 7919) % 1000));
/** A line with the stamp's fraction written by `frac(nsOfSecond)`. */
function trace(frac: (ns: number, i: number) => [number, string]): string {
  let out = '';
  for (let i = 0; i < N; i++) {
    const t = times[i];
    const [sec, f] = frac(t % 1e9, i);
    out += `${4415 + (i % 3)}@${1700000000 + Math.floor(t / 1e9) + sec}.${f}:exec_tb tb:0x7f0000001000 pc=${PCS[i % PCS.length]}\n`;
  }
  return out;
}
const nine = (ns: number): [number, string] => [0, String(ns).padStart(9, '0')];
const reference = file('nine.log', trace(nine));

async function rows(path: string, ...extra: string[]): Promise<string> {
  const r = await cli('self-time', path, '-f', 'csv', '-q', ...extra);
  expect(r.code, r.err).toBe(0);
  return r.out;
}

describe('fraction digits', () => {
  it('12 digits: exact below, rounded half up at the 10th digit (with a carry into the seconds)', async () => {
    const want = await rows(reference);
    // ns + "000", ns + "499" (both give ns), (ns - 1) + "500" and "9" x 3 (both round up to ns)
    const twelve = file(
      'twelve.log',
      trace((ns, i) => {
        if (i % 4 === 0) return [0, String(ns).padStart(9, '0') + '000'];
        if (i % 4 === 1) return [0, String(ns).padStart(9, '0') + '499'];
        if (ns === 0) return [-1, '999999999' + (i % 4 === 2 ? '500' : '999')]; // rounds up into the next second
        return [0, String(ns - 1).padStart(9, '0') + (i % 4 === 2 ? '500' : '999')];
      }),
    );
    expect(await rows(twelve)).toBe(want);
    expect(await rows(twelve, '--threads', '2', '--unit-size', '30000')).toBe(want);
    // 20 digits, and 6 (QEMU's own, µs) for the whole-µs times
    const twenty = file(
      'twenty.log',
      trace((ns) => [0, String(ns).padStart(9, '0') + '12345678901']),
    );
    expect(await rows(twenty)).toBe(want);
    const info = JSON.parse((await cli('info', twelve, '-f', 'json')).out).summary;
    expect([info.events, info.malformed_lines]).toEqual([N, 0]);
  });

  it('a carry from .999999999|5 to the next second', async () => {
    const a = file('carry-a.log', '1@5.999999999500:exec_tb tb:0x1 pc=0x401000\n1@6.000000001:exec_tb tb:0x1 pc=0x401000\n');
    const j = JSON.parse((await cli('info', a, '-f', 'json', '-q')).out).summary;
    expect([j.events, j.span_ns]).toEqual([2, 1]);
  });

  it('ISO-8601 stamps with 12 fraction digits: as their 9-digit rounding', async () => {
    const iso = (f: string) => `2025-07-21T18:43:28.${f}Z exec_tb tb:0x7fbd882054c0 pc=0xffffffff810000d3\n`;
    const a = file('iso9.log', iso('000000100') + iso('000000200') + iso('000000400'));
    const b = file('iso12.log', iso('000000100000') + iso('000000199500') + iso('000000400499'));
    const times = async (p: string) => (await cli('resolve', p, '-q')).out.split('\n').map((l) => l.split(' ')[0]);
    expect(await times(b)).toEqual(['0', '100', '300', '']);
    expect(await times(b)).toEqual(await times(a));
  });
});

describe('no exec_tb events: says why', () => {
  it('names the malformed lines, the first reason, and the other lines', async () => {
    const p = file('nodot.log', '4415@1700000000:exec_tb tb:0x1 pc=0x401000\n'.repeat(5) + '4415@1700000000.5:exec_tb_exit x=1\n');
    const r = await cli('info', p, '--input-format', 'qemu-log');
    expect([r.code, r.err]).toEqual([
      2,
      `bootprof: ${p}: no exec_tb events in 6 lines: 5 malformed lines, the first: line 1: bad timestamp (no dot in it): "4415@1700000000:exec_tb tb:0x1 pc=0x401000"; 1 line of other events or messages\n`,
    ]);
    const one = file('one-bad.log', '4415@1.5:exec_tb tb:0x1 pc=zz\n');
    const r1 = await cli('info', one);
    expect(r1.err).toBe(`bootprof: ${one}: no exec_tb events in 1 line: 1 malformed line, the first: line 1: bad pc: "4415@1.5:exec_tb tb:0x1 pc=zz"\n`);
  });
});
