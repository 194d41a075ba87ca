/**
 * When no wasm memory can be had (each WebAssembly.Memory reserves ~10 GiB of address space on
 * 64-bit V8, so `ulimit -v` makes the constructor throw a RangeError), the parser and the resolver
 * fall back to their JavaScript paths by themselves, with identical results: an injected failing
 * constructor, a memory that cannot grow, and the CLI under a real `ulimit -v`, sequential and with
 * two workers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SelfTime } from '../../src/analyze/self-time.js';
import { StackReconstruction } from '../../src/analyze/stacks.js';
import { loadSymbols, runPipeline, type InputOptions } from '../../src/pipeline.js';
import { setWasmMemoryConstructor } from '../../src/wasm/load.js';
import { MAP_PATH, SAMPLES, samplePrefix } from '../formats-helpers.js';
import { cli } from '../helpers.js';

const BIN = new URL('../../bin/bootprof.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'bootprof-wasm-mem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => setWasmMemoryConstructor(null));

const TRACE = SAMPLES + 'start-kernel-120k.log.gz';

async function selfTimeAndStacks(opts: Partial<InputOptions> = {}): Promise<{ rows: string; tree: string; engine: string }> {
  const input: InputOptions = { trace: TRACE, map: MAP_PATH, threads: 1, ...opts };
  const symbols = await loadSymbols(input);
  let st!: SelfTime;
  let sr!: StackReconstruction;
  const run = await runPipeline(
    input,
    (info) => {
      st = new SelfTime(info.unit);
      sr = StackReconstruction.fromInfo(info);
      return [st, sr];
    },
    symbols,
  );
  sr.finish();
  const rows = st.rows((id) => run.names[id]).map((r) => `${run.names[r.id]},${r.self},${r.events}`);
  const t = sr.tree;
  return {
    rows: rows.join('\n'),
    tree: `${t.count} ${Array.from(t.self.subarray(0, t.count)).join(',')}`,
    engine: (run.parser as unknown as { engine: string }).engine,
  };
}

describe('no wasm memory: the JavaScript paths, same results', () => {
  it('a failing WebAssembly.Memory constructor: parser and resolver fall back, once, identical rows and stacks', async () => {
    let attempts = 0;
    setWasmMemoryConstructor(
      class {
        constructor() {
          attempts++;
          throw new RangeError('WebAssembly.Memory(): could not allocate memory');
        }
      } as unknown as typeof WebAssembly.Memory,
    );
    const js = await selfTimeAndStacks();
    // the first failure turns wasm memory off for this thread: no further 10 GiB attempts
    expect(attempts).toBe(1);
    expect(js.engine).toBe('js');
    setWasmMemoryConstructor(null);
    const wasm = await selfTimeAndStacks();
    expect(wasm.engine).toBe('wasm');
    expect(js.rows.length).toBeGreaterThan(1000);
    expect(js.rows).toBe(wasm.rows);
    expect(js.tree).toBe(wasm.tree);
  });

  it('a memory that cannot grow (read blocks larger than its initial size): the block is parsed in JS, same rows', async () => {
    let grows = 0;
    setWasmMemoryConstructor(
      class extends WebAssembly.Memory {
        override grow(): number {
          grows++;
          throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded');
        }
      },
    );
    const plain = join(dir, 'start-kernel.log');
    writeFileSync(plain, gunzipSync(readFileSync(TRACE)));
    const big = await selfTimeAndStacks({ trace: plain, chunkSize: 4 << 20 });
    expect(grows).toBe(1);
    setWasmMemoryConstructor(null);
    const normal = await selfTimeAndStacks();
    expect(big.rows).toBe(normal.rows);
    expect(big.tree).toBe(normal.tree);
  });

  it('the CLI under ulimit -v 3000000 (3 GB: no wasm memory fits), -j 1 and -j 2 on a plain file: same CSV as unlimited', async () => {
    // 10 MB: two 8 MiB work units for -j 2, a third of the sample's parse time
    const plain = join(dir, 'userspace.log');
    writeFileSync(plain, samplePrefix('userspace-500k.log.gz', 10_000_000));
    const run = (limit: string, j: number) =>
      spawnSync('bash', ['-c', `${limit} exec node "$0" self-time "$1" -j ${j} --map "$2" --format csv`, BIN, plain, MAP_PATH], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      });
    // the unlimited reference runs in this process (wasm available)
    const ref = await cli('self-time', plain, '-j', '1', '--map', MAP_PATH, '--format', 'csv');
    expect(ref.code).toBe(0);
    for (const j of [1, 2]) {
      const r = run('ulimit -v 3000000;', j);
      expect(r.stderr).not.toContain('WebAssembly');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(ref.out);
    }
  });
});
