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

/** Offset just after the first newline at or after `from`, or `size` when there is none. */
const scan = Buffer.allocUnsafe(1 << 16); // one per thread; units are aligned one at a time

async function afterNewline(fh: fsp.FileHandle, from: number, size: number, name: string): Promise<number> {
  const buf = scan;
  let pos = from;
  while (pos < size) {
    let n: number;
    try {
      n = (await fh.read(buf, 0, Math.min(buf.length, size - pos), pos)).bytesRead;
    } catch (err) {
      throw fsError(err, name);
    }
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
  try {
    await fh.read(b, 0, 3, 0);
  } catch (err) {
    throw fsError(err, name);
  }
  return b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
}

/** The owned byte range [from, to) of a unit. */
export async function ownedRange(fh: fsp.FileHandle, u: WorkUnit, size: number, name: string): Promise<[number, number]> {
  const from = u.start === 0 ? await bomLength(fh, size, name) : await afterNewline(fh, u.start - 1, size, name);
  if (from >= u.end) return [from, from];
  const to = await afterNewline(fh, u.end - 1, size, name);
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
      let r;
      try {
        r = await fh.read(buf, off, n, pos);
      } catch (err) {
        throw fsError(err, name);
      }
      pos += r.bytesRead;
      return r.bytesRead;
    },
    async close() {},
  };
}
