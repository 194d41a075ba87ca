/**
 * End to end with a real QEMU (Debian's qemu-system-x86; .ci/run installs it when missing): `bootprof
 * record` runs SeaBIOS for a few seconds (no kernel, no disk) and reports its [firmware] time and
 * instruction counts from the translation records record turns on.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const hasQemu = spawnSync('sh', ['-c', 'command -v qemu-system-x86_64']).status === 0;
if (!hasQemu) console.warn('record e2e skipped: no qemu-system-x86_64 on PATH (apt install qemu-system-x86)');

describe.skipIf(!hasQemu)('bootprof record with a real QEMU', () => {
  it('SeaBIOS for 2 seconds: [firmware] time and instruction counts, partial, exit 0, no FIFO left', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'bootprof-qemu-')), 'out');
    const r = spawnSync(
      'node',
      [
        ROOT + 'bin/bootprof.js',
        'record',
        '--duration',
        '2',
        '--report',
        'json',
        '--quiet',
        '--out',
        dir,
        '--',
        'qemu-system-x86_64',
        '-nodefaults',
        '-nographic',
        '-m',
        '64',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(doc.summary.truncated).toBe(true);
    expect(doc.summary.regions.firmware).toBeGreaterThan(1000);
    expect(doc.summary.weight).toBe('insns');
    expect(doc.summary.total_insns).toBeGreaterThan(1000);
    const fw = doc.functions.find((f: { function: string }) => f.function === '[firmware]');
    expect(fw.self_ns).toBeGreaterThan(0);
    expect(fw.self_insns).toBeGreaterThan(1000);
    expect(readdirSync(dir).sort()).toEqual(['cmdline.txt', 'console.txt', 'report.json']);
  }, 60_000);
});
