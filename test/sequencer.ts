/**
 * Test files longest first, also in a fresh clone: vitest orders by the durations of its last run
 * (node_modules/.vite), which a fresh clone (CI) does not have, and then falls back to file size, so
 * a long file could start last and run alone on one core. test/durations.json holds the durations of
 * a full run (seconds per file; regenerate with `npm run test:durations` after a full run); files it does
 * not list run first, as vitest runs unknown files first.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const DURATIONS: Record<string, number> = JSON.parse(readFileSync(new URL('./durations.json', import.meta.url), 'utf8'));

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = process.cwd();
    const known = (f: TestSpecification): number => DURATIONS[relative(root, f.moduleId)] ?? Infinity;
    // projects keep their order (the isolated one first); within one, the longest first
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => (a.f.project.name === b.f.project.name ? known(b.f) - known(a.f) || a.i - b.i : a.i - b.i))
      .map(({ f }) => f);
  }
}
