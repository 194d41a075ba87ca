/**
 * The System.map / kallsyms / ELF loaders under hostile input: inserted garbage lines are counted and
 * change nothing; CR LF, NUL bytes and invalid UTF-8 in names; a 10 MB line without a newline; random
 * bytes, truncation and mutation of text, gzip and ELF files: only a one-line BootprofError escapes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BootprofError } from '../../src/io/errors.js';
import { parseSymbolText } from '../../src/symbols/kallsyms.js';
import { loadRawSource, loadSymbolSources, mergeSources } from '../../src/symbols/sources.js';
import { memorySource } from '../../src/io/source.js';
import { runPipeline } from '../../src/pipeline.js';
import { ResolveWriter } from '../../src/output/resolved.js';
import type { OutputSink } from '../../src/output/sink.js';
import { systemMapText } from '../formats-helpers.js';
import { fuzzCases, fuzzDeadline, fuzzReport, fuzzSeed, prng, randomBytes, type Rnd } from './gen.js';
import { writeElf } from '../elf-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-maps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAP_LINES = systemMapText()
  .split('\n')
  .filter((l) => l !== '');
const MAP_SAMPLE_TRACE = new URL('../../samples/kernel-entry-20k.log.gz', import.meta.url).pathname;

/** Bytes no line of a symbol list can start with: not hex, not whitespace (JS trim/\s: also VT, FF, NBSP). */
const NOT_SYMBOL_START: number[] = [];
for (let c = 0; c < 256; c++) {
  const hex = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
  if (!hex && !(c >= 0x09 && c <= 0x0d) && c !== 0x20 && c !== 0xa0) NOT_SYMBOL_START.push(c);
}

function garbageLine(rnd: Rnd): string {
  return (
    String.fromCharCode(NOT_SYMBOL_START[rnd(NOT_SYMBOL_START.length)]) +
    randomBytes(rnd, rnd(80))
      .toString('latin1')
      .replace(/[\n\r]/g, ' ')
  );
}

function tableOf(text: string) {
  const raw = parseSymbolText(text, 'System.map');
  const t = mergeSources([raw]).table;
  return { raw, t: { addrs: Array.from(t.addrs), fnAt: Array.from(t.fnAt), names: t.names, marks: t.marks } };
}

async function loads(path: string): Promise<string> {
  try {
    const s = await loadSymbolSources({ maps: [path] });
    expect(s.table!.textSymbols).toBeGreaterThan(0);
    return 'ok';
  } catch (err) {
    if (!(err instanceof BootprofError)) throw err;
    expect(err.message).not.toMatch(/\n/);
    expect(err.message.startsWith(path)).toBe(true);
    return err.code;
  }
}

