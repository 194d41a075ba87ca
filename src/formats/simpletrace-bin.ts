/**
 * The binary trace file of QEMU's 'simple' trace backend (`-trace enable=exec_tb,file=trace-PID`),
 * read directly: no Python and no trace-events file needed for exec_tb.
 *
 * Layout (trace/simple.c, scripts/simpletrace.py; log format version 4, QEMU 2.12 and later), all
 * integers in the host's byte order (simpletrace.py's '=' structs; both orders are accepted here):
 *   header      u64 HEADER_EVENT_ID = ~0, u64 HEADER_MAGIC = 0xf2b177cb0aa429b4, u64 version = 4
 *   then records, each starting with u64 type:
 *   type 0 = TRACE_RECORD_TYPE_MAPPING   u64 event_id, u32 len, char name[len]   (event id -> name)
 *   type 1 = TRACE_RECORD_TYPE_EVENT     TraceRecord { u64 event; u64 timestamp_ns; u32 length;
 *                                        u32 pid; u64 arguments[] }, `length` = the TraceRecord's
 *                                        bytes including its 24-byte head
 *   event id DROPPED_EVENT_ID = ~0 - 1 carries one u64: how many records the writer lost.
 * exec_tb / exec_tb_nocache (accel/tcg/trace-events) have two u64 arguments: tb, pc. `pid` is the
 * recording thread's id (qemu_get_thread_id()), the same number the log backend prints before '@'.
 *
 * Records are cut into blocks of whole records by readBlocks (the line chunker cannot: records hold
 * arbitrary bytes); parse() walks them with byte arithmetic, no object per record.
 */
import { BootprofError } from '../io/errors.js';
import type { ByteSource } from '../io/source.js';
import { DEFAULT_CHUNK, readCut, type ChunkOptions, type LineBlockSink } from '../io/chunks.js';
import type { EventBatch } from '../model/batch.js';
import { TraceParser, type TraceFormat } from './parser.js';
import { isExecTbName } from './text-common.js';
import { TWO32 } from '../symbols/address.js';

export const HEADER_MAGIC_HI = 0xf2b177cb;
export const HEADER_MAGIC_LO = 0x0aa429b4;
export const HEADER_VERSION = 4;
export const HEADER_BYTES = 24;
export const RECORD_TYPE_MAPPING = 0;
export const RECORD_TYPE_EVENT = 1;
/** u64 type + the TraceRecord head (event, timestamp_ns, length, pid). */
const EVENT_HEAD = 8 + 24;
const MAPPING_HEAD = 8 + 8 + 4;
/** Longest record accepted (a record with long string arguments); longer means a corrupt file. */
export const MAX_RECORD = 1 << 16;
const ONES = 0xffffffff;
const DROPPED_LO = 0xfffffffe;

