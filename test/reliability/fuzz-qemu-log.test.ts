/**
 * Differential fuzz of the QEMU log parser through the whole pipeline, wasm fast path (the default).
 * CI: a fixed seed and 40 cases; BOOTPROF_FUZZ_CASES=N (and BOOTPROF_FUZZ_SEED) for a campaign.
 */
import { describe, expect, it } from 'vitest';
import { QemuLogParser } from '../../src/formats/qemu-log.js';
import { runQemuFuzz } from './qemu-fuzz.js';

describe('qemu-log fuzz (wasm fast path)', () => {
  it('uses the wasm fast path in this file', () => {
    expect(new QemuLogParser(0).engine).toBe('wasm');
  });

  it('good + bad lines = good lines alone; malformed and other counted exactly; sequential (every chunk size) and parallel (tiny units)', async () => {
    const r = await runQemuFuzz(0x5eed01, 40, 5);
    expect(r.parallel).toBeGreaterThan(0);
  }, 600_000);
});
