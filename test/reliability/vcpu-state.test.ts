/**
 * Per-vCPU state of the stack reconstruction and the frame recorder (flamegraph, initcalls) is
 * allocated lazily and small: 4096 vCPUs (the most distinct thread ids a trace may name) that each
 * make a few calls cost a few hundred bytes each, not the 20 KB that full-depth buffers would.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { FrameRecorder } from '../../src/analyze/frames.js';
import { MAX_DEPTH, StackReconstruction } from '../../src/analyze/stacks.js';
import { EventBatch } from '../../src/model/batch.js';
import { FIRST_FUNCTION, REGION_LABELS } from '../../src/model/names.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const NAMES = [...REGION_LABELS, 'start_kernel', 'kernel_init', 'do_one_initcall', 'ktime_get', 'schedule'];
const F = FIRST_FUNCTION;

/** Live bytes: the JS heap plus typed-array backing stores. */
function live(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** `vcpus` vCPUs, interleaved, each: call f0, call f1, call f2, return into f1, f0, call f3 ... */
function run(vcpus: number, rounds: number, deep = 0): { sr: StackReconstruction; frames: FrameRecorder } {
  const sr = new StackReconstruction('ns', NAMES);
  const frames = new FrameRecorder(0, true);
  sr.frameSink = frames;
  const b = new EventBatch();
  const pattern: [number, number][] = [
    [F, 0],
    [F + 1, 0],
    [F + 2, 0],
    [F + 1, 16],
    [F, 32],
    [F + 3, 0],
    [F, 48],
    [F + 4, 0],
  ];
  let now = 0;
  const flush = (): void => {
    sr.consume(b);
    b.clear();
  };
  for (let r = 0; r < rounds; r++) {
    for (let v = 0; v < vcpus; v++) {
      const steps: [number, number][] =
        r === 0 && v < deep ? Array.from({ length: 300 }, (_, k) => [F + (k % 5), 0] as [number, number]) : [pattern[r % pattern.length]];
      for (const [sym, off] of steps) {
        const i = b.length++;
        b.time[i] = now += 10;
        b.thread[i] = v;
        b.pcHi[i] = 0xffffffff;
        b.pcLo[i] = 0x81000000 + sym * 0x100 + off;
        b.sym[i] = sym;
        b.off[i] = off;
        if (b.full) flush();
      }
    }
  }
  flush();
  sr.finish();
  return { sr, frames };
}

describe('per-vCPU state is small and grows on demand', () => {
  it('4096 vCPUs through StackReconstruction + FrameRecorder: heap growth under 16 MB (4 KB per vCPU)', () => {
    run(64, 16); // warm up code and shared structures
    const before = live();
    const kept = run(4096, 16);
    const grown = live() - before;
    expect(kept.sr.vcpus).toBe(4096);
    expect(kept.frames.vcpus).toBe(4096);
    // every vCPU made its calls and returns: 8 frames closed per vCPU per 8 rounds
    expect(kept.frames.closed).toBeGreaterThan(4096 * 8);
    console.log(`4096 vCPUs: +${(grown / 2 ** 20).toFixed(1)} MiB live, ${Math.round(grown / 4096)} bytes per vCPU`);
    // full-depth buffers cost ~20 KB per vCPU (80 MB here); 16 MB leaves room for the recorded events
    expect(grown).toBeLessThan(16 << 20);
  });

  it('a vCPU still nests to MAX_DEPTH and results do not depend on the initial size', () => {
    const { sr, frames } = run(4, 4, 2);
    expect(sr.stats.maxDepth).toBeGreaterThan(100);
    expect(sr.stats.maxDepth).toBeLessThanOrEqual(MAX_DEPTH);
    // balanced events per vCPU
    for (let v = 0; v < 4; v++) {
      const e = frames.events(v);
      let open = 0;
      for (let i = 0; i < e.count; i++) open += e.ev[i] >= 0 ? 1 : -1;
      expect(open).toBe(0);
    }
  });
});
