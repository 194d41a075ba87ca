/**
 * Text printed by QEMU's scripts/simpletrace.py for a 'simple' backend trace file:
 *
 *   exec_tb 0.626 pid=4491 tb=0x7fa869afe010 pc=0xfffffff0
 *
 * Layout (scripts/simpletrace.py, class Formatter.catchall; QEMU 2.x-10.x):
 *   `{event.name} {delta_ns / 1000:0.3f} {pid=} ` + ' '.join(f'{name}=0x{r:x}')
 * i.e. event name, the time since the *previous record of any event* in microseconds with three
 * decimals (so exact nanoseconds), `pid=` the recording thread's id (trace/simple.c records
 * qemu_get_thread_id()), then `name=0x%x` per argument. Older releases (QEMU 1.x, log format v0/v2)
 * printed the same without `pid=`. exec_tb's arguments are `tb`, `pc` (accel/tcg/trace-events:
 * exec_tb(void *tb, uint64_t pc)); exec_tb_nocache has the same two.
 *
 * Times are the running sum of the deltas; the deltas of other events' lines count too (they are
 * skipped as "other" lines, their time is not). The hot loop scans bytes with named constants.
 */
import { LineParser, type TraceFormat } from './parser.js';
import type { EventBatch } from '../model/batch.js';
import { CR, DecimalReader, EQ, headLines, isExecTbName, isIdent, LOWER_C, LOWER_P, LOWER_X, NL, SP, TAB, TimeReader, ZERO } from './text-common.js';

const LOWER_I = 0x69;
const LOWER_D = 0x64;

export class SimpletraceTextParser extends LineParser {
  readonly format = 'simpletrace-text';
  private readonly delta = new TimeReader('us');
  private readonly dec = new DecimalReader();
  /** ns since the first record (sum of deltas): the time origin is this clock at the first event. */
  private clock = 0;

  constructor() {
    super();
    this.inputUnit = 'microseconds between records';
  }

  protected line(buf: Uint8Array, i: number, batch: EventBatch): number {
    // ---- event name ----
    const nameStart = i;
    let c = buf[i];
    while (isIdent(c)) c = buf[++i];
    if (i === nameStart || c !== SP) return this.fail('not a simpletrace record');
    const isEvent = isExecTbName(buf, nameStart, i);
    // ---- delta (µs, 3 decimals) ----
    const delta = this.delta;
    const j = delta.read(buf, i + 1);
    if (j < 0 || (buf[j] !== SP && buf[j] !== NL && buf[j] !== CR)) return this.fail('bad time delta');
    this.clock += delta.sec * 1e9 + delta.ns;
    i = j;
    if (!isEvent) return this.other(); // a record of another event: its delta was counted
    if (buf[i] !== SP) return this.fail('no pc= field');
    // ---- optional pid= ----
    let tid = 0;
    c = buf[++i];
    if (c === LOWER_P && buf[i + 1] === LOWER_I && buf[i + 2] === LOWER_D && buf[i + 3] === EQ) {
      i = this.dec.read(buf, i + 4, 15);
      if (i < 0) return this.fail('bad pid');
      tid = this.dec.value;
    }
    // ---- "pc=0x" ----
    c = buf[i];
    while (!(c === LOWER_P && buf[i + 1] === LOWER_C && buf[i + 2] === EQ && (i === 0 || buf[i - 1] === SP))) {
      if (c === NL) return this.fail('no pc= field');
      c = buf[++i];
    }
    i += 3;
    if (buf[i] !== ZERO || buf[i + 1] !== LOWER_X) return this.fail('bad pc');
    i = this.readPc(buf, i + 2, batch);
    if (i < 0) return this.fail('bad pc');
    c = buf[i];
    if (c !== NL && c !== SP && c !== CR && c !== TAB) return this.fail('bad pc');
    // ---- the event ----
    const nl = this.eventLineEnd(buf, i);
    this.addEvent(batch, 0, this.clock, tid);
    return nl;
  }
}

const RECORD = /^[A-Za-z_][A-Za-z0-9_]* \d+\.\d{3}( pid=\d+)?( [A-Za-z_][A-Za-z0-9_]*=\S*)*$/;
const EXEC_TB = /^exec_tb(_nocache)? \d+\.\d{3}( pid=\d+)? .*\bpc=0x[0-9a-fA-F]+/;

function detect(head: Uint8Array): boolean {
  const lines = headLines(head);
  let records = 0;
  let events = 0;
  for (const l of lines) {
    if (!RECORD.test(l)) continue;
    records++;
    if (EXEC_TB.test(l)) events++;
  }
  return events > 0 && records * 2 >= lines.length;
}

export const simpletraceTextFormat: TraceFormat = {
  name: 'simpletrace-text',
  description: 'scripts/simpletrace.py output: "exec_tb 0.626 pid=4491 tb=0x... pc=0x..." (µs since the previous record)',
  detect,
  create: () => new SimpletraceTextParser(),
};
