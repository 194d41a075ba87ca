/**
 * Compiles the AssemblyScript modules in asm/ to dist/wasm, both at once (each asc run is single-
 * threaded: on two cores the pair takes the time of the slower one). Fails if either fails.
 */
import { spawn } from 'node:child_process';

const MODULES = ['qemu-log', 'resolve'];
const ASC = new URL('../node_modules/assemblyscript/bin/asc.js', import.meta.url).pathname;
const runs = MODULES.map(
  (m) =>
    new Promise((resolve) => {
      const args = [`asm/${m}.ts`, '-O3', '--runtime', 'stub', '--noAssert', '--importMemory', '-o', `dist/wasm/${m}.wasm`];
      const p = spawn(process.execPath, [ASC, ...args], { stdio: 'inherit' });
      p.on('close', (code) => resolve(code === 0 ? 0 : 1));
    }),
);
const codes = await Promise.all(runs);
process.exitCode = codes.some((c) => c !== 0) ? 1 : 0;
