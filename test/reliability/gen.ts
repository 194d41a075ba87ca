/**
 * Generators for the reliability tests: good traces of many vCPUs, bad lines that are certainly
 * malformed, random mutations, and an independent classifier of QEMU log lines (string code written
 * from the line grammar, sharing nothing with src/formats) that says what a mutated line must count as.
 */
import { appendFileSync } from 'node:fs';
import { prng } from '../helpers.js';

export type Rnd = (n: number) => number;
export { prng };

/** Fuzz cases: a fixed, small number in CI; BOOTPROF_FUZZ_CASES=N for a campaign. */
export function fuzzCases(ci: number): number {
  const v = Number(process.env.BOOTPROF_FUZZ_CASES);
  return Number.isInteger(v) && v > 0 ? v : ci;
}

/**
 * A campaign's time box (BOOTPROF_FUZZ_SECONDS): cases stop when it is spent, and the count run is
 * appended to BOOTPROF_FUZZ_LOG (a file) when set.
 */
export function fuzzDeadline(): number {
  const v = Number(process.env.BOOTPROF_FUZZ_SECONDS);
  return Number.isFinite(v) && v > 0 ? Date.now() + v * 1000 : Infinity;
}

export function fuzzReport(what: string, cases: number, extra = ''): void {
  const log = process.env.BOOTPROF_FUZZ_LOG;
  if (log) appendFileSync(log, `${new Date().toISOString()} ${what}: ${cases} cases${extra ? ', ' + extra : ''}\n`);
}

/** Seed of the campaign (BOOTPROF_FUZZ_SEED), so a failure found beyond CI can be replayed. */
export function fuzzSeed(base: number): number {
  const v = Number(process.env.BOOTPROF_FUZZ_SEED);
  return Number.isInteger(v) ? base ^ v : base;
}

/**
 * Bytes that can start a line no text format accepts as an event or skips as "other": not a digit,
 * letter, underscore or blank (every format's records start with one of those), not a newline or CR.
 */
export const BAD_START: number[] = [];
for (let c = 0; c < 256; c++) {
  const ident = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
  if (!ident && c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) BAD_START.push(c);
}

/** Random bytes without a newline (NUL, invalid UTF-8, CR included). */
export function randomBytes(rnd: Rnd, len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) {
    let c = rnd(256);
    if (c === 0x0a) c = 0x00;
    b[i] = c;
  }
  return b;
}

/** A line (no newline) every text format counts as malformed: a BAD_START byte, then random bytes. */
export function badLine(rnd: Rnd, maxLen = 120): Buffer {
  const body = randomBytes(rnd, rnd(maxLen));
  return Buffer.concat([Buffer.from([BAD_START[rnd(BAD_START.length)]]), body]);
}

/** A good line made certainly malformed: its first byte replaced by a BAD_START byte. */
export function spoilFirstByte(rnd: Rnd, line: Buffer): Buffer {
  const b = Buffer.from(line);
  b[0] = BAD_START[rnd(BAD_START.length)];
  return b;
}

/** A random mutation of a line (no newline): flip, delete, insert, truncate, duplicate a span. */
export function mutate(rnd: Rnd, line: Buffer): Buffer {
  const b = Buffer.from(line);
  const k = rnd(7);
  const at = b.length ? rnd(b.length) : 0;
  const noNl = (c: number): number => (c === 0x0a ? 0x0d : c);
  switch (k) {
    case 0:
      b[at] = noNl(rnd(256));
      return b;
    case 1:
      b[at] = noNl(b[at] ^ (1 << rnd(8)));
      return b;
    case 2:
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rnd(4))]);
    case 3:
      return Buffer.concat([b.subarray(0, at), Buffer.from([noNl(rnd(256))]), b.subarray(at)]);
    case 4:
      return b.subarray(0, at);
    case 5: {
      // a character the grammar cares about
      const special = ' @.:=x0pcq\r\t-'.charCodeAt(rnd(14));
      b[at] = special;
      return b;
    }
    default: {
      const len = 1 + rnd(8);
      return Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
    }
  }
}

// ---- an independent classifier of QEMU log lines (timed traces: `TID@SEC.FRAC:` prefixes) ----

export type LineKind = { kind: 'event'; tid: number; sec: number; frac: number; pc: bigint } | { kind: 'other' } | { kind: 'malformed' };

const HEXDIGIT = /^[0-9a-fA-F]$/;
const ISO = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(\.\d+)?[Zz] /;

/**
 * What the QEMU log grammar says a line (latin1, no newline) of a timed `TID@SEC.FRAC:` trace is:
 *  - blank (spaces, tabs, CR only): other
 *  - `TID@SEC.FRAC:` (TID, SEC 1-15 digits, FRAC 1 or more: ns from the first 9, the 10th rounding
 *    half up) or an ISO-8601 stamp (its fraction read the same way), then `exec_tb ` or
 *    `exec_tb_nocache `, anything up to the first `pc=`, `0x`, 1-16 hex digits, trailing blanks/CR:
 *    an event; a valid prefix followed by anything else: other (another event, QEMU's messages)
 *  - no prefix: `NAME key...` with `=` or `:` (another event, NAME not exec_tb), or a line whose first
 *    non-blank characters are `qemu`: other
 *  - everything else (bad stamps, bad pcs, exec_tb without a stamp, garbage): malformed.
 */