describe('symbol sources under hostile input', () => {
  it('garbage lines in a System.map are counted as malformed and change nothing (CR LF too)', () => {
    const seed = fuzzSeed(0x5157);
    const rnd = prng(seed);
    const deadline = fuzzDeadline();
    let c = 0;
    for (; c < fuzzCases(6) && Date.now() < deadline; c++) {
      const at = rnd(MAP_LINES.length - 3000);
      const good = MAP_LINES.slice(at, at + 3000);
      const mixed: string[] = [];
      let bad = 0;
      for (const l of good) {
        mixed.push(rnd(10) === 0 ? l + '\r' : l);
        if (rnd(12) === 0) {
          mixed.push(garbageLine(rnd));
          bad++;
        }
      }
      const want = tableOf(good.join('\n') + '\n');
      const got = tableOf(mixed.join('\n') + '\n');
      expect(got.raw.malformed, `case ${c} seed ${seed}`).toBe(bad);
      expect(got.t, `case ${c} seed ${seed}`).toEqual(want.t);
    }
    fuzzReport(`System.map garbage lines seed ${seed}`, c);
  }, 600_000);

  it('NUL bytes and invalid UTF-8 in symbol names: kept byte for byte (resolve writes them back)', async () => {
    const weird = Buffer.from([0x66, 0xff, 0xfe, 0x00, 0xc3, 0x28, 0x5f, 0x78]); // f \xff \xfe NUL \xc3( _x
    const map = Buffer.concat([Buffer.from('ffffffff81000000 T '), weird, Buffer.from('\r\nffffffff81000100 T next\n')]);
    const path = join(dir, 'weird.map');
    writeFileSync(path, map);
    const s = await loadSymbolSources({ maps: [path] });
    expect(s.table!.names).toContain(weird.toString('latin1'));
    const chunks: string[] = [];
    const sink: OutputSink = {
      isTTY: false,
      path: 'x',
      write: async (t) => void chunks.push(typeof t === 'string' ? t : Buffer.from(t).toString('latin1')),
      close: async () => {},
      discard: () => {},
    };
    await runPipeline(
      { source: memorySource(Buffer.from('1@1.000000:exec_tb tb:0x1 pc=0xffffffff81000010\n1@1.000001:exec_tb tb:0x1 pc=0xffffffff81000100\n')) },
      (info) => [new ResolveWriter(sink, info.names)],
      s,
    );
    const out = Buffer.from(chunks.join(''), 'latin1');
    expect(out).toEqual(Buffer.concat([Buffer.from('0 0 '), weird, Buffer.from('+0x10\n1000 0 next+0x0\n')]));
  });

  it('a 10 MB line without a newline at the end of a map: one malformed line, the rest loads', async () => {
    const path = join(dir, 'long.map');
    writeFileSync(path, Buffer.concat([Buffer.from(MAP_LINES.slice(0, 5000).join('\n') + '\n'), Buffer.alloc(10 << 20, 0x7a)]));
    const raw = await loadRawSource(path);
    expect(raw.malformed).toBe(1);
    expect(raw.keys.length).toBe(5000);
  });

  it('an ELF whose symbol table claims 4 GiB or lies past the end of the file: one line, no abort (CLI)', () => {
    const elf = writeElf(
      MAP_LINES.slice(20000, 20100).map((l) => ({ name: l.split(' ')[2], value: BigInt('0x' + l.slice(0, 16)), size: 16n, text: true, bind: 1 })),
    );
    const shoff = Number(elf.readBigUInt64LE(0x28));
    const bin = new URL('../../bin/bootprof.js', import.meta.url).pathname;
    for (const [label, patch] of [
      ['size 4 GiB', (b: Buffer) => b.writeBigUInt64LE(0x100000000n, shoff + 64 * 3 + 0x20)],
      ['offset 1 TiB', (b: Buffer) => b.writeBigUInt64LE(0x10000000000n, shoff + 64 * 3 + 0x18)],
      ['string table size 3 GiB', (b: Buffer) => b.writeBigUInt64LE(0xc0000000n, shoff + 64 * 4 + 0x20)],
    ] as const) {
      const b = Buffer.from(elf);
      patch(b);
      const path = join(dir, `huge-${label.replace(/\W+/g, '-')}.elf`);
      writeFileSync(path, b);
      const r = spawnSync('node', [bin, 'info', MAP_SAMPLE_TRACE, '--map', path, '-q'], { encoding: 'utf8' });
      expect([label, r.status === 0 || r.status === 2], r.stderr).toEqual([label, true]);
      expect(r.stderr, label).not.toMatch(/Assertion failed|Native stack|internal error/);
    }
  });

  it('random bytes, truncated and mutated maps (text, gzip, ELF): loaded or one clear line naming the file', async () => {
    const seed = fuzzSeed(0xe1f);
    const rnd = prng(seed);
    const text = Buffer.from(MAP_LINES.slice(20000, 22000).join('\n') + '\n');
    const elf = writeElf(
      MAP_LINES.slice(20000, 20400).map((l, i) => {
        const [a, t, n] = l.split(' ');
        return { name: n, value: BigInt('0x' + a), size: 16n, text: /[tTwW]/.test(t), bind: i % 2 };
      }),
    );
    const codes = new Map<string, number>();
    const deadline = fuzzDeadline();
    let c = 0;
    for (; c < fuzzCases(40) && Date.now() < deadline; c++) {
      const base = [text, gzipSync(text), elf, gzipSync(elf)][rnd(4)];
      let bytes: Buffer;
      const k = rnd(4);
      if (k === 0) bytes = Buffer.concat([base.subarray(0, rnd(4) === 0 ? 4 : 0), randomBytes(rnd, rnd(5000))]);
      else if (k === 1) bytes = base.subarray(0, 1 + rnd(base.length - 1));
      else {
        bytes = Buffer.from(base);
        for (let m = 1 + rnd(k === 2 ? 3 : 100); m > 0; m--) bytes[rnd(bytes.length)] = rnd(256);
      }
      const path = join(dir, `fuzz-${c}.map`);
      writeFileSync(path, bytes);
      const code = await loads(path);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    fuzzReport(`symbol files (text, gzip, ELF) seed ${seed}`, c, JSON.stringify(Object.fromEntries(codes)));
    for (const code of codes.keys()) expect(['ok', 'E_SYMBOLS', 'E_GZIP', 'E_EMPTY', 'E_UNREADABLE']).toContain(code);
    expect(codes.get('ok')).toBeGreaterThan(0);
  }, 120_000);
});
