/**
 * Compile units of an ELF file's DWARF (a vmlinux built with debug info): each unit's source file
 * (DW_AT_name, DW_AT_comp_dir) and the address ranges of its code, so a function's address gives
 * its source file. Only what that needs is read, by positioned reads (a vmlinux with DWARF is
 * hundreds of MB, its .debug_info most of it):
 *
 * - `.debug_aranges` (DWARF 2-5 sets: unit_length, version, debug_info_offset, address_size,
 *   segment_selector_size, then (address, length) tuples from the first multiple of twice the
 *   address size) gives each unit's ranges.
 * - `.debug_info`: only each unit's header and first DIE (the DW_TAG_compile_unit), one small read
 *   per unit found by walking the unit lengths; `.debug_abbrev` for that DIE's attribute forms,
 *   `.debug_str`, `.debug_line_str` and `.debug_str_offsets` for its strings.
 * - A unit without aranges (clang emits none by default) takes its ranges from its DIE:
 *   DW_AT_low_pc with DW_AT_high_pc (an address, or a length when a constant), or DW_AT_ranges
 *   (DWARF 5 `.debug_rnglists`, DWARF 2-4 `.debug_ranges`).
 *
 * Formats: DWARF 2-5, 32- and 64-bit DWARF, little- or big-endian; type, skeleton and split units
 * are skipped, and so are ranges given by index into `.debug_addr` (split DWARF). Layouts: the DWARF
 * 5 standard, sections 6.1.2 (aranges), 7.5 (unit headers, abbreviations, forms), 2.17.3 and 7.25
 * (range lists).
 */
import { posix } from 'node:path';
import { BootprofError } from '../io/errors.js';
import { lastAtOrBelow } from '../model/typed-array.js';
import { addressKey } from './address.js';
import { openElf, type ElfFile } from './elf.js';

/** One compile unit: where it is in .debug_info and what it compiled. */
export interface CompileUnit {
  /** Offset of its header in .debug_info. */
  offset: number;
  /** DW_AT_name as written ('' when absent). */
  name: string;
  /** DW_AT_comp_dir as written ('' when absent). */
  compDir: string;
  /** The source file relative to the source tree's root (`sourceRoot`): what `--group-by file` shows. */
  file: string;
}

/** Compile units and their address ranges, sorted by start: `lookup(key)` is a binary search. */
export class CompileUnitMap {
  constructor(
    readonly units: readonly CompileUnit[],
    /** Range starts and ends (address keys, end excluded), sorted by start; `unitOf[i]` indexes `units`. */
    readonly starts: Float64Array,
    readonly ends: Float64Array,
    readonly unitOf: Int32Array,
    /** The source tree's root stripped from absolute paths ('' when none was found). */
    readonly root: string,
  ) {}

  /** Index into `units` of the unit whose ranges hold address key `key`, or -1. */
  lookup(key: number): number {
    // ranges rarely overlap; when they do, an earlier range may still hold the key
    for (let i = lastAtOrBelow(this.starts, key), k = 0; i >= 0 && k < 4; i--, k++) if (key < this.ends[i]) return this.unitOf[i];
    return -1;
  }

  /** The unit holding `key`, or undefined. */
  unitAt(key: number): CompileUnit | undefined {
    const u = this.lookup(key);
    return u < 0 ? undefined : this.units[u];
  }
}

// DW_AT_* and DW_FORM_* codes (DWARF 5, 7.5.4 and 7.5.6; GNU extensions)
const AT_NAME = 0x03;
const AT_LOW_PC = 0x11;
const AT_HIGH_PC = 0x12;
const AT_COMP_DIR = 0x1b;
const AT_RANGES = 0x55;
const AT_STR_OFFSETS_BASE = 0x72;
const AT_RNGLISTS_BASE = 0x74;
const FORM_ADDR = 0x01;
const FORM_STRING = 0x08;
const FORM_STRP = 0x0e;
const FORM_INDIRECT = 0x16;
const FORM_SEC_OFFSET = 0x17;
const FORM_IMPLICIT_CONST = 0x21;
const FORM_RNGLISTX = 0x23;
const FORM_LINE_STRP = 0x1f;
const FORM_STRX = 0x1a;
const FORM_STRX1 = 0x25;
const FORM_STRX4 = 0x28;
const FORM_GNU_STR_INDEX = 0x1f02;
const TAG_COMPILE_UNIT = 0x11;
const UT_COMPILE = 0x01;
const UT_PARTIAL = 0x03;

