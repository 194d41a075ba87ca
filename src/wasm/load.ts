/**
 * Loads a compiled AssemblyScript module from dist/wasm (built from asm/ by `npm run build`), once per
 * thread. Returns null when the file is missing or BOOTPROF_NO_WASM is set: callers then use their
 * JavaScript path, which computes the same results.
 *
 * Wasm memories come from wasmMemory(): on 64-bit V8 (Node 20) every WebAssembly.Memory reserves
 * ~10 GiB of address space (4 GiB addressable plus guard regions, whatever its `initial` and
 * `maximum`), so under `ulimit -v` the constructor throws a RangeError. Then wasmMemory() returns
 * null, the caller takes its JavaScript path (same results), and this thread asks for no more wasm
 * memory. BOOTPROF_DEBUG=1 says so once per thread.
 */
import { readFileSync } from 'node:fs';

const modules = new Map<string, WebAssembly.Module | null>();

export function wasmModule(name: string): WebAssembly.Module | null {
  if (modules.has(name)) return modules.get(name)!;
  let m: WebAssembly.Module | null = null;
  if (!process.env.BOOTPROF_NO_WASM) {
    // dist/wasm/load.js -> dist/wasm; src/wasm/load.ts (tests) and dist/bundle/*.js (the CLI's bundle) -> dist/wasm
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

type MemoryConstructor = new (d: WebAssembly.MemoryDescriptor) => WebAssembly.Memory;
let Memory: MemoryConstructor = WebAssembly.Memory;
/** Set once a wasm memory could not be had in this thread. */
let unavailable = false;

/** Bumped by setWasmMemoryConstructor: memories kept for reuse (free lists) from before are dropped. */
export let wasmMemoryGeneration = 0;

/** Tests: the constructor wasmMemory() uses (null: WebAssembly.Memory again); resets the fallback. */
export function setWasmMemoryConstructor(c: MemoryConstructor | null): void {
  Memory = c ?? WebAssembly.Memory;
  unavailable = false;
  wasmMemoryGeneration++;
}

function fallback(what: string, e: RangeError): void {
  if (!unavailable && process.env.BOOTPROF_DEBUG) process.stderr.write(`bootprof: ${what}: ${e.message}; using the JavaScript paths\n`);
  unavailable = true;
}

/**
 * A wasm memory of `initial` pages (at most `maximum`, when given: the memory never grows beyond),
 * or null when it cannot be allocated (address space limits): use the JavaScript path then.
 */
export function wasmMemory(initial: number, maximum?: number): WebAssembly.Memory | null {
  if (unavailable) return null;
  try {
    return new Memory(maximum === undefined ? { initial } : { initial, maximum });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    fallback('no wasm memory', e);
    return null;
  }
}

/** Grows `memory` by `pages`; false (and this thread's wasm memory off) when that fails. */
export function growWasmMemory(memory: WebAssembly.Memory, pages: number): boolean {
  try {
    memory.grow(pages);
    return true;
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    fallback('wasm memory cannot grow', e);
    return false;
  }
}
