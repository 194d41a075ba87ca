/**
 * Pre-resolved traces: each pc already turned into a symbol by
 * gdb's `info symbol ADDR` (gdb/printcmd.c, info_symbol_command: "%s + %u in section %s" when the
 * pc is past the symbol's start, "%s in section %s" at its start; the offset is decimal), behind the
 * time the pc ran; pcs gdb could not name kept as bare hex:
 *
 *   11409434.8589973 prepare_exit_to_usermode in section .text
 *   11409434.8590031 retint_user + 8 in section .text
 *   11409436.4899973 7fb95ab3cd20
 *
 * Times are seconds unless `--time-unit` says otherwise (a trace in microseconds:
 * `--time-unit us`). Parsing is in timed-text.ts; this file holds the detector.
 */
import type { TraceFormat } from './parser.js';
import { headLines } from './text-common.js';
import { TimedTextParser } from './timed-text.js';

const NAMED = /^\s*\d+(\.\d+)?\s+\S+( \+ \d+)? in section \S+\s*$/;
const BARE = /^\s*\d+(\.\d+)?\s+(0[xX])?[0-9a-fA-F]{1,16}\s*$/;
const BARE_NO_0X = /^\s*\d+(\.\d+)?\s+[0-9a-fA-F]{1,16}\s*$/;

/** Named lines and bare addresses, or (a head of pcs gdb could not name) only bare hex without 0x. */
function detect(head: Uint8Array): boolean {
  const lines = headLines(head);
  let named = 0;
  let good = 0;
  let bareNo0x = 0;
  for (const l of lines) {
    if (NAMED.test(l)) {
      named++;
      good++;
    } else if (BARE.test(l)) {
      good++;
      if (BARE_NO_0X.test(l)) bareNo0x++;
    }
  }
  return good > 0 && good * 10 >= lines.length * 9 && (named > 0 || bareNo0x === lines.length);
}

export const gdbSymbolsFormat: TraceFormat = {
  name: 'gdb-symbols',
  description: 'pre-resolved: "TIME NAME [+ OFF] in section .text" or "TIME HEX" (gdb info symbol; --time-unit, default s)',
  detect,
  create: (_head, opts) => new TimedTextParser('gdb', opts),
};
