/**
 * System.map / nm-style symbol lists: `ADDR TYPE NAME` per line (gzip allowed, by magic bytes).
 * Lines are few (~100k), so split2 does the line splitting.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { createGunzip } from 'node:zlib';
import split2 from 'split2';
import { BootprofError, fsError } from '../io/errors.js';
import { parseHexKey } from './address.js';
import { SymbolTableBuilder, type SymbolTable } from './table.js';

async function isGzip(path: string): Promise<boolean> {
  let fh;
  try {
    fh = await fsp.open(path, 'r');
    const st = await fh.stat();
    if (st.isDirectory()) throw new BootprofError('E_UNREADABLE', `${path}: is a directory`);
    const b = new Uint8Array(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    if (st.size === 0) throw new BootprofError('E_EMPTY', `${path}: empty symbol map`);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } catch (err) {
    if (err instanceof BootprofError) throw err;
    throw fsError(err, path);
  } finally {
    await fh?.close();
  }
}

/** Adds the symbols of one `ADDR TYPE NAME` line; returns false when the line is not one. */
export function addMapLine(b: SymbolTableBuilder, line: string): boolean {
  const t = line.trim();
  if (t === '') return true;
  const parts = t.split(/\s+/);
  if (parts.length < 3 || parts[1].length !== 1) return false;
  const key = parseHexKey(parts[0]);
  if (Number.isNaN(key)) return false;
  b.add(key, parts[1], parts[2]);
  return true;
}

export async function loadSystemMap(path: string): Promise<SymbolTable> {
  const gz = await isGzip(path);
  const b = new SymbolTableBuilder();
  let lineNo = 0;
  let firstBad = 0;
  await new Promise<void>((resolve, reject) => {
    const raw = createReadStream(path);
    const fail = (err: unknown): void => reject(err instanceof BootprofError ? err : fsError(err, path));
    raw.on('error', fail);
    let s: NodeJS.ReadableStream = raw;
    if (gz) {
      const z = createGunzip();
      z.on('error', fail);
      s = raw.pipe(z);
    }
    const lines = s.pipe(split2());
    lines.on('data', (line: string) => {
      lineNo++;
      if (!addMapLine(b, line)) {
        b.malformed++;
        if (!firstBad) firstBad = lineNo;
      }
    });
    lines.on('end', () => resolve());
    lines.on('error', fail);
  });
  const table = b.build();
  if (table.textSymbols === 0) {
    const why = b.malformed > 0 ? ` (${b.malformed} of ${lineNo} lines are not "ADDR TYPE NAME", first at line ${firstBad})` : '';
    throw new BootprofError('E_SYMBOLS', `${path}: no text symbols (types T, t, W, w)${why}`);
  }
  return table;
}

/** A symbol table from System.map text in memory (tests, generated maps). */
export function systemMapFromText(text: string): SymbolTable {
  const b = new SymbolTableBuilder();
  for (const line of text.split('\n')) if (!addMapLine(b, line)) b.malformed++;
  return b.build();
}
