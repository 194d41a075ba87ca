/**
 * The trace formats bootprof reads, in detection order, and the detector over the first page.
 * `--input-format NAME` skips detection.
 */
import { BootprofError } from '../io/errors.js';
import { headLines } from './text-common.js';
import { peekSource, type ByteSource } from '../io/source.js';
import { invocation } from '../io/invocation.js';
import { snippetOf, type ParserOptions, type TraceFormat } from './parser.js';
import { qemuLogFormat } from './qemu-log.js';
import { simpletraceBinFormat } from './simpletrace-bin.js';
import { simpletraceTextFormat } from './simpletrace-text.js';
import { qemuDexecFormat } from './qemu-dexec.js';
import { gdbSymbolsFormat } from './gdb-symbols.js';
import { resolvedFormat, twoColumnFormat } from './two-column.js';

/** Most specific first: the binary header, then line shapes from strict to loose. */
export const FORMATS: readonly TraceFormat[] = [
  simpletraceBinFormat,
  qemuLogFormat,
  simpletraceTextFormat,
  qemuDexecFormat,
  gdbSymbolsFormat,
  resolvedFormat,
  twoColumnFormat,
];

export const FORMAT_NAMES: readonly string[] = FORMATS.map((f) => f.name);

/** Bytes of the input the detectors see first (a format recognised there is decided there). */
export const DETECT_BYTES = 4096;
/**
 * When nothing is recognised in the first DETECT_BYTES, the detectors see a wider window: the first
 * DETECT_MAX_LINES lines, at most DETECT_MAX_BYTES (so a long run of other events, QEMU's messages or
 * one long garbage line before the first exec_tb does not hide the format).
 */
export const DETECT_MAX_LINES = 4096;
export const DETECT_MAX_BYTES = 1 << 20;

const NL = 0x0a;

/** The widest detection window of `head`: its first DETECT_MAX_LINES lines, at most DETECT_MAX_BYTES. */
export function detectionWindow(head: Uint8Array): Uint8Array {
  const bytes = head.length > DETECT_MAX_BYTES ? head.subarray(0, DETECT_MAX_BYTES) : head;
  let p = 0;
  for (let k = 0; k < DETECT_MAX_LINES; k++) {
    const nl = bytes.indexOf(NL, p);
    if (nl < 0) return bytes;
    p = nl + 1;
  }
  return bytes.subarray(0, p);
}

/**
 * Detects the format of an input from its head (read up to DETECT_MAX_BYTES): the first DETECT_BYTES,
 * then the wider window. Returns the format and the window it was recognised in (what its parser is
 * created from). A forced format gets the first DETECT_BYTES, as the detectors would.
 */
export function detectInput(head: Uint8Array, name: string, forced?: string): { format: TraceFormat; head: Uint8Array } {
  const wide = detectionWindow(head);
  if (forced) {
    const f = FORMATS.find((x) => x.name === forced);
    if (!f) throw new BootprofError('E_USAGE', `unknown input format '${forced}' (known: ${FORMAT_NAMES.join(', ')})`);
    return { format: f, head: wide.subarray(0, DETECT_BYTES) };
  }
  const first = wide.subarray(0, DETECT_BYTES);
  for (const f of FORMATS) if (f.detect(first)) return { format: f, head: first };
  if (wide.length > first.length) for (const f of FORMATS) if (f.detect(wide)) return { format: f, head: wide };
  if (head.length === 0) throw new BootprofError('E_EMPTY', `${name}: empty trace`);
  const enc = encodingError(head, name);
  if (enc) throw enc;
  throw new BootprofError(
    'E_FORMAT',
    `${name}: no known trace format: ${describeHead(wide, head.length > wide.length)} (expected QEMU exec_tb lines such as "4415@1795310244.392604:exec_tb tb:0x7fbd882054c0 pc=0xffffffff810000d3"; known formats: ${FORMAT_NAMES.join(', ')}; --input-format forces one)`,
  );
}

/**
 * Reads the head of `src` for detection: DETECT_BYTES, and up to DETECT_MAX_BYTES only when no format
 * is recognised in them (so a pipe is not waited on for more than a page when the format is plain).
 */
export async function peekHead(src: ByteSource, forced?: string): Promise<{ head: Uint8Array; source: ByteSource }> {
  const p = await peekSource(src, DETECT_BYTES);
  if (forced || p.head.length < DETECT_BYTES || FORMATS.some((f) => f.detect(p.head))) return p;
  return peekSource(p.source, DETECT_MAX_BYTES);
}

export function detectFormat(head: Uint8Array, name: string, forced?: string): TraceFormat {
  return detectInput(head, name, forced).format;
}

/** Length of a UTF-8 byte order mark at the start of `head` (0 or 3): the pipeline skips it. */
export function utf8BomLength(head: Uint8Array): number {
  return head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
}

/** Compressed containers recognised by their magic bytes: what they are and the decompressor. */
const CONTAINERS: readonly { magic: readonly number[]; what: string; tool: (file: string) => string }[] = [
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed', tool: (f) => `xz -dc ${f}` },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed', tool: (f) => `zstd -dc ${f}` },
  { magic: [0x42, 0x5a, 0x68], what: 'bzip2-compressed', tool: (f) => `bzip2 -dc ${f}` },
  { magic: [0x04, 0x22, 0x4d, 0x18], what: 'lz4-compressed', tool: (f) => `lz4 -dc ${f}` },
  { magic: [0x50, 0x4b, 0x03, 0x04], what: 'a zip archive', tool: (f) => `unzip -p ${f}` },
  { magic: [0x50, 0x4b, 0x05, 0x06], what: 'an empty zip archive', tool: (f) => `unzip -p ${f}` },
];

