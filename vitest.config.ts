import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // two test files at a time on the 2-core machines this runs on (vitest's default leaves one core idle):
    // 110 s instead of 170 s for the suite, measured
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
