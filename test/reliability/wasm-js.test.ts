/**
 * Lines the fuzz found where the wasm fast path and the JS reference parser disagreed; each is parsed
 * by both, alone and between good lines, and must give the same events and counts.
 */
import { describe, expect, it } from 'vitest';
import { QemuLogParser } from '../../src/formats/qemu-log.js';
import { EventBatch, pcHex } from '../../src/model/batch.js';

function parse(text: string, fast: boolean) {
  const p = new QemuLogParser(0, fast);
  const b = new EventBatch(64);
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
