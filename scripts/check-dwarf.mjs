#!/usr/bin/env node
/**
 * Checks bootprof's DWARF reader (src/symbols/dwarf.ts) on a real vmlinux against binutils: for 200
 * functions of a committed sample trace, the compile unit whose address ranges hold the function's
 * address, as `readelf --debug-dump=aranges,info` gives it (test/fixtures/dwarf/kernel-cu.tsv:
 * function, address, the unit's offset in .debug_info, its DW_AT_name). The vmlinux itself (the
 * Debian 6.1.0-47-cloud-amd64 build of the samples, ~600 MB with DWARF) is not committed. Needs
 * `npm run build` first (it reads dist/).
 *
 *   node scripts/check-dwarf.mjs VMLINUX          check; exit 1 on any mismatch
 *   node scripts/check-dwarf.mjs VMLINUX --write  rewrite the expectations with readelf (binutils)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const EXPECTED = join(root, 'test/fixtures/dwarf/kernel-cu.tsv');
const SAMPLE = join(root, 'samples/userspace-500k.log.gz');
const MAP = join(root, 'samples/System.map-6.1.0-47-cloud-amd64.gz');
const COUNT = 200;

const vmlinux = process.argv[2];
if (!vmlinux) {
  process.stderr.write('usage: node scripts/check-dwarf.mjs VMLINUX [--write]\n');
  process.exit(1);
}

function readelf(...args) {
  return execFileSync('readelf', [...args, vmlinux], { maxBuffer: 1 << 30, encoding: 'latin1' });
}

/** The expectations, from binutils only: symbol addresses (readelf -s), aranges and unit names. */
function write() {
  // the functions of the sample: bootprof's own self-time over the committed trace
  const csv = execFileSync(process.execPath, [join(root, 'bin/bootprof.js'), 'self-time', SAMPLE, '--map', MAP, '-f', 'csv', '-q'], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const inSample = new Set(
    csv
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0])
      .filter((n) => n && !n.startsWith('[')),
  );
  const funcs = new Map();
  const seen = new Map();
  for (const line of readelf('-sW').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[3] !== 'FUNC') continue;
    seen.set(f[7], (seen.get(f[7]) ?? 0) + 1);
    funcs.set(f[7], f[1]);
  }
  // names of one function only (same-named static functions are one row in bootprof)
  const names = [...inSample].filter((n) => seen.get(n) === 1).sort();
  const step = names.length / COUNT;
  const chosen = Array.from({ length: Math.min(COUNT, names.length) }, (_, i) => names[Math.floor(i * step)]);
  const sets = [];
  let cur = null;
  for (const line of readelf('--debug-dump=aranges').split('\n')) {
    const off = /Offset into \.debug_info:\s+0x([0-9a-f]+)|Offset into \.debug_info:\s+(\d+)/.exec(line);
    if (off) {
      cur = { offset: off[1] !== undefined ? parseInt(off[1], 16) : Number(off[2]), ranges: [] };
      sets.push(cur);
      continue;
    }
    const r = /^\s+([0-9a-f]{16})\s+([0-9a-f]{16})\s*$/.exec(line);
    if (r && cur) cur.ranges.push([BigInt(`0x${r[1]}`), BigInt(`0x${r[2]}`)]);
  }
  const unitNames = new Map();
  let unit = -1;
  for (const line of readelf('--debug-dump=info', '--dwarf-depth=1').split('\n')) {
    const u = /Compilation Unit @ offset (0x[0-9a-f]+|\d+):/.exec(line);
    if (u) unit = Number(u[1]);
    const n = /DW_AT_name\s+:\s+(?:\([^)]*\):\s+)?(.*)$/.exec(line);
    if (n && unit >= 0 && !unitNames.has(unit)) unitNames.set(unit, n[1]);
  }
  const rows = ['function\taddress\tunit_offset\tunit_name'];
  for (const name of chosen) {
    const addr = BigInt(`0x${funcs.get(name)}`);
    const set = sets.find((s) => s.ranges.some(([a, l]) => addr >= a && addr < a + l));
    rows.push(`${name}\t${funcs.get(name)}\t${set ? `0x${set.offset.toString(16)}` : '-'}\t${set ? unitNames.get(set.offset) : '-'}`);
  }
  writeFileSync(EXPECTED, rows.join('\n') + '\n');
  process.stdout.write(`wrote ${chosen.length} functions to ${EXPECTED}\n`);
}

async function check() {
  const { readCompileUnits } = await import(join(root, 'dist/symbols/dwarf.js'));
  const { readElfSymbols } = await import(join(root, 'dist/symbols/elf.js'));
  const { parseHexKey } = await import(join(root, 'dist/symbols/address.js'));
  const rows = readFileSync(EXPECTED, 'utf8').trim().split('\n').slice(1);
  const t0 = performance.now();
  const got = await readCompileUnits(vmlinux);
  const ms = performance.now() - t0;
  const rss = process.memoryUsage().rss;
  if (!got) throw new Error(`${vmlinux}: no DWARF`);
  const syms = await readElfSymbols(vmlinux);
  const addrOf = new Map();
  for (let i = 0; i < syms.names.length; i++) if ('TtWw'.includes(syms.types[i])) addrOf.set(syms.names[i], syms.keys[i]);
  let ok = 0;
  const bad = [];
  for (const row of rows) {
    const [fn, address, offset, name] = row.split('\t');
    const key = parseHexKey(address);
    const u = got.map.unitAt(key);
    const sym = addrOf.get(fn);
    const same = u !== undefined && `0x${u.offset.toString(16)}` === offset && u.name === name && sym === key;
    if (same) ok++;
    else
      bad.push(
        `${fn} ${address}: readelf ${offset} ${name}; bootprof ${u ? `0x${u.offset.toString(16)} ${u.name}` : 'no unit'}${sym === key ? '' : ' (symbol address differs)'}`,
      );
  }
  const s = got.stats;
  process.stdout.write(
    `${ok}/${rows.length} functions in the compile unit readelf gives\n` +
      `read ${s.units} compile units (${s.fromAranges} with .debug_aranges, ${s.fromDie} from their DIE), ${(s.bytesRead / 1e6).toFixed(1)} MB read, ` +
      `in ${ms.toFixed(0)} ms, RSS ${(rss / 1e6).toFixed(0)} MB; source root ${got.map.root || '(none)'}\n`,
  );
  for (const b of bad) process.stdout.write(`  ${b}\n`);
  process.exitCode = bad.length === 0 ? 0 : 1;
}

if (process.argv.includes('--write')) write();
else await check();
