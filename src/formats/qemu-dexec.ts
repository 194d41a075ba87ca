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
import { TraceParser, type TraceFormat } from './parser.js';
import type { EventBatch } from '../model/batch.js';
import { COLON, CR, HEX, headLines, isBlank, LBRACKET, LOWER_X, NL, RBRACKET, SLASH, SP, ZERO } from './text-common.js';

const UPPER_T = 0x54;
const UPPER_C = 0x43;

export class QemuDexecParser extends TraceParser {
  readonly format = 'qemu-dexec';

  constructor() {
    super();
    this.unit = 'events';
  }

  parse(buf: Uint8Array, pos: number, end: number, base: number, batch: EventBatch): number {
    const timeCol = batch.time;
    const threadCol = batch.thread;
    const hiCol = batch.pcHi;
    const loCol = batch.pcLo;
    const cap = batch.capacity;
    const st = this.stats;
    batch.presymbolized = false;
    let n = batch.length;
    while (pos < end && n < cap) {
      const lineStart = pos;
      st.lines++;
      let i = pos;
      let reason = '';
      let cpu = 0;
      parse: {
        let c = buf[i];
        // "Trace " or "Chain "
        const isTrace = c === UPPER_T && buf[i + 1] === 0x72 && buf[i + 2] === 0x61 && buf[i + 3] === 0x63 && buf[i + 4] === 0x65;
        const isChain = c === UPPER_C && buf[i + 1] === 0x68 && buf[i + 2] === 0x61 && buf[i + 3] === 0x69 && buf[i + 4] === 0x6e;
        if (!(isTrace || isChain) || buf[i + 5] !== SP) {
          reason = 'other';
          break parse;
        }
        i += 6;
        c = buf[i];
        // optional "N: " (vCPU index) before the host pointer
        if (c >= ZERO && c <= 0x39 && !(c === ZERO && buf[i + 1] === LOWER_X)) {
          let v = 0;
          let nd = 0;
          while (c >= ZERO && c <= 0x39) {
            v = v * 10 + (c - ZERO);
            nd++;
            c = buf[++i];
          }
          if (c !== COLON || nd > 9) {
            reason = 'bad vCPU index';
            break parse;
          }
          cpu = v;
          c = buf[++i];
          while (c === SP) c = buf[++i];
        }
        // host pointer %p: 0x... (or "(nil)")
        while (c !== SP && c !== NL) c = buf[++i];
        while (c === SP) c = buf[++i];
        if (c !== LBRACKET) {
          reason = "no '[' before the pc";
          break parse;
        }
        c = buf[++i];
        // QEMU 2.x "[N: pc]"
        {
          let j = i;
          let v = 0;
          let d = buf[j];
          while (d >= ZERO && d <= 0x39) {
            v = v * 10 + (d - ZERO);
            d = buf[++j];
          }
          if (j > i && d === COLON && buf[j + 1] === SP) {
            cpu = v;
            i = j + 2;
          }
        }
        // '/'-separated hex fields: the pc is the second when there are several
        let hi = 0;
        let lo = 0;
        let pcHi = 0;
        let pcLo = 0;
        let field = 0;
        for (;;) {
          if (buf[i] === ZERO && (buf[i + 1] === LOWER_X || buf[i + 1] === 0x58)) i += 2;
          hi = 0;
          lo = 0;
          let nd = 0;
          let d = HEX[buf[i]];
          while (d >= 0) {
            hi = ((hi << 4) | (lo >>> 28)) >>> 0;
            lo = ((lo << 4) | d) >>> 0;
            nd++;
            d = HEX[buf[++i]];
          }
          if (nd === 0 || nd > 16) {
            reason = 'bad field in [...]';
            break parse;
          }
          if (field <= 1) {
            // the first field is the pc unless a second one follows (then that one is)
            pcHi = hi;
            pcLo = lo;
          }
          field++;
          c = buf[i];
          if (c === SLASH) {
            i++;
            continue;
          }
          if (c === RBRACKET) break;
          reason = 'bad field in [...]';
          break parse;
        }
        while (buf[i] !== NL) i++;
        if (buf[i - 1] === CR) st.crlf++;
        timeCol[n] = st.events;
        threadCol[n] = this.threadOf(cpu);
        hiCol[n] = pcHi;
        loCol[n] = pcLo;
        n++;
        st.events++;
        pos = i + 1;
        continue;
      }
      let nl = i;
      while (buf[nl] !== NL) nl++;
      pos = nl + 1;
      if (reason === 'other') {
        st.other++;
        continue;
      }
      let k = lineStart;
      while (k < nl && (isBlank(buf[k]) || buf[k] === CR)) k++;
      if (k === nl) st.other++;
      else this.malformed(reason, base + lineStart, buf.subarray(lineStart, Math.min(nl, lineStart + 64)));
    }
    batch.length = n;
    return pos;
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
