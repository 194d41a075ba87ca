#!/usr/bin/env node
/**
 * `npm run build`: every step of the build, the independent ones side by side (each is a single-
 * threaded process: on two cores the build takes about the time of its longest chain, not of the sum):
 *
 *   wasm   scripts/build-wasm.mjs (skipped when its stamp says dist/wasm is up to date)
 *   tsc    tsc -b tsconfig.json (dist/*.js and .d.ts; skipped when dist is up to date with src) -> cli
 *   cli    scripts/build-cli.mjs (dist/bundle, from tsc's dist/cli.js)
 *   web    tsc -p tsconfig.web.json (type check) -> scripts/build-web.mjs (dist/web)
 *
 * --typecheck-tests (npm test) also type-checks test/ (tsc -p tsconfig.test.json) once tsc has
 * written the declarations it reads, beside the web and CLI bundles.
 * Fails (exit 1) if any step fails; the steps already started run to their end.
 */
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const TSC = root + 'node_modules/typescript/bin/tsc';

/** Runs `node args...` in the package root; resolves true if it exits with 0. */
function node(label, ...args) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
    p.on('error', (e) => {
      console.error(`build: ${label}: ${e.message}`);
      resolve(false);
    });
    p.on('close', (code) => {
      if (code !== 0) console.error(`build: ${label} failed (exit ${code})`);
      resolve(code === 0);
    });
  });
}

/** Runs the steps one after another, stopping at the first that fails. */
async function chain(...steps) {
  for (const step of steps) if (!(await step())) return false;
  return true;
}

const tsc = node('tsc -b tsconfig.json', TSC, '-b', 'tsconfig.json');
const results = await Promise.all([
  node('wasm', 'scripts/build-wasm.mjs'),
  chain(
    () => tsc,
    () => node('cli bundle', 'scripts/build-cli.mjs'),
  ),
  chain(
    () => node('tsc -p tsconfig.web.json', TSC, '-p', 'tsconfig.web.json'),
    () => node('web bundle', 'scripts/build-web.mjs'),
  ),
  process.argv.includes('--typecheck-tests')
    ? chain(
        () => tsc,
        () => node('tsc -p tsconfig.test.json', TSC, '-p', 'tsconfig.test.json'),
      )
    : true,
]);
process.exitCode = results.every(Boolean) ? 0 : 1;