function u32(buf: Uint8Array, p: number, le: boolean): number {
  return le
    ? (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0
    : ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
}

/** Low and high 32-bit halves of the u64 at p. */
function lo64(buf: Uint8Array, p: number, le: boolean): number {
  return u32(buf, le ? p : p + 4, le);
}
function hi64(buf: Uint8Array, p: number, le: boolean): number {
  return u32(buf, le ? p + 4 : p, le);
}

/** Byte order of the header at head[0..24), or null when it is not a simple trace header. */
function headerOrder(head: Uint8Array): { le: boolean; version: number } | null {
  if (head.length < HEADER_BYTES) return null;
  for (let k = 0; k < 8; k++) if (head[k] !== 0xff) return null;
  for (const le of [true, false]) {
    if (hi64(head, 8, le) === HEADER_MAGIC_HI && lo64(head, 8, le) === HEADER_MAGIC_LO) {
      return { le, version: hi64(head, 16, le) * TWO32 + lo64(head, 16, le) };
    }
  }
  return null;
}

export class SimpletraceBinParser extends TraceParser {
  readonly format: string;
  private readonly le: boolean;
  /** Event ids (low 32 bits; ids are small) that name exec_tb or exec_tb_nocache. */
  private readonly execIds = new Set<number>();

  constructor(head: Uint8Array) {
    super();
    this.timeScale = TWO32; // times are u64 ns stamps: the time origin keeps their two halves
    const h = headerOrder(head);
    if (!h) throw new BootprofError('E_FORMAT', 'not a QEMU simple trace file (no header magic 0xf2b177cb0aa429b4)');
    if (h.version !== HEADER_VERSION) {
      throw new BootprofError(
        'E_FORMAT',
        `QEMU simple trace log version ${h.version}: only version ${HEADER_VERSION} (QEMU 2.12 and later) names its events in the file; convert older ones with QEMU's scripts/simpletrace.py and read its text output`,
      );
    }
    this.le = h.le;
    this.format = h.le ? 'simpletrace-bin' : 'simpletrace-bin (big-endian)';
  }

  /** Size of the record at buf[p] (or the header at file offset 0), 0 if incomplete, -1 if corrupt. */
  private recordSize(buf: Uint8Array, p: number, filled: number, atFileStart: boolean): number {
    if (atFileStart) return filled - p >= HEADER_BYTES ? HEADER_BYTES : 0;
    if (filled - p < 8) return 0;
    const le = this.le;
    if (hi64(buf, p, le) !== 0) return -1;
    const type = lo64(buf, p, le);
    if (type === RECORD_TYPE_MAPPING) {
      if (filled - p < MAPPING_HEAD) return 0;
      const len = u32(buf, p + 16, le);
      if (len > MAX_RECORD) return -1;
      return filled - p >= MAPPING_HEAD + len ? MAPPING_HEAD + len : 0;
    }
    if (type !== RECORD_TYPE_EVENT) return -1;
    if (filled - p < EVENT_HEAD) return 0;
    const length = u32(buf, p + 24, le);
    if (length < 24 || length > MAX_RECORD) return -1;
    return filled - p >= 8 + length ? 8 + length : 0;
  }

  /** Cuts the source into blocks of whole records (the binary counterpart of readLineBlocks). */
  override async readBlocks(source: ByteSource, sink: LineBlockSink, opts: ChunkOptions): Promise<number> {
    const chunkSize = Math.max(1, opts.chunkSize ?? DEFAULT_CHUNK);
    const buf = Buffer.allocUnsafe(chunkSize + MAX_RECORD + MAPPING_HEAD + 8);
    // offsets count from the header's first byte (recordSize knows the header by offset 0)
    const r = await readCut(
      source,
      sink,
      buf,
      chunkSize,
      { ...opts, baseOffset: 0 },
      {
        truncated: 'truncated record at the end of the file',
        snippet: 32,
        cut: (buf, filled, base) => {
          let p = 0;
          for (;;) {
            const size = this.recordSize(buf, p, filled, base + p === 0);
            if (size === 0) break;
            if (size < 0) {
              if (p > 0) sink.block(buf, 0, p, base);
              sink.dropped('corrupt record (bad type or length): the rest of the file is skipped', base + p, buf.subarray(p, Math.min(filled, p + 32)));
              return -1;
            }
            p += size;
          }
          if (p > 0) sink.block(buf, 0, p, base);
          return p;
        },
      },
    );
    return r.end;
  }

  /** The records of buf[pos, end) (whole ones, from readBlocks); the header and each record count as a line. */
  parse(buf: Uint8Array, pos: number, end: number, base: number, batch: EventBatch): number {
    const le = this.le;
    const st = this.stats;
    batch.presymbolized = false;
    while (pos < end && batch.length < batch.capacity) {
      st.lines++;
      if (base + pos === 0) {
        pos += HEADER_BYTES;
        st.other++;
        continue;
      }
      const type = lo64(buf, pos, le);
      if (type === RECORD_TYPE_MAPPING) {
        const idLo = lo64(buf, pos + 8, le);
        const idHi = hi64(buf, pos + 8, le);
        const name = pos + MAPPING_HEAD;
        const nameEnd = name + u32(buf, pos + 16, le);
        if (idHi === 0 && isExecTbName(buf, name, nameEnd)) this.execIds.add(idLo);
        else if (idHi === 0) this.execIds.delete(idLo);
        st.other++;
        pos = nameEnd;
        continue;
      }
      const length = u32(buf, pos + 24, le);
      const next = pos + 8 + length;
      const idLo = lo64(buf, pos + 8, le);
      const idHi = hi64(buf, pos + 8, le);
      if (idHi === ONES && idLo === DROPPED_LO) {
        if (length >= 32) this.lostEvents += hi64(buf, pos + EVENT_HEAD, le) * TWO32 + lo64(buf, pos + EVENT_HEAD, le);
        st.other++;
      } else if (idHi !== 0 || !this.execIds.has(idLo)) {
        st.other++;
      } else if (length < 24 + 16) {
        this.malformed('exec_tb record without its two arguments', base + pos, buf.subarray(pos, next));
      } else {
        // timestamp_ns at +16, pid at +28; arguments: tb at EVENT_HEAD, pc at EVENT_HEAD + 8. Relative
        // times are exact while the trace spans less than 2^53 ns (104 days).
        const pc = pos + EVENT_HEAD + 8;
        this.setPc(batch, hi64(buf, pc, le), lo64(buf, pc, le));
        this.addEvent(batch, hi64(buf, pos + 16, le), lo64(buf, pos + 16, le), u32(buf, pos + 28, le));
      }
      pos = next;
    }
    return pos;
  }
}

export const simpletraceBinFormat: TraceFormat = {
  name: 'simpletrace-bin',
  description: "the 'simple' trace backend's binary file (trace-PID), log format version 4",
  detect: (head) => headerOrder(head) !== null,
  create: (head) => new SimpletraceBinParser(head),
};
