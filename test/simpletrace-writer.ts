/**
 * A QEMU simple trace file writer for tests: inputs for the simpletrace-bin parser, written from the
 * layout documented in src/formats/simpletrace-bin.ts (the fixture trace-4491.bin was made with it).
 */
import { HEADER_VERSION } from '../src/formats/simpletrace-bin.js';

/** Writes a version-4 simple trace file, little-endian unless `le` is false. */
export function writeSimpleTrace(
  records: readonly ({ map: number; name: string } | { id: number | bigint; ns: bigint; pid: number; args: readonly bigint[] })[],
  le = true,
): Buffer {
  const parts: Buffer[] = [];
  const u64 = (v: bigint): Buffer => {
    const b = Buffer.alloc(8);
    if (le) b.writeBigUInt64LE(v);
    else b.writeBigUInt64BE(v);
    return b;
  };
  const u32b = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(v);
    else b.writeUInt32BE(v);
    return b;
  };
  parts.push(u64(0xffffffffffffffffn), u64(0xf2b177cb0aa429b4n), u64(BigInt(HEADER_VERSION)));
  for (const r of records) {
    if ('map' in r) {
      const name = Buffer.from(r.name, 'latin1');
      parts.push(u64(0n), u64(BigInt(r.map)), u32b(name.length), name);
    } else {
      parts.push(u64(1n), u64(BigInt(r.id)), u64(r.ns), u32b(24 + 8 * r.args.length), u32b(r.pid));
      for (const a of r.args) parts.push(u64(a));
    }
  }
  return Buffer.concat(parts);
}
