/**
 * QEMU's `-d exec` debug log (`-d exec[,nochain] -D file`): one line per executed translation block,
 * no time stamps (unit: events; each event weighs 1), the vCPU index in the line.
 *
 * Layouts (accel/tcg/cpu-exec.c: cpu_tb_exec, later log_cpu_exec; helper_lookup_tb_ptr for "Chain").
 * Version ranges are approximate; the format strings are quoted from the sources:
 *   QEMU 2.x:      "Trace %p [%d: " TARGET_FMT_lx "] %s\n"           tc_ptr, cpu_index, pc, symbol
 *   QEMU 3.x-6.x:  "Trace %d: %p [" TARGET_FMT_lx "/" TARGET_FMT_lx "/%#x] %s\n"
 *                  cpu_index, tc.ptr, cs_base, pc, flags, symbol; and "Chain %d: %p [.../%#x] %s\n"
 *                  for blocks entered through helper_lookup_tb_ptr (same fields)
 *   QEMU 7.x:      "Trace %d: %p [" TARGET_FMT_lx "/" TARGET_FMT_lx "/%08x/%08x] %s\n" (+ cflags)
 *                  e.g. (real, QEMU 7.2) `Trace 0: 0x7f6680000100 [00000000ffff0000/00000000fffffff0/00000040/ff000200] `
 *   QEMU 8.x+:     "Trace %d: %p [%08" PRIx64 "/" ..., later "[%" VADDR_PRIx "/%" VADDR_PRIx "/%08x/%08x] %s\n"
 * The pc is the second '/'-separated field when there are several, else the only one. Other lines
 * ("Stopped execution of TB chain before ...", "Linking TBs ...", register dumps of other -d items)
 * are skipped as "other".
 */
import { LineParser, type TraceFormat } from './parser.js';
import type { EventBatch } from '../model/batch.js';
import { COLON, DecimalReader, headLines, readHex, LBRACKET, LOWER_X, NL, RBRACKET, SLASH, SP, UPPER_X, ZERO } from './text-common.js';

const UPPER_T = 0x54;
const UPPER_C = 0x43;

export class QemuDexecParser extends LineParser {
  readonly format = 'qemu-dexec';
  private readonly dec = new DecimalReader();
  /** Where the fields after the pc are read to (checked, not kept). */
  private readonly rest = new Uint32Array(1);

  constructor() {
    super();
    this.unit = 'events';
  }

  protected line(buf: Uint8Array, i: number, batch: EventBatch): number {
    let cpu = 0;
    let c = buf[i];
    // "Trace " or "Chain "
    const isTrace = c === UPPER_T && buf[i + 1] === 0x72 && buf[i + 2] === 0x61 && buf[i + 3] === 0x63 && buf[i + 4] === 0x65;
    const isChain = c === UPPER_C && buf[i + 1] === 0x68 && buf[i + 2] === 0x61 && buf[i + 3] === 0x69 && buf[i + 4] === 0x6e;
    if (!(isTrace || isChain) || buf[i + 5] !== SP) return this.other();
    i += 6;
    c = buf[i];
    // optional "N: " (vCPU index) before the host pointer
    const dec = this.dec;
    if (c >= ZERO && c <= 0x39 && !(c === ZERO && buf[i + 1] === LOWER_X)) {
      i = dec.read(buf, i, 9);
      if (i < 0 || buf[i] !== COLON) return this.fail('bad vCPU index');
      cpu = dec.value;
      c = buf[++i];
      while (c === SP) c = buf[++i];
    }
    // host pointer %p: 0x... (or "(nil)")
    while (c !== SP && c !== NL) c = buf[++i];
    while (c === SP) c = buf[++i];
    if (c !== LBRACKET) return this.fail("no '[' before the pc");
    i++;
    // QEMU 2.x "[N: pc]"
    const j = dec.read(buf, i, Infinity);
    if (j >= 0 && buf[j] === COLON && buf[j + 1] === SP) {
      cpu = dec.value;
      i = j + 2;
    }
    // '/'-separated hex fields: the pc is the second when there are several, else the only one
    for (let field = 0; ; field++) {
      if (buf[i] === ZERO && (buf[i + 1] === LOWER_X || buf[i + 1] === UPPER_X)) i += 2;
      i = field <= 1 ? this.readPc(buf, i, batch) : readHex(buf, i, this.rest, this.rest, 0);
      if (i < 0) return this.fail('bad field in [...]');
      c = buf[i];
      if (c === RBRACKET) break;
      if (c !== SLASH) return this.fail('bad field in [...]');
      i++;
    }
    const nl = this.eventLineEnd(buf, i);
    this.addEvent(batch, 0, 0, cpu);
    return nl;
  }
}

const LINE = /^(Trace|Chain) (\d+: )?(0x[0-9a-fA-F]+|\(nil\)|[0-9a-fA-F]+) \[(\d+: )?[0-9a-fA-Fx/]+\]/;

function detect(head: Uint8Array): boolean {
  return headLines(head).some((l) => LINE.test(l));
}

export const qemuDexecFormat: TraceFormat = {
  name: 'qemu-dexec',
  description: '-d exec log: "Trace 0: 0x7f... [cs_base/pc/flags/cflags] symbol" (no times: unit events)',
  detect,
  create: () => new QemuDexecParser(),
};
