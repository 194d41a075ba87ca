/** A small ELF64 writer for tests: symbol tables to load as --vmlinux (symbols-sources, reliability fuzz). */
/** Writes an ELF64 little-endian relocatable-style file with .text, .data, .symtab, .strtab, .shstrtab. */
/** `type`: the ELF type (2 ET_EXEC, 3 ET_DYN: a PIE). */
export function writeElf(syms: { name: string; value: bigint; size: bigint; text: boolean; bind: number }[], type = 2): Buffer {
  const shstr = Buffer.from('\0.text\0.data\0.symtab\0.strtab\0.shstrtab\0', 'latin1');
  const nameOff = (n: string) => shstr.indexOf(Buffer.from(n + '\0', 'latin1'));
  const strParts: Buffer[] = [Buffer.from([0])];
  let strLen = 1;
  const symtab = Buffer.alloc(24 * (syms.length + 1));
  syms.forEach((s, i) => {
    const o = 24 * (i + 1);
    symtab.writeUInt32LE(strLen, o);
    const nb = Buffer.from(s.name + '\0', 'latin1');
    strParts.push(nb);
    strLen += nb.length;
    symtab[o + 4] = (s.bind << 4) | 2; // STT_FUNC (data symbols: STT_OBJECT below)
    if (!s.text) symtab[o + 4] = (s.bind << 4) | 1;
    symtab.writeUInt16LE(s.text ? 1 : 2, o + 6);
    symtab.writeBigUInt64LE(s.value, o + 8);
    symtab.writeBigUInt64LE(s.size, o + 16);
  });
  const strtab = Buffer.concat(strParts);
  const ehdr = Buffer.alloc(64);
  const symOff = 64;
  const strOff = symOff + symtab.length;
  const shstrOff = strOff + strtab.length;
  const shOff = Math.ceil((shstrOff + shstr.length) / 8) * 8;
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(ehdr, 0);
  ehdr.writeUInt16LE(type, 0x10); // ET_EXEC or ET_DYN
  ehdr.writeUInt16LE(62, 0x12); // EM_X86_64
  ehdr.writeBigUInt64LE(BigInt(shOff), 0x28);
  ehdr.writeUInt16LE(64, 0x34);
  ehdr.writeUInt16LE(64, 0x3a);
  ehdr.writeUInt16LE(6, 0x3c);
  ehdr.writeUInt16LE(5, 0x3e);
  const sh = Buffer.alloc(64 * 6);
  const sec = (i: number, name: string, type: number, flags: number, off: number, size: number, link = 0, entsize = 0) => {
    const o = 64 * i;
    sh.writeUInt32LE(nameOff(name), o);
    sh.writeUInt32LE(type, o + 4);
    sh.writeBigUInt64LE(BigInt(flags), o + 8);
    sh.writeBigUInt64LE(BigInt(off), o + 0x18);
    sh.writeBigUInt64LE(BigInt(size), o + 0x20);
    sh.writeUInt32LE(link, o + 0x28);
    sh.writeBigUInt64LE(BigInt(entsize), o + 0x38);
  };
  sec(1, '.text', 8, 0x6, 0, 0); // NOBITS-like: no bytes needed, SHF_ALLOC|SHF_EXECINSTR
  sec(2, '.data', 8, 0x3, 0, 0);
  sec(3, '.symtab', 2, 0, symOff, symtab.length, 4, 24);
  sec(4, '.strtab', 3, 0, strOff, strtab.length);
  sec(5, '.shstrtab', 3, 0, shstrOff, shstr.length);
  const pad = Buffer.alloc(shOff - (shstrOff + shstr.length));
  return Buffer.concat([ehdr, symtab, strtab, shstr, pad, sh]);
}
