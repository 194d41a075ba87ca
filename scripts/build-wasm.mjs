/**
 * Compiles the AssemblyScript modules in asm/ to dist/wasm, both at once (each asc run is single-
 * threaded: on two cores the pair takes the time of the slower one). Fails if either fails.
 *
 * Skipped when dist/wasm holds both modules and its stamp names the same inputs (a SHA-256 of
 * asm/*.ts, this script and the compiler's version): `npm ci` builds once (prepare) and `npm test`
 * then does not compile the same sources again (~5-9 s here). BOOTPROF_WASM_REBUILD=1 forces it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const MODULES = ['qemu-log', 'resolve'];
const ASC = new URL('../node_modules/assemblyscript/bin/asc.js', import.meta.url).pathname;
const root = new URL('..', import.meta.url).pathname;
const stampPath = `${root}dist/wasm/.inputs`;

const h = createHash('sha256');
for (const f of readdirSync(`${root}asm`)
  .filter((f) => f.endsWith('.ts'))
  .sort())
  h.update(f).update(readFileSync(`${root}asm/${f}`));
h.update(readFileSync(new URL(import.meta.url)));
h.update(readFileSync(`${root}node_modules/assemblyscript/package.json`));
const stamp = h.digest('hex');

const built = MODULES.every((m) => existsSync(`${root}dist/wasm/${m}.wasm`));
if (built && process.env.BOOTPROF_WASM_REBUILD !== '1' && existsSync(stampPath) && readFileSync(stampPath, 'latin1') === stamp) {
  console.log('dist/wasm: up to date');
} else {
  rmSync(stampPath, { force: true });
  const runs = MODULES.map(
    (m) =>
      new Promise((resolve) => {
        const args = [`asm/${m}.ts`, '-O3', '--runtime', 'stub', '--noAssert', '--importMemory', '-o', `dist/wasm/${m}.wasm`];
        const p = spawn(process.execPath, [ASC, ...args], { stdio: 'inherit', cwd: root });
        p.on('close', (code) => resolve(code === 0 ? 0 : 1));
      }),
  );
  const codes = await Promise.all(runs);
  process.exitCode = codes.some((c) => c !== 0) ? 1 : 0;
  if (process.exitCode === 0) writeFileSync(stampPath, stamp);
}
