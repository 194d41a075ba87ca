/**
 * The resolved format `bootprof resolve` writes: the trace back out with symbols, one line per event:
 *
 *   TIME_NS CPU SYMBOL+0xOFF
 *
 * TIME_NS is integer ns since the first event (untimed traces: the event's ordinal), CPU the vCPU
 * index. A pc that is no function prints its region label and the pc itself as the offset
 * (`[user]+0x7fb95ab3cd20`), so every line has the same shape and reads back as format `resolved`.
 *
 * Lines are written as bytes into one reusable 1 MiB buffer (digits by arithmetic, each name's bytes
 * encoded once per name id, offsets from the symbol stage); each full buffer becomes one write. Reads of the
 * trace wait for the previous writes to drain, so a slow consumer (| gzip) bounds memory.
 */
import type { Analysis } from '../analyze/analysis.js';
import { SYMBOLIC_PC_HI, type EventBatch } from '../model/batch.js';
import type { OutputSink } from './sink.js';

const NL = 0x0a;
const SP = 0x20;
const PLUS = 0x2b;
const ZERO = 0x30;
const LOWER_X = 0x78;
const HEXCHARS = Buffer.from('0123456789abcdef', 'latin1');
export const RESOLVE_BUFFER = 1 << 20;
/** Room one line needs besides its name: 16 time digits, 10 cpu, 19 offset, separators. */
const LINE_SLACK = 64;

export class ResolveWriter implements Analysis {
  /** With --user-elf: user-space events as FILE:function+0xOFF (symbols/user-elf.ts). */
  readonly userFunctions = true;
  private readonly buf = Buffer.allocUnsafe(RESOLVE_BUFFER);
  private pos = 0;
  private pending: Promise<void>[] = [];
  private nameBytes: (Uint8Array | undefined)[] = [];
  private readonly digits = new Uint8Array(24);
  lines = 0;

  constructor(
    private readonly out: OutputSink,
    /** The run's names (TraceInfo.names: it may grow while a pre-resolved trace is read). */
    private readonly names: readonly string[],
    /** Hand the sink bytes (the CLI); tests pass false and get latin1 strings. */
    private readonly direct = false,
  ) {}

  private bytesOf(id: number): Uint8Array {
    let b = this.nameBytes[id];
    if (b === undefined) {
      const name = this.names[id] ?? `[id ${id}]`;
      b = Buffer.from(name.length > 4096 ? name.slice(0, 4096) : name, 'latin1');
      this.nameBytes[id] = b;
    }
    return b;
  }

  /** Writes a non-negative integer < 2^53 in decimal. */
  private dec(v: number, p: number): number {
    const buf = this.buf;
    if (v < 0) {
      buf[p++] = 0x2d; // '-': time went backwards
      v = -v;
    }
    if (v < 10) {
      buf[p] = ZERO + v;
      return p + 1;
    }
    const d = this.digits;
    let k = 0;
    while (v > 0) {
      const q = Math.floor(v / 10);
      d[k++] = ZERO + (v - q * 10);
      v = q;
    }
    while (k > 0) buf[p++] = d[--k];
    return p;
  }

  /** Writes hi:lo as hex without leading zeros. */
  private hex(hi: number, lo: number, p: number): number {
    const buf = this.buf;
    let started = false;
    for (let s = 28; s >= 0; s -= 4) {
      const nib = (hi >>> s) & 0xf;
      if (nib !== 0 || started) {
        buf[p++] = HEXCHARS[nib];
        started = true;
      }
    }
    for (let s = 28; s >= 0; s -= 4) {
      const nib = (lo >>> s) & 0xf;
      if (nib !== 0 || started || s === 0) {
        buf[p++] = HEXCHARS[nib];
        started = true;
      }
    }
    return p;
  }

  consume(batch: EventBatch): void {
    const { time, thread, pcHi, pcLo, sym, off } = batch;
    const buf = this.buf;
    const limit = RESOLVE_BUFFER - LINE_SLACK;
    let p = this.pos;
    for (let i = 0, n = batch.length; i < n; i++) {
      const s = sym[i];
      const name = this.bytesOf(s);
      if (p + name.length >= limit) {
        this.pos = p;
        this.flush();
        p = 0;
      }
      p = this.dec(time[i], p);
      buf[p++] = SP;
      p = this.dec(thread[i], p);
      buf[p++] = SP;
      for (let q = 0; q < name.length; q++) buf[p++] = name[q];
      buf[p++] = PLUS;
      buf[p++] = ZERO;
      buf[p++] = LOWER_X;
      // a function: the offset the symbol stage found; a region: its pc
      const o = off[i];
      if (o >= 0) p = this.hex(Math.floor(o / 4294967296), o % 4294967296, p);
      else if (pcHi[i] === SYMBOLIC_PC_HI) p = this.hex(0, pcLo[i], p);
      else p = this.hex(pcHi[i], pcLo[i], p);
      buf[p++] = NL;
    }
    this.lines += batch.length;
    this.pos = p;
  }

  /** Hands the buffered lines to the output (one write per MiB, not per line). */
  flush(): void {
    if (this.pos === 0) return;
    // the CLI: a copy of the bytes, as they are (a name's bytes >= 0x80 are not re-encoded), to
    // stdout or -o alike; tests' sinks take the lines as a latin1 string
    this.pending.push(this.out.write(this.direct ? Buffer.from(this.buf.subarray(0, this.pos)) : this.buf.toString('latin1', 0, this.pos)));
    this.pos = 0;
  }

  /** Waits until earlier writes are taken by the output. */
  async drain(): Promise<void> {
    if (this.pending.length === 0) return;
    const p = this.pending;
    this.pending = [];
    await Promise.all(p);
  }

  /** The pipeline's last call: the remaining lines written. */
  async finish(): Promise<void> {
    this.flush();
    await this.drain();
  }
}
