/** The trace formats bootprof reads, in detection order, and the detector over the first page. */
import { BootprofError } from '../io/errors.js';
import type { TraceFormat } from './parser.js';
import { qemuLogFormat } from './qemu-log.js';

export const FORMATS: readonly TraceFormat[] = [qemuLogFormat];

/** Bytes of the input the detectors see. */
export const DETECT_BYTES = 4096;

export function detectFormat(head: Uint8Array, name: string, forced?: string): TraceFormat {
  if (forced) {
    const f = FORMATS.find((x) => x.name === forced);
    if (!f) throw new BootprofError('E_USAGE', `unknown input format '${forced}' (known: ${FORMATS.map((x) => x.name).join(', ')})`);
    return f;
  }
  for (const f of FORMATS) if (f.detect(head)) return f;
  if (head.length === 0) throw new BootprofError('E_EMPTY', `${name}: empty trace`);
  throw new BootprofError(
    'E_FORMAT',
    `${name}: no known trace format in the first ${DETECT_BYTES} bytes (expected QEMU exec_tb lines such as "4415@1795310244.392604:exec_tb tb:0x7fbd882054c0 pc=0xffffffff810000d3")`,
  );
}
