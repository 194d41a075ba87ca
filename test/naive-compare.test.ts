/**
 * Acceptance: `bootprof self-time --format csv` equals, row for row, what an independent naive
 * implementation computes on committed real excerpts (user space; kernel entry with physical-address
 * startup code).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { naiveCsv, naiveSelfTime } from './naive.js';
import { sampleBytes, systemMapText } from './formats-helpers.js';

const BIN = new URL('../bin/bootprof.js', import.meta.url).pathname;
const SAMPLES = new URL('../samples/', import.meta.url).pathname;
const MAP = SAMPLES + 'System.map-6.1.0-47-cloud-amd64.gz';
const mapText = systemMapText();

describe.each(['userspace-500k.log.gz', 'kernel-entry-20k.log.gz'])('self-time on the real excerpt %s', (sample) => {
  it('equals the naive implementation row for row', async () => {
    const trace = SAMPLES + sample;
    // the real binary runs while the naive reading is made in this process
    const running = promisify(execFile)('node', [BIN, 'self-time', trace, '--map', MAP, '--format', 'csv', '--quiet'], {
      encoding: 'latin1',
      maxBuffer: 1 << 28,
    });
    const naive = naiveCsv(naiveSelfTime(sampleBytes(sample).toString('latin1'), mapText));
    const ours = (await running).stdout;
    expect(ours.split('\n').length).toBeGreaterThan(15);
    expect(ours).toBe(naive);
  });
});
