/**
 * Plain two-column traces: `TIME ADDRESS` or `TIME SYMBOL[+0xOFF]` per line (any tool's export; an
 * address is 0x-prefixed hex, or bare hex of 6+ characters with a digit; anything else is a symbol), and the
 * three-column `TIME_NS CPU SYMBOL+0xOFF` that `bootprof resolve` writes, so its output reads back.
 *
 *   0.000123400 0xffffffff81000000          1795310244392604000 0 start_kernel+0x1a
 *   0.000123900 do_one_initcall+0x4d        1795310244392605000 1 [user]+0x7fb95ab3cd20
 *
 * Times: seconds unless `--time-unit` says otherwise (the three-column form: ns). Parsing is in
 * timed-text.ts; this file holds the detectors.
 */
import type { TraceFormat } from './parser.js';
import { headLines } from './text-common.js';
import { TimedTextParser } from './timed-text.js';

const TWO = /^\s*\d+(\.\d+)?\s+\S+\s*$/;
const THREE = /^\s*\d+(\.\d+)?\s+\d+\s+\S+\s*$/;

function mostly(head: Uint8Array, re: RegExp): boolean {
  const lines = headLines(head);
  if (lines.length === 0) return false;
  let good = 0;
  for (const l of lines) if (re.test(l)) good++;
  return good * 10 >= lines.length * 9;
}

export const twoColumnFormat: TraceFormat = {
  name: 'two-column',
  description: 'pre-resolved or not: "TIME ADDRESS" or "TIME SYMBOL[+0xOFF]" (--time-unit, default s)',
  detect: (head) => mostly(head, TWO),
  create: (_head, opts) => new TimedTextParser('two-column', opts),
};

export const resolvedFormat: TraceFormat = {
  name: 'resolved',
  description: 'bootprof resolve output: "TIME_NS CPU SYMBOL+0xOFF" (--time-unit, default ns)',
  detect: (head) => mostly(head, THREE),
  create: (_head, opts) => new TimedTextParser('resolved', opts),
};