/** Bytes read per unit for its header and first DIE; a DIE that needs more is read again whole. */
const DIE_WINDOW = 1024;

/** A little cursor over a Buffer: LEB128, fixed-size and offset-size reads. */
class Cursor {
  pos: number;
  constructor(
    readonly b: Buffer,
    pos: number,
    readonly le: boolean,
  ) {
    this.pos = pos;
  }
  get left(): number {
    return this.b.length - this.pos;
  }
  need(n: number): void {
    if (this.pos + n > this.b.length) throw new RangeError('DWARF: read past the end');
  }
  u8(): number {
    this.need(1);
    return this.b[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.le ? this.b.readUInt16LE(this.pos) : this.b.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u24(): number {
    this.need(3);
    const p = this.pos;
    this.pos += 3;
    return this.le ? this.b[p] | (this.b[p + 1] << 8) | (this.b[p + 2] << 16) : (this.b[p] << 16) | (this.b[p + 1] << 8) | this.b[p + 2];
  }
  u32(): number {
    this.need(4);
    const v = this.le ? this.b.readUInt32LE(this.pos) : this.b.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  /** A u64 as a number (offsets and lengths: exact below 2^53). */
  u64(): number {
    this.need(8);
    const v = this.le ? this.b.readBigUInt64LE(this.pos) : this.b.readBigUInt64BE(this.pos);
    this.pos += 8;
    return Number(v);
  }
  /** An address of `size` bytes as an address key (address.ts: signed 64-bit, exact for canonical addresses). */
  addr(size: number): number {
    if (size === 4) return this.u32();
    if (size !== 8) {
      this.need(size);
      this.pos += size;
      return NaN;
    }
    this.need(8);
    const lo = this.le ? this.b.readUInt32LE(this.pos) : this.b.readUInt32BE(this.pos + 4);
    const hi = this.le ? this.b.readUInt32LE(this.pos + 4) : this.b.readUInt32BE(this.pos);
    this.pos += 8;
    return addressKey(hi, lo);
  }
  /** The largest address of `size` bytes (a base-address selection entry of .debug_ranges). */
  isMaxAddr(size: number): boolean {
    for (let i = 0; i < size; i++) if (this.b[this.pos + i] !== 0xff) return false;
    return true;
  }
  offset(dwarf64: boolean): number {
    return dwarf64 ? this.u64() : this.u32();
  }
  uleb(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const byte = this.u8();
      result += (byte & 0x7f) * mul;
      if ((byte & 0x80) === 0) return result;
      mul *= 128;
    }
  }
  sleb(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const byte = this.u8();
      result += (byte & 0x7f) * mul;
      mul *= 128;
      if ((byte & 0x80) === 0) return byte & 0x40 ? result - mul : result;
    }
  }
  cstr(): string {
    const end = this.b.indexOf(0, this.pos);
    if (end < 0) throw new RangeError('DWARF: unterminated string');
    const s = this.b.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}

/** The unit length at the cursor: [length, dwarf64], or null for a reserved value. */
function unitLength(c: Cursor): [number, boolean] | null {
  const l = c.u32();
  if (l === 0xffffffff) return [c.u64(), true];
  if (l >= 0xfffffff0) return null;
  return [l, false];
}

/** One attribute value as read for the compile unit DIE: a number, a string or a reference to one. */
type Value =
  | { kind: 'num'; v: number; form: number }
  | { kind: 'str'; s: string }
  | { kind: 'strp'; off: number; sec: 'str' | 'line_str' }
  | { kind: 'strx'; index: number };

interface UnitDie {
  attrs: Map<number, Value>;
}

/** Reads the value of `form` at the cursor (skipping what is not needed: blocks, expressions). */
function readForm(c: Cursor, form: number, addrSize: number, dwarf64: boolean, version: number, implicit: number): Value | null {
  switch (form) {
    case FORM_ADDR:
      return { kind: 'num', v: c.addr(addrSize), form };
    case 0x03: // block2
      c.skip(c.u16());
      return null;
    case 0x04: // block4
      c.skip(c.u32());
      return null;
    case 0x05: // data2
      return { kind: 'num', v: c.u16(), form };
    case 0x06: // data4
      return { kind: 'num', v: c.u32(), form };
    case 0x07: // data8
      return { kind: 'num', v: c.u64(), form };
    case FORM_STRING:
      return { kind: 'str', s: c.cstr() };
    case 0x09: // block
    case 0x18: // exprloc
      c.skip(c.uleb());
      return null;
    case 0x0a: // block1
      c.skip(c.u8());
      return null;
    case 0x0b: // data1
    case 0x0c: // flag
    case 0x11: // ref1
      return { kind: 'num', v: c.u8(), form };
    case 0x0d: // sdata
      return { kind: 'num', v: c.sleb(), form };
    case FORM_STRP:
      return { kind: 'strp', off: c.offset(dwarf64), sec: 'str' };
    case FORM_LINE_STRP:
      return { kind: 'strp', off: c.offset(dwarf64), sec: 'line_str' };
    case 0x0f: // udata
    case 0x15: // ref_udata
    case 0x1b: // addrx
    case 0x22: // loclistx
    case FORM_RNGLISTX:
    case 0x1f01: // GNU_addr_index
      return { kind: 'num', v: c.uleb(), form };
    case 0x10: // ref_addr: an address in DWARF 2, an offset later
      return { kind: 'num', v: version <= 2 ? c.addr(addrSize) : c.offset(dwarf64), form };
    case 0x12: // ref2
      return { kind: 'num', v: c.u16(), form };
    case 0x13: // ref4
    case 0x1c: // ref_sup4
      return { kind: 'num', v: c.u32(), form };
    case 0x14: // ref8
    case 0x20: // ref_sig8
    case 0x24: // ref_sup8
      return { kind: 'num', v: c.u64(), form };
    case FORM_INDIRECT:
      return readForm(c, c.uleb(), addrSize, dwarf64, version, implicit);
    case FORM_SEC_OFFSET:
    case 0x1d: // strp_sup
    case 0x1f20: // GNU_ref_alt
    case 0x1f21: // GNU_strp_alt
      return { kind: 'num', v: c.offset(dwarf64), form };
    case 0x19: // flag_present
      return { kind: 'num', v: 1, form };
    case 0x1e: // data16
      c.skip(16);
      return null;
    case FORM_IMPLICIT_CONST:
      return { kind: 'num', v: implicit, form };
    case FORM_STRX:
    case FORM_GNU_STR_INDEX:
      return { kind: 'strx', index: c.uleb() };
    case FORM_STRX1:
      return { kind: 'strx', index: c.u8() };
    case 0x26: // strx2
      return { kind: 'strx', index: c.u16() };
    case 0x27: // strx3
      return { kind: 'strx', index: c.u24() };
    case FORM_STRX4:
      return { kind: 'strx', index: c.u32() };
    case 0x29: // addrx1
      return { kind: 'num', v: c.u8(), form };
    case 0x2a: // addrx2
      return { kind: 'num', v: c.u16(), form };
    case 0x2b: // addrx3
      return { kind: 'num', v: c.u24(), form };
    case 0x2c: // addrx4
      return { kind: 'num', v: c.u32(), form };
    default:
      throw new RangeError(`DWARF: unknown attribute form 0x${form.toString(16)}`);
  }
}

/** The abbreviation `code` of the table at `off` in .debug_abbrev: its tag and (attribute, form, implicit) triples. */
function findAbbrev(abbrev: Buffer, off: number, code: number, le: boolean): { tag: number; specs: [number, number, number][] } | null {
  const c = new Cursor(abbrev, off, le);
  while (c.left > 0) {
    const k = c.uleb();
    if (k === 0) return null;
    const tag = c.uleb();
    c.u8(); // children
    const specs: [number, number, number][] | null = k === code ? [] : null;
    for (;;) {
      const at = c.uleb();
      const form = c.uleb();
      if (at === 0 && form === 0) break;
      const implicit = form === FORM_IMPLICIT_CONST ? c.sleb() : 0;
      specs?.push([at, form, implicit]);
    }
    if (specs) return { tag, specs };
  }
  return null;
}

/** The DWARF sections this reader uses, read whole (all small next to .debug_info) or lazily. */
class Sections {
  private cache = new Map<string, Promise<Buffer>>();
  constructor(readonly elf: ElfFile) {}
  loaded(name: string): boolean {
    return this.cache.has(name);
  }
  has(name: string): boolean {
    return this.elf.section(name) !== undefined;
  }
  get(name: string): Promise<Buffer> {
    let p = this.cache.get(name);
    if (!p) {
      const s = this.elf.section(name);
      p = s ? this.elf.reader.read(s.offset, s.size) : Promise.resolve(Buffer.alloc(0));
      this.cache.set(name, p);
    }
    return p;
  }
}

/** A unit's header fields and its first DIE's attributes, or null for a unit that is not a compile unit. */
interface UnitHead {
  offset: number;
  version: number;
  dwarf64: boolean;
  addrSize: number;
  die: UnitDie;
}

async function readUnitHead(secs: Sections, info: { offset: number; size: number }, off: number, end: number, le: boolean): Promise<UnitHead | null> {
  const abbrev = await secs.get('.debug_abbrev');
  let want = Math.min(DIE_WINDOW, end - off);
  for (;;) {
    const b = secs.elf.reader.readSync(info.offset + off, want);
    try {
      const c = new Cursor(b, 0, le);
      const len = unitLength(c);
      if (!len) return null;
      const dwarf64 = len[1];
      const version = c.u16();
      let unitType = UT_COMPILE;
      let addrSize: number;
      let abbrevOff: number;
      if (version >= 5) {
        unitType = c.u8();
        addrSize = c.u8();
        abbrevOff = c.offset(dwarf64);
      } else {
        abbrevOff = c.offset(dwarf64);
        addrSize = c.u8();
      }
      if (version < 2 || version > 5 || (unitType !== UT_COMPILE && unitType !== UT_PARTIAL)) return null;
      const code = c.uleb();
      if (code === 0) return null;
      const ab = findAbbrev(abbrev, abbrevOff, code, le);
      if (!ab || ab.tag !== TAG_COMPILE_UNIT) return null;
      const attrs = new Map<number, Value>();
      for (const [at, form, implicit] of ab.specs) {
        const v = readForm(c, form, addrSize, dwarf64, version, implicit);
        if (v && !attrs.has(at)) attrs.set(at, v);
      }
      return { offset: off, version, dwarf64, addrSize, die: { attrs } };
    } catch (err) {
      // the DIE runs past the window: read the unit's first 64 KiB (or all of it) once more
      if (err instanceof RangeError && err.message === 'DWARF: read past the end' && want < end - off && want < 65536) {
        want = Math.min(65536, end - off);
        continue;
      }
      throw err;
    }
  }
}

async function stringOf(secs: Sections, v: Value | undefined, head: UnitHead, le: boolean): Promise<string> {
  if (!v) return '';
  if (v.kind === 'str') return v.s;
  if (v.kind === 'strp') {
    const b = await secs.get(v.sec === 'str' ? '.debug_str' : '.debug_line_str');
    const end = b.indexOf(0, v.off);
    return v.off < b.length ? b.toString('utf8', v.off, end < 0 ? b.length : end) : '';
  }
  if (v.kind === 'strx') {
    // DW_AT_str_offsets_base points past the .debug_str_offsets header (8 bytes, 16 in 64-bit DWARF)
    const base = head.die.attrs.get(AT_STR_OFFSETS_BASE);
    const size = head.dwarf64 ? 8 : 4;
    const start = (base && base.kind === 'num' ? base.v : head.dwarf64 ? 16 : 8) + v.index * size;
    const offs = await secs.get('.debug_str_offsets');
    if (start + size > offs.length) return '';
    const c = new Cursor(offs, start, le);
    return stringOf(secs, { kind: 'strp', off: c.offset(head.dwarf64), sec: 'str' }, head, le);
  }
  return '';
}

/** Ranges of a unit from its DIE: low_pc/high_pc, else DW_AT_ranges. */
async function dieRanges(secs: Sections, head: UnitHead, le: boolean): Promise<[number, number][]> {
  const a = head.die.attrs;
  const low = a.get(AT_LOW_PC);
  const high = a.get(AT_HIGH_PC);
  const base = low && low.kind === 'num' && low.form === FORM_ADDR ? low.v : 0;
  const ranges = a.get(AT_RANGES);
  if (ranges && ranges.kind === 'num') {
    if (head.version >= 5) return rnglist(secs, head, ranges, base, le);
    return oldRanges(await secs.get('.debug_ranges'), ranges.v, base, head.addrSize, le);
  }
  if (low && low.kind === 'num' && low.form === FORM_ADDR && high && high.kind === 'num') {
    const end = high.form === FORM_ADDR ? high.v : low.v + high.v;
    return end > low.v ? [[low.v, end]] : [];
  }
  return [];
}

/** A DWARF 5 range list (.debug_rnglists) at DW_AT_ranges (an offset, or an index with DW_FORM_rnglistx). */
async function rnglist(secs: Sections, head: UnitHead, ranges: { v: number; form: number }, base: number, le: boolean): Promise<[number, number][]> {
  const b = await secs.get('.debug_rnglists');
  let off = ranges.v;
  if (ranges.form === FORM_RNGLISTX) {
    const rb = head.die.attrs.get(AT_RNGLISTS_BASE);
    const listBase = rb && rb.kind === 'num' ? rb.v : head.dwarf64 ? 20 : 12;
    const c = new Cursor(b, listBase + ranges.v * (head.dwarf64 ? 8 : 4), le);
    off = listBase + c.offset(head.dwarf64);
  }
  const out: [number, number][] = [];
  const c = new Cursor(b, off, le);
  const size = head.addrSize;
  for (;;) {
    const kind = c.u8();
    if (kind === 0) break; // DW_RLE_end_of_list
    if (kind === 1 || kind === 2 || kind === 3) {
      // base_addressx, startx_endx, startx_length: indexes into .debug_addr (split DWARF): skipped
      c.uleb();
      if (kind !== 1) c.uleb();
      continue;
    }
    if (kind === 4) {
      const s = c.uleb();
      const e = c.uleb();
      if (e > s) out.push([base + s, base + e]);
    } else if (kind === 5) base = c.addr(size);
    else if (kind === 6) {
      const s = c.addr(size);
      const e = c.addr(size);
      if (e > s) out.push([s, e]);
    } else if (kind === 7) {
      const s = c.addr(size);
      const l = c.uleb();
      if (l > 0) out.push([s, s + l]);
    } else throw new RangeError(`DWARF: unknown range list entry ${kind}`);
  }
  return out;
}

/** A DWARF 2-4 range list (.debug_ranges): (start, end) pairs relative to the base, (0, 0) ends it. */
function oldRanges(b: Buffer, off: number, base: number, size: number, le: boolean): [number, number][] {
  const out: [number, number][] = [];
  const c = new Cursor(b, off, le);
  for (;;) {
    if (c.isMaxAddr(size)) {
      c.skip(size);
      base = c.addr(size);
      continue;
    }
    const s = c.addr(size);
    const e = c.addr(size);
    if (s === 0 && e === 0) break;
    if (e > s) out.push([base + s, base + e]);
  }
  return out;
}

/** .debug_aranges: debug_info offset -> that unit's ranges. */
function readAranges(b: Buffer, le: boolean): Map<number, [number, number][]> {
  const out = new Map<number, [number, number][]>();
  let off = 0;
  while (off + 4 <= b.length) {
    const c = new Cursor(b, off, le);
    const len = unitLength(c);
    if (!len) break;
    const end = c.pos + len[0];
    c.u16(); // version
    const infoOff = c.offset(len[1]);
    const addrSize = c.u8();
    const segSize = c.u8();
    const tuple = 2 * addrSize;
    // tuples start at the first multiple of the tuple size from the set's start
    const rel = c.pos - off;
    if (tuple > 0 && rel % tuple !== 0) c.skip(tuple - (rel % tuple));
    let list = out.get(infoOff);
    if (!list) out.set(infoOff, (list = []));
    while (c.pos + segSize + tuple <= end) {
      c.skip(segSize);
      const start = c.addr(addrSize);
      const length = c.addr(addrSize);
      if (start === 0 && length === 0) break;
      if (length > 0) list.push([start, start + length]);
    }
    off = end;
  }
  return out;
}

/**
 * The root of the source tree, stripped from absolute paths: where a unit's relative DW_AT_comp_dir
 * ends another unit's absolute one (a kernel built with -fdebug-prefix-map, e.g. Debian's: C files
 * `arch/x86/kernel/head64.c` in `debian/build/...`, assembler files absolute with the absolute
 * build directory), else the longest directory prefix of every absolute path (units' files and
 * build directories): the top of the tree for a kernel built in it or in a directory under it.
 */
export function sourceRoot(units: readonly { name: string; compDir: string }[]): string {
  const absDirs = new Set<string>();
  const relDirs = new Set<string>();
  for (const u of units) {
    if (u.compDir === '') continue;
    if (u.compDir.startsWith('/')) absDirs.add(posix.normalize(u.compDir).replace(/\/$/, ''));
    else relDirs.add(posix.normalize(u.compDir).replace(/\/$/, ''));
  }
  for (const r of relDirs) if (r !== '.') for (const a of absDirs) if (a.endsWith(`/${r}`)) return a.slice(0, a.length - r.length - 1);
  let common: string[] | null = null;
  const add = (p: string): void => {
    const parts = posix.normalize(p).split('/').slice(0, -1);
    if (common === null) common = parts;
    else {
      let i = 0;
      while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
      common.length = i;
    }
  };
  for (const u of units) {
    const full = fullPath(u);
    if (full.startsWith('/')) add(full);
  }
  for (const a of absDirs) add(`${a}/x`);
  const root = (common as string[] | null)?.join('/') ?? '';
  return root === '' || root === '/' ? '' : root;
}

/** A unit's file as an absolute path when DW_AT_name or DW_AT_comp_dir makes it one, else as written. */
function fullPath(u: { name: string; compDir: string }): string {
  if (u.name.startsWith('/')) return posix.normalize(u.name);
  if (u.compDir.startsWith('/')) return posix.join(u.compDir, u.name);
  return posix.normalize(u.name);
}

/** A unit's file relative to `root` (an absolute path outside the root stays absolute). */
export function treePath(u: { name: string; compDir: string }, root: string): string {
  const full = fullPath(u);
  if (root !== '' && full.startsWith(`${root}/`)) return full.slice(root.length + 1);
  return full.replace(/^\.\//, '');
}

/** What reading the compile units cost, for messages and the check script. */
export interface CompileUnitStats {
  units: number;
  fromAranges: number;
  fromDie: number;
  bytesRead: number;
}

/**
 * The compile units of the ELF file at `path` and their ranges; null when it has no .debug_info
 * (an ELF without DWARF). A malformed section is an error naming the file. `aranges: false` ignores
 * .debug_aranges (every unit's ranges from its DIE: what a clang build gives; tests compare both).
 */
export async function readCompileUnits(path: string, opts: { aranges?: boolean } = {}): Promise<{ map: CompileUnitMap; stats: CompileUnitStats } | null> {
  const elf = await openElf(path);
  try {
    const info = elf.section('.debug_info');
    if (!info || info.size === 0) return null;
    const le = elf.le;
    const secs = new Sections(elf);
    const aranges =
      opts.aranges !== false && secs.has('.debug_aranges') ? readAranges(await secs.get('.debug_aranges'), le) : new Map<number, [number, number][]>();
    const units: CompileUnit[] = [];
    const rangeList: [number, number, number][] = [];
    let fromAranges = 0;
    let fromDie = 0;
    let bytesRead = 0;
    let off = 0;
    while (off + 4 <= info.size) {
      const lb = elf.reader.readSync(info.offset + off, 12);
      const len = unitLength(new Cursor(lb, 0, le));
      if (!len) break;
      const end = off + (len[1] ? 12 : 4) + len[0];
      if (end > info.size || len[0] === 0) break;
      const head = await readUnitHead(secs, info, off, end, le);
      bytesRead += Math.min(DIE_WINDOW, end - off);
      if (head) {
        const name = await stringOf(secs, head.die.attrs.get(AT_NAME), head, le);
        const compDir = await stringOf(secs, head.die.attrs.get(AT_COMP_DIR), head, le);
        const idx = units.length;
        units.push({ offset: off, name, compDir, file: '' });
        let ranges = aranges.get(off);
        if (ranges && ranges.length > 0) fromAranges++;
        else {
          ranges = await dieRanges(secs, head, le);
          if (ranges.length > 0) fromDie++;
        }
        for (const [s, e] of ranges) if (!Number.isNaN(s) && !Number.isNaN(e)) rangeList.push([s, e, idx]);
      }
      off = end;
    }
    const root = sourceRoot(units);
    for (const u of units) u.file = treePath(u, root);
    rangeList.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const starts = new Float64Array(rangeList.length);
    const ends = new Float64Array(rangeList.length);
    const unitOf = new Int32Array(rangeList.length);
    rangeList.forEach(([s, e, u], i) => {
      starts[i] = s;
      ends[i] = e;
      unitOf[i] = u;
    });
    for (const name of ['.debug_aranges', '.debug_abbrev', '.debug_str', '.debug_line_str', '.debug_str_offsets', '.debug_rnglists', '.debug_ranges'])
      if (secs.loaded(name)) bytesRead += elf.section(name)?.size ?? 0;
    return { map: new CompileUnitMap(units, starts, ends, unitOf, root), stats: { units: units.length, fromAranges, fromDie, bytesRead } };
  } catch (err) {
    if (err instanceof RangeError) throw new BootprofError('E_SYMBOLS', `${path}: malformed DWARF (${err.message})`);
    throw err;
  } finally {
    await elf.reader.close();
  }
}
