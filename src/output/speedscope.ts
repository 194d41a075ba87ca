/**
 * The speedscope file format (https://www.speedscope.app/file-format-schema.json): frames shared by
 * every profile, one evented profile per vCPU (its "Time Order" view is the boot as it happened) and
 * one sampled profile aggregating every vCPU (one sample per call node with self time, weighted by
 * it). Written in pieces, never as one string.
 */
import type { FrameRecorder } from '../analyze/frames.js';
import { frameLabel, OTHER_STACKS, type CallTree } from '../model/call-tree.js';
import type { Folding } from './folded.js';
import type { OutputSink } from './sink.js';

export const SPEEDSCOPE_SCHEMA = 'https://www.speedscope.app/file-format-schema.json';
const PIECE = 1 << 20;

export interface SpeedscopeInput {
  name: string;
  tree: CallTree;
  names: readonly string[];
  /** The evented frames: what a FrameRecorder gives (or a regrouped view of one: analyze/grouping.ts). */
  frames: Pick<FrameRecorder, 'vcpus' | 'events'>;
  /** Folding of the aggregated profile. */
  fold: Folding;
  unit: 'nanoseconds' | 'none';
  /** Unit of the aggregated profile's weights, when it is not `unit` (instructions or events: none). */
  aggregateUnit?: 'nanoseconds' | 'none';
  exporter: string;
}

export function vcpuProfileName(cpu: number): string {
  return `vCPU ${cpu}`;
}

export const AGGREGATED_PROFILE_NAME = 'all vCPUs (aggregated call tree)';

export async function writeSpeedscope(out: OutputSink, input: SpeedscopeInput): Promise<void> {
  const { tree, names, frames, fold } = input;
  // shared frames: one per name id in use, in order of first use
  // frameOf[names.length]: the `[other stacks]` node of a full call tree
  const frameOf = new Int32Array(names.length + 1).fill(-1);
  const frameNames: string[] = [];
  const frameIndex = (node: number): number => {
    const fn = tree.fn[node];
    const id = fn === OTHER_STACKS ? names.length : fn;
    let f = frameOf[id];
    if (f < 0) {
      f = frameOf[id] = frameNames.length;
      frameNames.push(frameLabel(names, fn));
    }
    return f;
  };
  let buf = '{"$schema":' + JSON.stringify(SPEEDSCOPE_SCHEMA) + ',"exporter":' + JSON.stringify(input.exporter);
  buf += ',"name":' + JSON.stringify(input.name) + ',"activeProfileIndex":0,"profiles":[';
  const flush = async (force = false): Promise<void> => {
    if (buf.length >= PIECE || (force && buf.length > 0)) {
      await out.write(buf);
      buf = '';
    }
  };
  for (let cpu = 0; cpu < frames.vcpus; cpu++) {
    const e = frames.events(cpu);
    if (cpu > 0) buf += ',';
    buf += `{"type":"evented","name":${JSON.stringify(vcpuProfileName(cpu))},"unit":"${input.unit}","startValue":${e.start},"endValue":${e.end},"events":[`;
    for (let i = 0; i < e.count; i++) {
      const ev = e.ev[i];
      if (i > 0) buf += ',';
      buf += ev >= 0 ? `{"type":"O","frame":${frameIndex(ev)},"at":${e.at[i]}}` : `{"type":"C","frame":${frameIndex(~ev)},"at":${e.at[i]}}`;
      if (buf.length >= PIECE) await flush();
    }
    buf += ']}';
  }
  // aggregated call tree: each kept node with self time is one sample (its stack, root first)
  let total = 0;
  const samples: string[] = [];
  const weights: number[] = [];
  const path: string[] = new Array(tree.count);
  path[0] = '';
  for (let n = 1; n < tree.count; n++) {
    if (!fold.kept[n]) continue;
    const p = tree.parent[n];
    path[n] = (p > 0 ? path[p] + ',' : '') + frameIndex(n);
    const w = Math.round(fold.self[n]);
    if (w > 0) {
      samples.push(path[n]);
      weights.push(w);
      total += w;
    }
  }
  if (frames.vcpus > 0) buf += ',';
  buf += `{"type":"sampled","name":${JSON.stringify(AGGREGATED_PROFILE_NAME)},"unit":"${input.aggregateUnit ?? input.unit}","startValue":0,"endValue":${total},"samples":[`;
  for (let i = 0; i < samples.length; i++) {
    buf += (i > 0 ? ',[' : '[') + samples[i] + ']';
    if (buf.length >= PIECE) await flush();
  }
  buf += '],"weights":[' + weights.join(',') + ']}]';
  buf += ',"shared":{"frames":[';
  for (let f = 0; f < frameNames.length; f++) {
    buf += (f > 0 ? ',' : '') + '{"name":' + JSON.stringify(frameNames[f]) + '}';
    if (buf.length >= PIECE) await flush();
  }
  buf += ']}}\n';
  await flush(true);
}

/** Bytes of one aggregated sample (a node's stack as frame indexes). */
export function sampleBytes(node: number, tree: CallTree): number {
  return tree.depth[node] * 6 + 12;
}
