/**
 * The same differential fuzz with the JavaScript reference parser: BOOTPROF_NO_WASM=1 is set before
 * the first parse (the wasm module is looked up lazily, once per thread; parse workers inherit the
 * environment).
 */
import { describe, expect, it } from 'vitest';
process.env.BOOTPROF_NO_WASM = '1';
import { QemuLogParser } from '../../src/formats/qemu-log.js';
import { runQemuFuzz } from './qemu-fuzz.js';

describe('qemu-log fuzz (JS reference parser, BOOTPROF_NO_WASM=1)', () => {
  it('uses the JS parser in this file', () => {
    expect(new QemuLogParser(0).engine).toBe('js');
  });

  it('good + bad lines = good lines alone; malformed and other counted exactly; sequential and parallel', async () => {
    const r = await runQemuFuzz(0x5eed02, 40, 5);
    expect(r.parallel).toBeGreaterThan(0);
  }, 600_000);
});
