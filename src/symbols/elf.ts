/**
 * Symbols of an ELF64 file (vmlinux): the `.symtab` section (SHT_SYMTAB; `.dynsym` when there is
 * none) with its linked string table, read by positioned reads (a vmlinux with debug info is
 * hundreds of MB: only the headers and the two sections are read).
 *
 * Layouts (the System V ABI / elf(5); include/uapi/linux/elf.h): Elf64_Ehdr e_shoff @0x28,
 * e_shentsize @0x3a, e_shnum @0x3c; Elf64_Shdr (64 bytes) sh_type @4, sh_flags @8, sh_offset @0x18,
 * sh_size @0x20, sh_link @0x28, sh_entsize @0x38; Elf64_Sym (24 bytes) st_name u32, st_info u8,
 * st_other u8, st_shndx u16, st_value u64, st_size u64.
 *
 * Types follow nm: a symbol in an executable section (SHF_EXECINSTR) is text: T (global), W (weak),
 * t (local); SHN_ABS is A; anything else D/d. Section and file symbols are skipped. st_size bounds
 * the function (table.ts): a pc past a function's end is no function.
 */
import { promises as fsp, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { BootprofError, fsError } from '../io/errors.js';
import { isGzip } from '../io/source.js';
import { addressKey } from './address.js';
import { emptyRaw, type RawSymbols } from './kallsyms.js';

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const SHF_EXECINSTR = 0x4;
const SHN_UNDEF = 0;
const SHN_ABS = 0xfff1;
const SHN_LORESERVE = 0xff00;
const STT_SECTION = 3;
const STT_FILE = 4;
const STB_LOCAL = 0;
const STB_WEAK = 2;
const SYM_SIZE = 24;

export function isElf(head: Uint8Array): boolean {
  return head.length >= 4 && ELF_MAGIC.every((b, i) => head[i] === b);
}

/** Positioned reads of an ELF file (or of its bytes in memory). */
export interface ElfReader {
  read(off: number, len: number): Promise<Buffer>;
  /** The same, synchronously: for many small reads (a DWARF reader's unit headers), ~50x cheaper each. */
  readSync(off: number, len: number): Buffer;
  close(): Promise<void>;
}

/** A reader over bytes already in memory (a gzip-compressed ELF, an ELF read from a pipe). */
function memoryReader(all: Buffer): ElfReader {
  return { read: async (off, len) => all.subarray(off, off + len), readSync: (off, len) => all.subarray(off, off + len), close: async () => {} };
}

async function openReader(path: string, bytes?: Buffer): Promise<ElfReader> {
  if (bytes) return memoryReader(bytes);
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (err) {
    throw fsError(err, path);
  }
  const magic = Buffer.alloc(2);
  await fh.read(magic, 0, 2, 0);
  if (isGzip(magic)) {
    const all = gunzipSync(await fh.readFile());
    await fh.close();
    return memoryReader(all);
  }
  const size = (await fh.stat()).size;
  return {
    // Offsets and lengths come from the file: a corrupt one (a 4 GiB section) must neither allocate
    // it nor reach fs.read (whose length must fit an int32: node aborts the process otherwise).
    // Reads are clamped to the file; callers check what they got.
    async read(off, len) {
      const n = off >= 0 && off < size ? Math.max(0, Math.min(len, size - off)) : 0;
      const b = Buffer.alloc(n);
      if (n === 0) return b;
      const { bytesRead } = await fh.read(b, 0, n, off);
      return b.subarray(0, bytesRead);
    },
    readSync(off, len) {
      const n = off >= 0 && off < size ? Math.max(0, Math.min(len, size - off)) : 0;
      const b = Buffer.allocUnsafe(n);
      if (n === 0) return b;
      return b.subarray(0, readSync(fh.fd, b, 0, n, off));
    },
    close: () => fh.close(),
  };
}

function u64(b: Buffer, off: number, le: boolean): number {
  const v = le ? b.readBigUInt64LE(off) : b.readBigUInt64BE(off);
  return Number(v);
}

/** One section header; `addr` is the address key (address.ts) of where it is loaded. */
export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
}

/** An open ELF64 file: its section headers (with names) and positioned reads. Close it after use. */
export interface ElfFile {
  path: string;
  le: boolean;
  /** e_type: 2 ET_EXEC (fixed addresses), 3 ET_DYN (position-independent), ... */
  type: number;
  sections: ElfSection[];
  reader: ElfReader;
  /** The section named so, or undefined. */
  section(name: string): ElfSection | undefined;
}

