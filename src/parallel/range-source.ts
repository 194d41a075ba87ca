/**
 * Work units: a plain file is cut into byte ranges; a unit owns the lines that *start* inside its
 * range, so units can be parsed independently and their events concatenated in unit order give
 * exactly the events of a sequential read. The owned bytes run from the first line start at or after
 * `start` to the newline that ends the line holding byte `end - 1` (or the end of the file).
 */
import { promises as fsp } from 'node:fs';
import type { ByteSource } from '../io/source.js';
import { fsError } from '../io/errors.js';

export interface WorkUnit {
  index: number;
  start: number;
  end: number;
}

export const DEFAULT_UNIT = 8 << 20;

export function planUnits(size: number, unitSize = DEFAULT_UNIT): WorkUnit[] {
  const units: WorkUnit[] = [];
  const step = Math.max(1, unitSize);
  for (let s = 0, i = 0; s < size; s += step, i++) units.push({ index: i, start: s, end: Math.min(size, s + step) });
  return units;
}

const NL = 0x0a;

const scan = Buffer.allocUnsafe(1 << 16); // one per thread; units are aligned one at a time

/** Reads up to `len` bytes at file offset `pos` into `buf` at `off`; the bytes read (a read error names the file). */
async function readAt(fh: fsp.FileHandle, buf: Uint8Array, off: number, len: number, pos: number, name: string): Promise<number> {
  try {
    return (await fh.read(buf, off, len, pos)).bytesRead;
  } catch (err) {
    throw fsError(err, name);
  }
}

/** Offset just after the first newline at or after `from`, or `size` when there is none. */
async function afterNewline(fh: fsp.FileHandle, from: number, size: number, name: string): Promise<number> {
  const buf = scan;
  let pos = from;
  while (pos < size) {
    const n = await readAt(fh, buf, 0, Math.min(buf.length, size - pos), pos, name);
    if (n === 0) break;
    const k = buf.indexOf(NL);
    if (k >= 0 && k < n) return pos + k + 1;
    pos += n;
  }
  return size;
}

/** 3 when the file starts with a UTF-8 byte order mark (the first unit skips it, as a sequential read does), else 0. */
async function bomLength(fh: fsp.FileHandle, size: number, name: string): Promise<number> {
  if (size < 3) return 0;
  const b = Buffer.alloc(3);
  await readAt(fh, b, 0, 3, 0, name);
  return b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
}

/** How far back insideRecord looks for the separator of a record (a record is at most ~100 KB). */
const RECORD_LOOKBACK = 1 << 20;
const SEPARATOR = Buffer.from('----------------');
const EXEC_TB_SP = Buffer.from('exec_tb');

/**
 * Is the line that starts at `pos` inside a `-d in_asm` translation record (formats/qemu-in-asm.ts)?
 * Looking back line by line: a record separator before any blank line or exec_tb line says yes.
 */
async function insideRecord(fh: fsp.FileHandle, pos: number, name: string): Promise<boolean> {
  const from = Math.max(0, pos - RECORD_LOOKBACK);
  let end = pos;
  // whole lines are examined from the end of [from, pos), in pieces of up to 64 KiB
  let carry = Buffer.alloc(0);
  while (end > from) {
    const start = Math.max(from, end - scan.length);
    const n = await readAt(fh, scan, 0, end - start, start, name);
    const piece = Buffer.concat([scan.subarray(0, n), carry]);
    let lineEnd = piece.length; // exclusive: the newline ending the line examined (or the piece's end)
    if (piece[lineEnd - 1] === NL) lineEnd--;
    for (;;) {
      const nl = piece.lastIndexOf(NL, lineEnd - 1);
      if (nl < 0 && start > from) break; // the line starts in an earlier piece
      const line = piece.subarray(nl + 1, lineEnd);
      const text = line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line;
      if (text.length === 0) return false;
      if (text.equals(SEPARATOR)) return true;
      if (text.indexOf(EXEC_TB_SP) >= 0) return false;
      if (nl < 0) return false;
      lineEnd = nl;
    }
    carry = Buffer.from(piece.subarray(0, lineEnd));
    end = start;
  }
  return false;
}

/** Offset just after the blank line that ends the record the line at `pos` (a line start) is inside of, or `size`. */
async function afterRecord(fh: fsp.FileHandle, pos: number, size: number, name: string): Promise<number> {
  // a blank line is a newline right after a newline (the record's lines end in LF; a CR LF one is allowed)
  let p = pos - 1;
  while (p < size) {
    const n = await readAt(fh, scan, 0, Math.min(scan.length, size - p), p, name);
    for (let k = scan.indexOf(NL); k >= 0 && k < n - 1; k = scan.indexOf(NL, k + 1)) {
      if (scan[k + 1] === NL) return p + k + 2;
      if (scan[k + 1] === 0x0d && k + 2 < n && scan[k + 2] === NL) return p + k + 3;
    }
    if (n <= 2) break;
    p += n - 2; // the last two bytes again: a blank line across pieces
  }
  return size;
}

/**
 * The owned byte range [from, to) of a unit. With `records` (a QEMU log that may hold `-d in_asm`
 * translation records), a record belongs whole to the unit its separator line starts in: a unit that
 * starts inside one skips to its end, and one that ends inside one reads on to its end.
 */
export async function ownedRange(fh: fsp.FileHandle, u: WorkUnit, size: number, name: string, records = false): Promise<[number, number]> {
  let from = u.start === 0 ? await bomLength(fh, size, name) : await afterNewline(fh, u.start - 1, size, name);
  if (records && from > 0 && from < size && (await insideRecord(fh, from, name))) from = await afterRecord(fh, from, size, name);
  if (from >= u.end) return [from, from];
  let to = await afterNewline(fh, u.end - 1, size, name);
  if (records && to < size && (await insideRecord(fh, to, name))) to = await afterRecord(fh, to, size, name);
  return [from, to];
}

/** A ByteSource over [from, to) of an open file. */
export function rangeSource(fh: fsp.FileHandle, from: number, to: number, name: string): ByteSource {
  let pos = from;
  return {
    name,
    size: to - from,
    gzip: false,
    async read(buf, off, len) {
      const n = Math.min(len, to - pos);
      if (n <= 0) return 0;
      const r = await readAt(fh, buf, off, n, pos, name);
      pos += r;
      return r;
    },
    async close() {},
  };
}
