/**
 * Parallel parsing (work units in worker threads) on hostile files: garbage before the first event (no
 * time origin in the first page), a huge line across unit seams, many vCPUs first seen in late units,
 * time going backwards across units. Each must equal the sequential run exactly.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Symbols } from '../../src/pipeline.js';
import { systemMapTable } from '../formats-helpers.js';
import { badLine, goodQemuLines, prng } from './gen.js';
import { kernelPcs, selfTimeOf } from './qemu-fuzz.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-par-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const table = systemMapTable();
const syms: Symbols = { table, mapPath: 'System.map', note: null };

describe('parallel = sequential on hostile files', () => {
  const rnd = prng(0xa11);
  const pcs = kernelPcs(table, 200, rnd);
  const good = () => goodQemuLines(rnd, { tids: [11, 12, 13], events: 400, kernelPcs: pcs });
  const shapes: Record<string, () => Buffer> = {
    'garbage before the first event (no origin in the first page)': () =>
      Buffer.concat([...Array.from({ length: 120 }, () => Buffer.concat([badLine(rnd, 80), Buffer.from('\n')])), Buffer.from(good().join(''))]),
    'a 200 KB line across unit seams': () => {
      const g = good();
      return Buffer.from(g.slice(0, 200).join('') + 'x'.repeat(200_000) + '\n' + g.slice(200).join(''));
    },
    'vCPUs first seen in late units, 300 of them': () => {
      const g = good();
      const late = goodQemuLines(rnd, { tids: Array.from({ length: 300 }, (_, i) => 5000 + i), events: 600, kernelPcs: pcs, startSec: 1795310245 });
      return Buffer.from(g.join('') + late.join(''));
    },
    'time going backwards across units': () => {
      const g = good();
      const earlier = goodQemuLines(rnd, { tids: [11, 12, 13], events: 400, kernelPcs: pcs, startSec: 1795310000 });
      return Buffer.from(g.join('') + earlier.join('') + good().join(''));
    },
  };
  for (const [name, make] of Object.entries(shapes)) {
    it(
      name,
      async () => {
        const bytes = make();
        const path = join(dir, name.replace(/\W+/g, '-') + '.log');
        writeFileSync(path, bytes);
        const seq = await selfTimeOf({ bytes }, syms, { inputFormat: 'qemu-log' });
        for (const unitSize of [300, 65_536]) {
          const par = await selfTimeOf({ path }, syms, { threads: 2, unitSize, inputFormat: 'qemu-log' });
          expect(par, `${name}, units of ${unitSize}`).toEqual(seq);
        }
        expect(seq.stats.events).toBeGreaterThan(300);
      },
      60_000,
    );
  }
});
