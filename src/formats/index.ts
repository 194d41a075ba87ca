/**
 * The trace formats bootprof reads, in detection order, and the detector over the first page.
 * `--input-format NAME` skips detection.
 */
import { BootprofError } from '../io/errors.js';
import type { ParserOptions, TraceFormat } from './parser.js';
import { qemuLogFormat } from './qemu-log.js';
import { simpletraceBinFormat } from './simpletrace-bin.js';
import { simpletraceTextFormat } from './simpletrace-text.js';
import { qemuDexecFormat } from './qemu-dexec.js';
import { gdbSymbolsFormat } from './gdb-symbols.js';
import { resolvedFormat, twoColumnFormat } from './two-column.js';

/** Most specific first: the binary header, then line shapes from strict to loose. */
export const FORMATS: readonly TraceFormat[] = [
  simpletraceBinFormat,
  qemuLogFormat,
  simpletraceTextFormat,
  qemuDexecFormat,
  gdbSymbolsFormat,
  resolvedFormat,
  twoColumnFormat,
];

export const FORMAT_NAMES: readonly string[] = FORMATS.map((f) => f.name);

/** Bytes of the input the detectors see. */
export const DETECT_BYTES = 4096;

export function detectFormat(head: Uint8Array, name: string, forced?: string): TraceFormat {
  if (forced) {
    const f = FORMATS.find((x) => x.name === forced);
    if (!f) throw new BootprofError('E_USAGE', `unknown input format '${forced}' (known: ${FORMAT_NAMES.join(', ')})`);
    return f;
  }
  for (const f of FORMATS) if (f.detect(head)) return f;
  if (head.length === 0) throw new BootprofError('E_EMPTY', `${name}: empty trace`);
  throw new BootprofError(
    'E_FORMAT',
    `${name}: no known trace format in the first ${DETECT_BYTES} bytes (expected QEMU exec_tb lines such as "4415@1795310244.392604:exec_tb tb:0x7fbd882054c0 pc=0xffffffff810000d3"; known formats: ${FORMAT_NAMES.join(', ')}; --input-format forces one)`,
  );
}

/** Detects (or takes the forced) format and creates its parser. */
export function createParser(head: Uint8Array, name: string, forced: string | undefined, opts: ParserOptions) {
  return detectFormat(head, name, forced).create(head, opts);
}
