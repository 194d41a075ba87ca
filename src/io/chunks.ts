/**
 * Cuts a byte source into blocks of whole lines. One buffer is reused for the whole run: after each
 * read the unfinished tail (bytes after the last newline) is moved to the front and the next read
 * lands behind it, so no chunk is ever concatenated and memory stays at `chunkSize + maxLine`.
 * A line longer than `maxLine` is reported and skipped without being buffered.
 */
import type { ByteSource } from './source.js';

export const NEWLINE = 0x0a;

export interface LineBlockSink {
  /** Complete lines: buf[start, end) ends just after a newline; `base` is the file offset of buf[0]. */
  block(buf: Uint8Array, start: number, end: number, base: number): void;
  /** A line that was dropped whole: too long, or unterminated at the end of the input. */
  dropped(reason: string, offset: number, snippet: Uint8Array): void;
  /** The input ends inside a line (no newline after its last byte): the line starting at `offset`. */
  unterminated?(offset: number): void;
}

export interface ChunkOptions {
  /** Bytes asked of the source per read (tests use 1, 7, 64 to force seams). */
  chunkSize?: number;
  /** Longest line kept; longer ones are dropped as malformed. */
  maxLine?: number;
  /** File offset of the source's first byte (a work unit's start), for messages. */
  baseOffset?: number;
  /** A buffer to reuse across calls (work units); used when it has chunkSize + maxLine + 1 bytes. */
  buffer?: Buffer;
  /** Called after each read with the bytes consumed so far (progress). */
  onRead?: (bytesDone: number) => void;
}

export const DEFAULT_CHUNK = 1 << 20;
export const DEFAULT_MAX_LINE = 1 << 16;

/**
 * Hands sink the lines of buf[start, end) (end just after a newline), dropping any line longer than
 * `maxLine` that arrived whole inside one read, exactly as one that straddles reads is dropped: the
 * limit must not depend on read sizes. One lastIndexOf per maxLine bytes finds them: when the window
 * [p, p + maxLine] holds a newline, no line starting there is too long.
 */
function emitBlock(buf: Uint8Array, start: number, end: number, base: number, maxLine: number, sink: LineBlockSink): void {
  let from = start;
  let p = start;
  while (end - p > maxLine + 1) {
    const q = buf.lastIndexOf(NEWLINE, p + maxLine);
    if (q >= p) {
      p = q + 1;
      continue;
    }
    const nl = buf.indexOf(NEWLINE, p + maxLine);
    if (p > from) sink.block(buf, from, p, base);
    sink.dropped(`line longer than ${maxLine} bytes`, base + p, buf.subarray(p, p + 64));
    from = p = nl + 1;
  }
  if (end > from) sink.block(buf, from, end, base);
}

/**
 * What a block reader cuts its input into (lines, simple-trace records) and how it finds whole ones.
 */
export interface BlockCutter {
  /**
   * Hands the sink the whole units at the front of buf[0, filled) (`base`: the file offset of
   * buf[0]) and returns how many bytes from the front it is done with (handed over or dropped); the
   * rest is carried to the next read. -1 stops reading: the rest of the input is skipped.
   */
  cut(buf: Buffer, filled: number, base: number): number;
  /** Reason given for the unfinished unit at the end of the input, and how many of its bytes to show. */
  readonly truncated: string;
  readonly snippet: number;
}

/**
 * The read loop under every block reader (readLineBlocks below, simpletrace-bin.ts readBlocks): reads
 * up to `chunkSize` bytes into `buf` behind the carried tail, lets the cutter take what it can, moves
 * the rest to the front and reports progress. At the end, bytes still carried are a unit cut short:
 * the sink hears `unterminated` and one `dropped`. Returns the end offset and the carried length.
 */
export async function readCut(
  source: ByteSource,
  sink: LineBlockSink,
  buf: Buffer,
  chunkSize: number,
  opts: ChunkOptions,
  cutter: BlockCutter,
): Promise<{ end: number; tail: number }> {
  let tail = 0; // bytes carried at buf[0, tail)
  let base = opts.baseOffset ?? 0; // file offset of buf[0]
  for (;;) {
    const n = await source.read(buf, tail, chunkSize);
    if (n === 0) break;
    const filled = tail + n;
    const done = cutter.cut(buf, filled, base);
    if (done < 0) {
      opts.onRead?.(base + filled);
      return { end: base + filled, tail: 0 };
    }
    if (done > 0 && done < filled) buf.copyWithin(0, done, filled);
    base += done;
    tail = filled - done;
    opts.onRead?.(base + tail);
  }
  if (tail > 0) {
    sink.unterminated?.(base);
    sink.dropped(cutter.truncated, base, buf.subarray(0, Math.min(tail, cutter.snippet)));
  }
  return { end: base + tail, tail };
}

export async function readLineBlocks(source: ByteSource, sink: LineBlockSink, opts: ChunkOptions = {}): Promise<number> {
  const chunkSize = Math.max(1, opts.chunkSize ?? DEFAULT_CHUNK);
  const maxLine = Math.max(16, opts.maxLine ?? DEFAULT_MAX_LINE);
  const need = chunkSize + maxLine + 1;
  const buf = opts.buffer && opts.buffer.length >= need ? opts.buffer : Buffer.allocUnsafe(need);
  let skipping = false; // inside an over-long line, discarding until its newline
  let skipFrom = 0; // where that line starts
  const r = await readCut(source, sink, buf, chunkSize, opts, {
    truncated: 'truncated line (no newline at end of input)',
    snippet: 64,
    cut(buf, filled, base) {
      let start = 0;
      if (skipping) {
        const nl = buf.indexOf(NEWLINE, 0);
        if (nl < 0 || nl >= filled) return filled;
        start = nl + 1;
        skipping = false;
      }
      const last = buf.lastIndexOf(NEWLINE, filled - 1);
      let rest = start;
      if (last >= start) {
        emitBlock(buf, start, last + 1, base, maxLine, sink);
        rest = last + 1;
      }
      if (filled - rest > maxLine) {
        sink.dropped(`line longer than ${maxLine} bytes`, base + rest, buf.subarray(rest, rest + 64));
        skipping = true;
        skipFrom = base + rest;
        return filled;
      }
      return rest;
    },
  });
  if (r.tail === 0 && skipping) sink.unterminated?.(skipFrom); // an over-long last line, already dropped
  return r.end;
}