export function classifyQemuLine(line: string): LineKind {
  if (/^[ \t\r]*$/.test(line)) return { kind: 'other' };
  const qemuMsg = /^[ \t\r]*qemu/.test(line);
  const bad = (): LineKind => (qemuMsg ? { kind: 'other' } : { kind: 'malformed' });
  let rest: string;
  let tid = 0;
  let sec = 0;
  let frac = 0;
  let prefixed = false;
  const lead = /^\d+/.exec(line);
  if (lead) {
    const after = line[lead[0].length];
    if (after === '@' && lead[0].length <= 15) {
      const m = /^(\d+)@(\d*)(\.?)(\d*)(:?)/.exec(line)!;
      if (m[2].length === 0 || m[2].length > 15 || m[3] !== '.' || m[4].length === 0 || m[5] !== ':') return bad();
      tid = Number(m[1]);
      [sec, frac] = secFrac(Number(m[2]), m[4]);
      rest = line.slice(m[0].length);
      prefixed = true;
    } else if (after === '-' && lead[0].length === 4) {
      const m = ISO.exec(line);
      if (!m) return bad();
      const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((k) => Number(m[k]));
      if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return bad();
      if (m[7] !== undefined && m[7].length < 2) return bad();
      sec = daysFromEpoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
      [sec, frac] = m[7] ? secFrac(sec, m[7].slice(1)) : [sec, 0];
      rest = line.slice(m[0].length);
      prefixed = true;
    } else return bad();
  } else rest = line;
  const name = /^exec_tb(_nocache)? /.exec(rest);
  if (!name) {
    if (prefixed) return { kind: 'other' };
    const ev = /^([A-Za-z0-9_]+) (.*)$/s.exec(rest);
    if (ev && ev[1] !== 'exec_tb' && /[=:]/.test(ev[2])) return { kind: 'other' };
    return bad();
  }
  const body = rest.slice(name[0].length);
  const at = body.indexOf('pc=');
  if (at < 0) return bad();
  const pcText = body.slice(at + 3);
  if (!pcText.startsWith('0x')) return bad();
  let k = 2;
  while (k < pcText.length && HEXDIGIT.test(pcText[k])) k++;
  const digits = pcText.slice(2, k);
  if (digits.length === 0 || digits.length > 16) return bad();
  if (!/^[ \t\r]*$/.test(pcText.slice(k))) return bad();
  if (!prefixed) return bad(); // no timestamp in a timed trace
  return { kind: 'event', tid, sec, frac, pc: BigInt('0x' + digits) };
}

/** Seconds and ns of SEC.FRAC: the first 9 fraction digits, the 10th rounding half up (carrying into seconds). */
function secFrac(sec: number, digits: string): [number, number] {
  let ns = Number(digits.slice(0, 9).padEnd(9, '0'));
  if (digits.length > 9 && digits[9] >= '5') ns++;
  return ns === 1e9 ? [sec + 1, 0] : [sec, ns];
}

function daysFromEpoch(y: number, m: number, d: number): number {
  // proleptic Gregorian, independent of Date's two-digit-year rule
  const a = Math.floor((14 - m) / 12);
  const yy = y + 4800 - a;
  const mm = m + 12 * a - 3;
  return d + Math.floor((153 * mm + 2) / 5) + 365 * yy + Math.floor(yy / 4) - Math.floor(yy / 100) + Math.floor(yy / 400) - 32045 - 2440588;
}

// ---- good traces ----

/** Function starts of the committed System.map used by generated traces (kernel text). */
export interface GoodTraceOptions {
  /** Thread ids (vCPUs) interleaved. */
  tids: number[];
  events: number;
  /** Kernel-half pcs to pick from (16 hex digits, no 0x). */
  kernelPcs: string[];
  /** Share of user-space (low) pcs, 0..1 in 1/16 steps. */
  userShare16?: number;
  startSec?: number;
}

/** QEMU log lines (each ending in \n) of interleaved vCPUs with increasing times. */
export function goodQemuLines(rnd: Rnd, o: GoodTraceOptions): string[] {
  const lines: string[] = [];
  let us = 0;
  const sec0 = o.startSec ?? 1795310244;
  for (let i = 0; i < o.events; i++) {
    us += 1 + rnd(50);
    const tid = o.tids[rnd(o.tids.length)];
    const user = rnd(16) < (o.userShare16 ?? 2);
    const pc = user ? (0x400000 + rnd(0x100000)).toString(16) : o.kernelPcs[rnd(o.kernelPcs.length)].replace(/^0+(?=.)/, '');
    const sec = sec0 + Math.floor(us / 1e6);
    lines.push(`${tid}@${sec}.${String(us % 1e6).padStart(6, '0')}:exec_tb tb:0x7fbd8820${rnd(0x10000).toString(16)} pc=0x${pc}\n`);
  }
  return lines;
}

/**
 * A small System.map (a few thousand of the committed map's lines: the kernel-text markers, the
 * syscall entries and handlers, and the functions the generated traces use), so CLI tests do not pay
 * for loading 87,000 symbols per spawn.
 */
export function smallMapText(full: string, extraNames: readonly string[] = []): string {
  const want = new Set([
    '_text',
    '_stext',
    '_etext',
    '_sinittext',
    '_einittext',
    'startup_64',
    'entry_SYSCALL_64',
    'schedule',
    'do_syscall_64',
    'native_safe_halt',
    'ktime_get',
    'kmem_cache_alloc',
    'memcpy_orig',
    'start_kernel',
    'do_one_initcall',
    ...extraNames,
  ]);
  const lines = full.split('\n').filter((l) => {
    const name = l.split(' ')[2];
    return name !== undefined && (want.has(name) || name.startsWith('__x64_sys_') || /^ffffffff8100[0-9a-f]{4}/.test(l));
  });
  return lines.join('\n') + '\n';
}
