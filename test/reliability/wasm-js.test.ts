/**
 * Lines the fuzz found where the wasm fast path and the JS reference parser disagreed; each is parsed
 * by both, alone and between good lines, and must give the same events and counts.
 */
import { describe, expect, it } from 'vitest';
import { QemuLogParser } from '../../src/formats/qemu-log.js';
import { EventBatch, pcHex } from '../../src/model/batch.js';

function parse(text: string, fast: boolean, capacity = 64) {
  const p = new QemuLogParser(0, fast);
  const b = new EventBatch(capacity);
  const buf = Buffer.from(text, 'latin1');
  let pos = 0;
  while (pos < buf.length) pos = p.parse(buf, pos, buf.length, 0, b);
  const events = Array.from({ length: b.length }, (_, i) => [b.time[i], b.thread[i], pcHex(b.pcHi[i], b.pcLo[i])]);
  return { events, stats: { ...p.stats, samples: p.stats.samples.map((s) => [s.line, s.reason]) }, engine: p.engine };
}

const GOOD = '4417@1795310244.002260:exec_tb tb:0x7fbd88202423 pc=0xffffffff81000000\n';
const FOUND = [
  // fuzz seed 6221057 case 51: a "pc=" inside the tb field; JS takes the first "pc=" (then text follows
  // the pc: malformed), the fast path took the one after the blank (an event)
  '4417@1795310244.002270:exec_tb tb:0x7fbd88202423(pc=0x3 pc=0xffffffff81509c50\n',
];

describe('wasm fast path = JS reference on lines the fuzz found', () => {
  for (const line of FOUND) {
    it(JSON.stringify(line.slice(0, 60)), () => {
      for (const text of [GOOD + line, GOOD + line + GOOD, GOOD + GOOD + line + line + GOOD]) {
        const js = parse(text, false);
        const wasm = parse(text, true);
        expect([js.engine, wasm.engine]).toEqual(['js', 'wasm']);
        expect(wasm.events).toEqual(js.events);
        expect(wasm.stats).toEqual(js.stats);
      }
    });
  }
});

/**
 * The fast path reads the usual field widths (10-digit seconds, 6-digit fraction, 12-digit tb, 16-digit
 * pc) a word at a time and falls back to its byte loop otherwise: every single-byte change of lines of
 * that layout (each position, all 256 byte values), and every deletion and duplication of a byte, must
 * parse as the JS reference parses it.
 */
describe('wasm fast path = JS reference on every one-byte change of the usual layout', () => {
  const BASES = [
    GOOD,
    '4415@1795310244.392604:exec_tb tb:0x7fbd882054c0 pc=0xffffffff810000d3\n',
    '9@1795310244.000001:exec_tb_nocache tb:0x7fbd882054c0 pc=0x7fd64990e123\n',
  ];
  for (const base of BASES) {
    it(JSON.stringify(base.slice(0, 60)), () => {
      for (let at = 0; at < base.length; at++) {
        const variants: string[] = [base.slice(0, at) + base.slice(at + 1), base.slice(0, at) + base[at] + base.slice(at)];
        for (let v = 0; v < 256; v++) variants.push(base.slice(0, at) + String.fromCharCode(v) + base.slice(at + 1));
        // each variant between good lines, all in one text (a changed newline only regroups the lines)
        const text = GOOD + variants.map((l) => l + GOOD).join('');
        const js = parse(text, false, 2048);
        const wasm = parse(text, true, 2048);
        expect(wasm.events, `byte ${at}`).toEqual(js.events);
        expect(wasm.stats, `byte ${at}`).toEqual(js.stats);
      }
    });
  }
});
