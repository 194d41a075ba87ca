/**
 * The WebAssembly fast path of the QEMU log parser (source: asm/qemu-log.ts, AssemblyScript, built
 * to dist/wasm/qemu-log.wasm). It takes only the strict `TID@SEC.FRAC:exec_tb tb:0x.. pc=0x..\n`
 * form and hands any other line back (`rejected`), so QemuLogParser's JS loop stays the reference.
 *
 * Why wasm: on the 2-core machines this project runs on, a JS loop that touches every byte runs at
 * ~0.3 GB/s; the same scan compiled to wasm runs 2-3x faster (docs/BENCHMARKS.md).
 *
 * Memory layout of one instance: output columns for up to BATCH_CAPACITY events (time f64, thread id
 * f64, pc hi u32, pc lo u32, tb pointer hi u32, lo u32) from OUT_BASE, then the input block, copied in once per block.
 */
import { growWasmMemory, wasmMemory, wasmMemoryGeneration, wasmModule } from '../wasm/load.js';
import { BATCH_CAPACITY, type EventBatch } from '../model/batch.js';

interface Exports {
  parse(p: number, end: number, cap: number, oSec: number, oNs: number, t: number, tid: number, hi: number, lo: number, tbHi: number, tbLo: number): number;
  getStopPos(): number;
  getStopReason(): number;
}

const PAGE = 65536;
const OUT_BASE = PAGE;
const CAP = BATCH_CAPACITY;
const T_OFF = OUT_BASE;
const TID_OFF = T_OFF + CAP * 8;
const HI_OFF = TID_OFF + CAP * 8;
const LO_OFF = HI_OFF + CAP * 4;
const TBHI_OFF = LO_OFF + CAP * 4;
const TBLO_OFF = TBHI_OFF + CAP * 4;
const IN_BASE = TBLO_OFF + CAP * 4;
/** Bytes past the block the fast path may read (8-byte loads near the last newline). */
const SLACK = 64;

export class FastLogParser {
  private readonly memory: WebAssembly.Memory;
  private readonly ex: Exports;
  private u8!: Uint8Array;
  private time!: Float64Array;
  /** Thread ids of the events of the last parse() call. */
  tids!: Float64Array;
  private hi!: Uint32Array;
  private lo!: Uint32Array;
  private tbHi!: Uint32Array;
  private tbLo!: Uint32Array;
  /** True when the last parse() stopped at a line the fast path does not take. */
  rejected = false;

  private constructor(module: WebAssembly.Module, memory: WebAssembly.Memory) {
    this.memory = memory;
    const inst = new WebAssembly.Instance(module, {
      env: {
        memory: this.memory,
        abort: () => {
          throw new Error('qemu-log.wasm aborted');
        },
      },
    });
    this.ex = inst.exports as unknown as Exports;
    this.views();
  }

  private static readonly free: FastLogParser[] = [];
  private static generation = 0;

  /**
   * A fast parser (from this thread's free list when one was released), or null when the wasm module
   * is missing or disabled (BOOTPROF_NO_WASM=1). Instances hold a few MB of wasm memory that only GC
   * frees, so parsers created per work unit release theirs for reuse. Null too when no wasm memory
   * can be had (wasm/load.ts): the JS parser gives the same results.
   */
  static acquire(): FastLogParser | null {
    const m = wasmModule('qemu-log');
    if (!m) return null;
    if (FastLogParser.generation !== wasmMemoryGeneration) {
      FastLogParser.free.length = 0;
      FastLogParser.generation = wasmMemoryGeneration;
    }
    const p = FastLogParser.free.pop();
    if (p) return p;
    // sized for the default read block (1 MiB + a 64 KiB line); grows for larger ones
    const memory = wasmMemory(Math.ceil((IN_BASE + (1 << 20) + (1 << 16) + SLACK) / PAGE));
    return memory ? new FastLogParser(m, memory) : null;
  }

  static release(p: FastLogParser): void {
    if (FastLogParser.free.length < 4) FastLogParser.free.push(p);
  }

  private views(): void {
    const b = this.memory.buffer;
    this.u8 = new Uint8Array(b);
    this.time = new Float64Array(b, T_OFF, CAP);
    this.tids = new Float64Array(b, TID_OFF, CAP);
    this.hi = new Uint32Array(b, HI_OFF, CAP);
    this.lo = new Uint32Array(b, LO_OFF, CAP);
    this.tbHi = new Uint32Array(b, TBHI_OFF, CAP);
    this.tbLo = new Uint32Array(b, TBLO_OFF, CAP);
  }

  /**
   * Copies the block buf[start, end) (ending in a newline) into wasm memory; false when the memory
   * could not grow to hold it (then parse the block with the JS parser).
   */
  load(buf: Uint8Array, start: number, end: number): boolean {
    const need = IN_BASE + (end - start) + SLACK;
    if (need > this.memory.buffer.byteLength) {
      if (!growWasmMemory(this.memory, Math.ceil((need - this.memory.buffer.byteLength) / PAGE))) return false;
      this.views();
    }
    this.u8.set(buf.subarray(start, end), IN_BASE);
    this.u8.fill(0, IN_BASE + (end - start), IN_BASE + (end - start) + SLACK);
    return true;
  }

  /**
   * Parses the loaded block from offset `from` to `to` into `batch` (appending). Returns the offset
   * where it stopped; `rejected` says whether a line there needs the JS parser.
   */
  parse(from: number, to: number, batch: EventBatch, oSec: number, oNs: number): number {
    const room = Math.min(CAP, batch.capacity - batch.length);
    const n = this.ex.parse(IN_BASE + from, IN_BASE + to, room, oSec, oNs, T_OFF, TID_OFF, HI_OFF, LO_OFF, TBHI_OFF, TBLO_OFF);
    this.rejected = this.ex.getStopReason() === 1;
    if (n > 0) {
      const at = batch.length;
      batch.time.set(this.time.subarray(0, n), at);
      batch.pcHi.set(this.hi.subarray(0, n), at);
      batch.pcLo.set(this.lo.subarray(0, n), at);
      batch.tbHi.set(this.tbHi.subarray(0, n), at);
      batch.tbLo.set(this.tbLo.subarray(0, n), at);
      batch.length = at + n;
    }
    return this.ex.getStopPos() - IN_BASE;
  }
}
