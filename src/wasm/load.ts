/**
 * Loads a compiled AssemblyScript module from dist/wasm (built from asm/ by `npm run build`), once per
 * thread. Returns null when the file is missing or BOOTPROF_NO_WASM is set: callers then use their
 * JavaScript path, which computes the same results.
 */
import { readFileSync } from 'node:fs';

const modules = new Map<string, WebAssembly.Module | null>();

export function wasmModule(name: string): WebAssembly.Module | null {
  if (modules.has(name)) return modules.get(name)!;
  let m: WebAssembly.Module | null = null;
  if (!process.env.BOOTPROF_NO_WASM) {
    // dist/wasm/load.js -> dist/wasm; src/wasm/load.ts (tests) -> dist/wasm
    for (const rel of [`./${name}.wasm`, `../../dist/wasm/${name}.wasm`]) {
      try {
        m = new WebAssembly.Module(readFileSync(new URL(rel, import.meta.url)));
        break;
      } catch {
        /* try the next place */
      }
    }
  }
  modules.set(name, m);
  return m;
}