/** Opens the ELF64 file at `path` (or `bytes`, its content read already) and reads its section headers. */
export async function openElf(path: string, bytes?: Buffer): Promise<ElfFile> {
  const r = await openReader(path, bytes);
  try {
    const eh = await r.read(0, 64);
    if (!isElf(eh)) throw new BootprofError('E_SYMBOLS', `${path}: not an ELF file`);
    if (eh[4] !== ELFCLASS64) throw new BootprofError('E_SYMBOLS', `${path}: a 32-bit ELF file; bootprof reads ELF64 (x86-64, arm64 vmlinux)`);
    const le = eh[5] === ELFDATA2LSB;
    const shoff = u64(eh, 0x28, le);
    const shentsize = le ? eh.readUInt16LE(0x3a) : eh.readUInt16BE(0x3a);
    const shnum = le ? eh.readUInt16LE(0x3c) : eh.readUInt16BE(0x3c);
    const shstrndx = le ? eh.readUInt16LE(0x3e) : eh.readUInt16BE(0x3e);
    if (shoff === 0 || shnum === 0 || shentsize < 64) throw new BootprofError('E_SYMBOLS', `${path}: ELF file without section headers`);
    const sh = await r.read(shoff, shnum * shentsize);
    if (sh.length < shnum * shentsize) throw new BootprofError('E_SYMBOLS', `${path}: truncated ELF section headers`);
    const sections: ElfSection[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = i * shentsize;
      const addrLo = le ? sh.readUInt32LE(o + 0x10) : sh.readUInt32BE(o + 0x14);
      const addrHi = le ? sh.readUInt32LE(o + 0x14) : sh.readUInt32BE(o + 0x10);
      sections.push({
        name: '',
        type: le ? sh.readUInt32LE(o + 4) : sh.readUInt32BE(o + 4),
        flags: u64(sh, o + 8, le),
        addr: addressKey(addrHi, addrLo),
        offset: u64(sh, o + 0x18, le),
        size: u64(sh, o + 0x20, le),
        link: le ? sh.readUInt32LE(o + 0x28) : sh.readUInt32BE(o + 0x28),
      });
    }
    const names = shstrndx < shnum ? await r.read(sections[shstrndx].offset, Math.min(sections[shstrndx].size, 1 << 20)) : Buffer.alloc(0);
    const nameOffs: number[] = [];
    for (let i = 0; i < shnum; i++) nameOffs.push(le ? sh.readUInt32LE(i * shentsize) : sh.readUInt32BE(i * shentsize));
    for (let i = 0; i < shnum; i++) {
      const start = nameOffs[i];
      let end = start;
      while (end < names.length && names[end] !== 0) end++;
      sections[i].name = start < names.length ? names.toString('latin1', start, end) : '';
    }
    const type = le ? eh.readUInt16LE(0x10) : eh.readUInt16BE(0x10);
    return { path, le, type, sections, reader: r, section: (name) => sections.find((s) => s.name === name) };
  } catch (err) {
    await r.close();
    throw err;
  }
}

/** Reads the symbol table of the ELF64 file at `path` (or of `bytes`, its content read already). */
export async function readElfSymbols(path: string, bytes?: Buffer): Promise<RawSymbols> {
  return elfSymbols(await openElf(path, bytes));
}

/** Reads the symbol table of an open ELF file, and closes it. */
export async function elfSymbols(elf: ElfFile): Promise<RawSymbols> {
  const path = elf.path;
  const r = elf.reader;
  const le = elf.le;
  const shnum = elf.sections.length;
  const sec = (i: number): ElfSection => elf.sections[i];
  try {
    let symIdx = -1;
    for (let i = 0; i < shnum; i++) if (sec(i).type === SHT_SYMTAB) symIdx = i;
    if (symIdx < 0) for (let i = 0; i < shnum; i++) if (sec(i).type === SHT_DYNSYM) symIdx = i;
    if (symIdx < 0) throw new BootprofError('E_SYMBOLS', `${path}: no .symtab (a stripped ELF file); use the unstripped vmlinux or System.map`);
    const symSec = sec(symIdx);
    const strSec = sec(symSec.link);
    const syms = await r.read(symSec.offset, symSec.size);
    const strs = await r.read(strSec.offset, strSec.size);
    const exec: boolean[] = [];
    for (let i = 0; i < shnum; i++) exec.push((sec(i).flags & SHF_EXECINSTR) !== 0);
    const raw = emptyRaw(symSec.type === SHT_SYMTAB ? 'ELF .symtab' : 'ELF .dynsym', path);
    const count = Math.floor(syms.length / SYM_SIZE);
    for (let k = 1; k < count; k++) {
      const o = k * SYM_SIZE;
      const nameOff = le ? syms.readUInt32LE(o) : syms.readUInt32BE(o);
      const info = syms[o + 4];
      const shndx = le ? syms.readUInt16LE(o + 6) : syms.readUInt16BE(o + 6);
      const type = info & 0xf;
      const bind = info >> 4;
      if (shndx === SHN_UNDEF || type === STT_SECTION || type === STT_FILE || nameOff === 0) continue;
      const valLo = le ? syms.readUInt32LE(o + 8) : syms.readUInt32BE(o + 12);
      const valHi = le ? syms.readUInt32LE(o + 12) : syms.readUInt32BE(o + 8);
      const size = u64(syms, o + 16, le);
      let end = nameOff;
      while (end < strs.length && strs[end] !== 0) end++;
      const name = strs.toString('latin1', nameOff, end);
      if (name === '') continue;
      let t: string;
      if (shndx === SHN_ABS) t = bind === STB_LOCAL ? 'a' : 'A';
      else if (shndx < SHN_LORESERVE && exec[shndx]) t = bind === STB_WEAK ? 'W' : bind === STB_LOCAL ? 't' : 'T';
      else t = bind === STB_LOCAL ? 'd' : 'D';
      const key = addressKey(valHi, valLo);
      if (Number.isNaN(key)) {
        raw.malformed++;
        continue;
      }
      raw.keys.push(key);
      raw.types.push(t);
      raw.names.push(name);
      raw.sizes.push(size);
    }
    return raw;
  } finally {
    await r.close();
  }
}
