import { defineConfig } from 'vitest/config';
import LongestFirst from './test/sequencer.js';

/**
 * Files that change process-wide state on purpose (environment variables read once per thread):
 * each runs in a fresh module graph. The rest share one per test worker (isolate: false), which
 * saves loading src/ again for every file.
 */
const ISOLATED = ['test/reliability/fuzz-qemu-log-js.test.ts'];

export default defineConfig({
  test: {
    // two test files at a time on the 2-core machines this runs on (vitest's default leaves one core idle)
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // the symbol cache in a temp directory, never the user's
    globalSetup: ['test/global-setup.ts'],
    // the longest files first, also without vitest's cache of the last run (a fresh clone, CI)
    sequence: { sequencer: LongestFirst },
    projects: [
      { extends: true, test: { name: 'isolated', include: ISOLATED, isolate: true } },
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: ISOLATED, isolate: false } },
    ],
  },
});
