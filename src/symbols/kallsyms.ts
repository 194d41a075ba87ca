/**
 * Text symbol lists: System.map / `nm` output (`ADDR TYPE NAME`) and copies of /proc/kallsyms
 * (`ADDR TYPE NAME [module]`, kernel/kallsyms.c s_show: "%px %c %s\t[%s]\n" for module symbols).
 * Module symbols are named `name [module]`. A kallsyms copy read without privilege has every
 * address zeroed (kernel.kptr_restrict): that is an error with the fix, not an empty table.
 */
import { BootprofError } from '../io/errors.js';
import { parseHexKey } from './address.js';
import { isTextType } from './table.js';

/** Symbols of one source, before merging: parallel arrays. */
export interface RawSymbols {
  /** What the source is, for messages: "System.map", "kallsyms", "ELF .symtab". */
  kind: string;
  path: string;
  keys: number[];
  types: string[];
  names: string[];
  /** Sizes in bytes (0 = unknown). */
  sizes: number[];
  malformed: number;
  /** Module symbols (`name [module]`) among them. */
  modules: number;
}

export function emptyRaw(kind: string, path: string): RawSymbols {
  return { kind, path, keys: [], types: [], names: [], sizes: [], malformed: 0, modules: 0 };
}

/** What a symbol text file is: a kallsyms copy when it lists module symbols or is named so. */
export function symbolTextKind(path: string, modules: number): string {
  return modules > 0 || /kallsyms/.test(path) ? 'kallsyms' : 'System.map';
}

const BLANK = /\s+/;

/**
 * The whitespace-separated fields of text[start, end), or null for a blank line. The common
 * `ADDR T NAME` line (single spaces) is cut with indexOf; anything else falls back to a split.
 */
function fields(text: string, start: number, end: number): string[] | null {
  const a = text.indexOf(' ', start);
  if (a > start && a + 2 < end && text.charCodeAt(a + 2) === 32) {
    const b = a + 3;
    let c = b;
    while (c < end) {
      const ch = text.charCodeAt(c);
      if (ch === 32 || ch === 9 || ch === 13) break;
      c++;
    }
    if (c === end && c > b && text.charCodeAt(a + 1) > 32) return [text.slice(start, a), text[a + 1], text.slice(b, c)];
  }
  const line = text.slice(start, end).trim();
  return line === '' ? null : line.split(BLANK);
}

/** Parses System.map or kallsyms text. */
export function parseSymbolText(text: string, path: string): RawSymbols {
  const raw = emptyRaw('System.map', path);
  let zero = 0;
  let textLines = 0;
  let start = 0;
  const len = text.length;
  while (start < len) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = len;
    const parts = fields(text, start, nl);
    start = nl + 1;
    if (parts === null) continue;
    if (parts.length < 3 || parts[1].length !== 1) {
      raw.malformed++;
      continue;
    }
    const key = parseHexKey(parts[0]);
    if (Number.isNaN(key)) {
      raw.malformed++;
      continue;
    }
    let name = parts[2];
    if (parts.length >= 4 && parts[3].startsWith('[')) {
      name = `${name} ${parts.slice(3).join(' ')}`;
      raw.modules++;
    }
    if (isTextType(parts[1])) {
      textLines++;
      if (key === 0) zero++;
    }
    raw.keys.push(key);
    raw.types.push(parts[1]);
    raw.names.push(name);
    raw.sizes.push(0);
  }
  raw.kind = symbolTextKind(path, raw.modules);
  if (textLines > 0 && zero === textLines) {
    throw new BootprofError(
      'E_SYMBOLS',
      `${path}: every symbol address is 0: this copy of /proc/kallsyms was read without privilege (kernel.kptr_restrict hides addresses); copy it as root: sudo cat /proc/kallsyms > kallsyms.txt`,
    );
  }
  return raw;
}
