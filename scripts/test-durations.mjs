#!/usr/bin/env node
/**
 * Rewrites test/durations.json (the order test/sequencer.ts runs test files in on a fresh clone) from
 * the durations vitest kept of its last full run (node_modules/.vite/vitest/.../results.json).
 *
 *   npx vitest run && node scripts/test-durations.mjs
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, 'node_modules/.vite/vitest');
const dirs = readdirSync(cacheDir);
if (dirs.length === 0) throw new Error('no vitest results: run the suite first');
const { results } = JSON.parse(readFileSync(join(cacheDir, dirs[0], 'results.json'), 'utf8'));
const durations = Object.fromEntries(results.map(([key, r]) => [key.replace(/^[^:]*:/, ''), Math.round(r.duration / 100) / 10]).sort((a, b) => b[1] - a[1]));
writeFileSync(join(root, 'test/durations.json'), JSON.stringify(durations, null, 2) + '\n');
console.log(`test/durations.json: ${Object.keys(durations).length} files`);
