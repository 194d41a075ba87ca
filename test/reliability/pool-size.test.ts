/**
 * `--threads` beyond what the machine can run is capped where the pool is sized: at most
 * WORKERS_PER_CORE workers per core and one per work unit; stderr says so once (not under -q).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { poolSize, WORKERS_PER_CORE } from '../../src/parallel/pool.js';
import { MAP_PATH, samplePrefix } from '../formats-helpers.js';
import { cli } from '../helpers.js';

const BIN = new URL('../../bin/bootprof.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'bootprof-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parse worker pool size', () => {
  it('min(requested, cores * WORKERS_PER_CORE, units), capped only when the per-core bound bites', () => {
    expect(WORKERS_PER_CORE).toBe(2);
    expect(poolSize(256, 170, 2)).toEqual({ workers: 4, capped: true });
    expect(poolSize(5, 170, 2)).toEqual({ workers: 4, capped: true });
    expect(poolSize(4, 170, 2)).toEqual({ workers: 4, capped: false });
    expect(poolSize(2, 170, 2)).toEqual({ workers: 2, capped: false });
    expect(poolSize(256, 3, 2)).toEqual({ workers: 3, capped: false });
    expect(poolSize(256, 170, 64)).toEqual({ workers: 128, capped: true });
    expect(poolSize(1, 170, 2)).toEqual({ workers: 1, capped: false });
    expect(poolSize(8, 1, 0).workers).toBe(1);
  });

  it('-j 256 through the CLI: one note on stderr, none with -q, same CSV as -j 2', async () => {
    // 6 MB in units of 1 MB: 6 work units (more than the 4 workers of a 2-core machine)
    const plain = join(dir, 'userspace.log');
    writeFileSync(plain, samplePrefix('userspace-500k.log.gz', 6_000_000));
    const run = (...args: string[]) =>
      spawnSync('node', [BIN, 'self-time', plain, '--map', MAP_PATH, '--format', 'csv', '--unit-size', '1000000', ...args], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      });
    // what the binary's os module says (the same machine)
    const cores = availableParallelism();
    const wide = run('-j', '256');
    // the reference in this process
    const ref = await cli('self-time', plain, '--map', MAP_PATH, '--format', 'csv', '--unit-size', '1000000', '-j', '2');
    expect([wide.status, ref.code]).toEqual([0, 0]);
    expect(wide.stdout).toBe(ref.out);
    const notes = wide.stderr.split('\n').filter((l) => l.includes('capped'));
    if (cores * WORKERS_PER_CORE < 6)
      expect(notes).toEqual([`bootprof: --threads 256 capped to ${cores * WORKERS_PER_CORE} parse workers (2 per core, ${cores} cores)`]);
    else expect(notes).toEqual([]);
    expect(run('-j', '256', '-q').stderr).not.toContain('capped');
  });
});