/** `path` for a shell command line: quoted unless it is plain. */
function shellWord(path: string): string {
  return /^[A-Za-z0-9_./+:=@%-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

/** UTF-16 by its byte order mark, or by NUL bytes in every other position: 'LE', 'BE' or null. */
function utf16Order(head: Uint8Array): { order: 'LE' | 'BE'; bom: boolean } | null {
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return { order: 'LE', bom: true };
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return { order: 'BE', bom: true };
  const n = Math.min(head.length, 512) & ~1;
  if (n < 8) return null;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) evenNul++;
    if (head[i + 1] === 0) oddNul++;
  }
  const pairs = n / 2;
  if (oddNul * 10 >= pairs * 9 && evenNul * 10 <= pairs) return { order: 'LE', bom: false };
  if (evenNul * 10 >= pairs * 9 && oddNul * 10 <= pairs) return { order: 'BE', bom: false };
  return null;
}

/**
 * An input bootprof cannot read as it is but can say how to convert: a compressed container other
 * than gzip, or UTF-16 text. null when the head is neither.
 */
function encodingError(head: Uint8Array, name: string): BootprofError | null {
  const stdin = name === 'stdin';
  const file = shellWord(name);
  const cmd = `bootprof ${invocation.command} -`;
  for (const c of CONTAINERS) {
    if (head.length < c.magic.length || !c.magic.every((b, k) => head[k] === b)) continue;
    const how = stdin ? `${c.tool('').trimEnd()} | ${cmd}` : `${c.tool(file)} | ${cmd}`;
    return new BootprofError('E_FORMAT', `${name}: ${c.what}: bootprof reads plain and gzip traces: \`${how}\``);
  }
  const u = utf16Order(head);
  if (u) {
    const from = u.bom ? 'UTF-16' : `UTF-16${u.order}`;
    const how = `iconv -f ${from} -t UTF-8${stdin ? '' : ` ${file}`} | ${cmd}`;
    return new BootprofError(
      'E_FORMAT',
      `${name}: UTF-16 text (${u.order === 'LE' ? 'little' : 'big'}-endian${u.bom ? ', with a byte order mark' : ''}): bootprof reads ASCII/UTF-8 traces: \`${how}\``,
    );
  }
  return null;
}

/** `n` and the noun, singular or plural. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function sizeText(n: number): string {
  return n >= 1 << 20 ? `${Math.round(n / (1 << 20))} MiB` : `${Math.round(n / 1024)} KiB`;
}

const OTHER_EVENT = /^\d+@\d+\.\d+:([A-Za-z_][A-Za-z0-9_]*)|^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?Z ([A-Za-z_][A-Za-z0-9_]*)/;

/** What the detection window holds, for the "no known trace format" message (slow path, once). */
function describeHead(wide: Uint8Array, more: boolean): string {
  const lines = headLines(wide);
  if (lines.length === 0) {
    return more || wide.length >= DETECT_MAX_BYTES
      ? `the first ${sizeText(wide.length)} holds no line end (a binary file?)`
      : `its ${count(wide.length, 'byte')} hold no line end`;
  }
  const scope = more
    ? lines.length >= DETECT_MAX_LINES
      ? `the first ${count(lines.length, 'line')}`
      : `the first ${count(lines.length, 'line')} (${sizeText(wide.length)})`
    : `its ${count(lines.length, 'line')}`;
  const kinds = new Map<string, number>();
  let other = 0;
  let unknown = '';
  for (const l of lines) {
    const m = OTHER_EVENT.exec(l);
    if (m) {
      const ev = m[1] ?? m[2];
      kinds.set(ev, (kinds.get(ev) ?? 0) + 1);
      other++;
    } else if (unknown === '') unknown = l;
  }
  const parts: string[] = [];
  const they = lines.length === 1 ? 'it' : 'they';
  if (other > 0) {
    const top = [...kinds].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const shown =
      top
        .slice(0, 3)
        .map(([k, n]) => `${k} x${n}`)
        .join(', ') + (top.length > 3 ? `, ${top.length - 3} more kinds` : '');
    const what = other === 1 ? 'a QEMU trace event of another kind' : 'QEMU trace events of other kinds';
    parts.push(`${other === lines.length ? they : count(other, 'line')} ${other === 1 ? 'looks' : 'look'} like ${what} (${shown})`);
  }
  if (other < lines.length) {
    const n = lines.length - other;
    parts.push(`${other === 0 ? they : String(n)} ${n === 1 ? 'is' : 'are'} in no known format (first: "${snippetOf(Buffer.from(unknown, 'latin1'))}")`);
  }
  if (other > 0) parts.push('was the exec_tb event traced (-trace exec_tb)?');
  return `${scope} ${lines.length === 1 ? 'holds' : 'hold'} no exec_tb event: ${parts.join('; ')}`;
}

/** Detects (or takes the forced) format and creates its parser. */
export function createParser(head: Uint8Array, name: string, forced: string | undefined, opts: ParserOptions) {
  const d = detectInput(head, name, forced);
  return d.format.create(d.head, opts);
}
