import { afterEach, describe, expect, it, vi } from 'vitest';
import { cli } from './helpers.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAP_PATH } from './formats-helpers.js';
import { parseTimeUnit } from '../src/commands/common.js';

const FIX = new URL('./fixtures/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'bootprof-cmd-'));

afterEach(() => vi.restoreAllMocks());

describe('bootprof info', () => {
  it('states format, time unit, vCPUs, distinct pcs, resolution and KASLR (JSON)', async () => {
    const r = await cli('info', FIX + 'simpletrace-bin/trace-4491.bin', '--map', MAP_PATH, '--format', 'json');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.out).summary;
    expect(info.format).toBe('simpletrace-bin');
    expect(info.unit).toBe('ns');
    expect(info.events).toBe(40);
    expect(info.vcpus).toEqual([{ cpu: 0, tid: 4415, events: 40 }]);
    expect(info.distinct_pcs).toBeGreaterThan(1);
    expect(info.kernel_half_events).toBe(20);
    expect(info.resolution_rate).toBe(1);
    expect(info.kaslr.slide).toBe('0x0');
    expect(info.malformed_lines).toBe(0);
  });

  it('a pre-resolved trace with --time-unit us (table)', async () => {
    const r = await cli('info', FIX + 'gdb-symbols/seed.txt', '--map', MAP_PATH, '--time-unit', 'us');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^format: +gdb-symbols$/m);
    expect(r.out).toMatch(/^time unit: +input: microseconds \(--time-unit\); bootprof: nanoseconds$/m);
    expect(r.out).toMatch(/^events: +40 in 40 lines$/m);
    expect(r.out).toMatch(/^KASLR slide: +0x0 \(pre-resolved\)$/m);
  });

  it('usage errors exit 1', async () => {
    // (choices such as --time-unit h are commander's: it exits the process itself, tested from the shell)
    expect(() => parseTimeUnit('h')).toThrow(/--time-unit must be one of s, ms, us, ns/);
    expect(parseTimeUnit('µs')).toBe('us');
    expect((await cli('info', FIX + 'gdb-symbols/seed.txt', '--kaslr-offset', 'xyz')).code).toBe(1);
  });
});

describe('bootprof resolve', () => {
  it('streams TIME_NS CPU symbol+0xOFF, identical through every format of the same events', async () => {
    const want = readFileSync(FIX + 'resolved/resolved.txt', 'latin1');
    for (const f of [
      'simpletrace-text/exec_tb.txt',
      'simpletrace-bin/trace-4491.bin',
      'two-column/time-address.txt',
      'two-column/time-symbol.txt',
      'resolved/resolved.txt',
    ]) {
      const r = await cli('resolve', FIX + f, '--map', MAP_PATH, '-q');
      expect(r.code, f).toBe(0);
      expect(r.out, f).toBe(want);
    }
    // the gdb-symbols fixture has 7 fraction digits of seconds: the same ns
    expect((await cli('resolve', FIX + 'gdb-symbols/seed.txt', '--map', MAP_PATH, '-q')).out).toBe(want);
  });

  it('-o writes the file; several --map files and --kaslr-offset are accepted', async () => {
    const mods = join(dir, 'kallsyms');
    writeFileSync(mods, 'ffffffffc0a00000 t e1000_probe\t[e1000]\n');
    const trace = join(dir, 't.txt');
    writeFileSync(trace, '1.0 0xffffffffc0a00010\n1.5 0xffffffffc0a00020\n');
    const out = join(dir, 'out.txt');
    const r = await cli('resolve', trace, '-m', MAP_PATH, '-m', mods, '-o', out, '-q');
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'latin1')).toBe('0 0 e1000_probe [e1000]+0x10\n500000000 0 e1000_probe [e1000]+0x20\n');
    const slid = join(dir, 'slid.txt');
    writeFileSync(slid, '0 0xffffffff9f000000\n');
    const s = await cli('resolve', slid, '-m', MAP_PATH, '--kaslr-offset', '0x1e000000', '-q');
    expect(s.out).toBe('0 0 startup_64+0x0\n');
  });
});
