/**
 * Per-vCPU frame intervals for the evented outputs (speedscope evented profiles, Chrome `X`
 * events), kept only for frames at least `threshold` long; shorter frames fold into their parent.
 *
 * A frame's length is known when it closes, so the decision is taken then: a closing frame that is
 * long enough emits the open events of itself and of every ancestor not yet emitted (an ancestor is
 * at least as long as its descendant, so it will qualify too), then its close event. Only the
 * per-vCPU live stack is buffered besides the output, and events come out balanced with
 * non-decreasing times.
 *
 * Adaptive mode (the default): when more than `budget` frames are kept, the threshold doubles and
 * the buffered events are compacted to the new threshold (pairs shorter than it are dropped; emitted
 * ancestors that lost every descendant are un-emitted). The result is exactly the frames at least
 * as long as the final threshold, whatever the order of the raises.
 *
 * With a time window (--from/--to/--phase) every frame is clipped to it: a frame with no part inside
 * is dropped, the others open and close at their clipped times and their length is the clipped one
 * (an ancestor still contains its descendants, so the rule above holds), and each vCPU's span is cut
 * to the window.
 */
import { resized } from '../model/typed-array.js';
import type { FrameSink } from './stacks.js';
import type { TimeWindow } from './window.js';

/** Initial sizes of a vCPU's live stack and event buffer (both grow by doubling). */
const INITIAL_STACK = 8;
const INITIAL_EVENTS = 16;

class VcpuFrames {
  /** Live stack: node and enter time per depth. */
  node = new Int32Array(INITIAL_STACK);
  enter = new Float64Array(INITIAL_STACK);
  depth = 0;
  /** Live frames whose open event is already emitted (always a prefix of the stack). */
  emitted = 0;
  /** Emitted events: time and node (open) or ~node (close). */
  at = new Float64Array(INITIAL_EVENTS);
  ev = new Int32Array(INITIAL_EVENTS);
  count = 0;
  first = NaN;
  last = 0;
}

export class FrameRecorder implements FrameSink {
  private cpus: VcpuFrames[] = [];
  /** Frames kept (closed and emitted). */
  kept = 0;
  /** Frames that closed (kept or folded). */
  closed = 0;
  raises = 0;

  constructor(
    public threshold: number,
    readonly adaptive: boolean,
    readonly budget = 1_000_000,
    readonly window: TimeWindow | null = null,
  ) {}

  private vcpu(cpu: number): VcpuFrames {
    while (this.cpus.length <= cpu) this.cpus.push(new VcpuFrames());
    return this.cpus[cpu];
  }

  get vcpus(): number {
    return this.cpus.length;
  }

  enter(cpu: number, depth: number, node: number, time: number): void {
    const v = cpu < this.cpus.length ? this.cpus[cpu] : this.vcpu(cpu);
    if (depth >= v.node.length) {
      let len = v.node.length * 2;
      while (len <= depth) len *= 2;
      v.node = resized(v.node, len);
      v.enter = resized(v.enter, len);
    }
    v.node[depth] = node;
    v.enter[depth] = time;
    v.depth = depth + 1;
    if (Number.isNaN(v.first)) v.first = time;
    v.last = time;
  }

  leave(cpu: number, depth: number, node: number, time: number): void {
    const v = this.cpus[cpu];
    v.last = time;
    const w = this.window;
    const from = w === null ? -Infinity : w.from;
    const enter = v.enter[depth];
    const a = enter > from ? enter : from;
    const b = w === null || time < w.to ? time : w.to;
    // outside the window: no part of it inside (an instant frame counts where it is)
    if (w !== null && !(b > a || (enter === time && time >= w.from && time < w.to))) {
      v.depth = depth;
      if (v.emitted > depth) v.emitted = depth;
      return;
    }
    this.closed++;
    if (depth < v.emitted || b - a >= this.threshold) {
      for (let d = v.emitted; d <= depth; d++) this.push(v, v.enter[d] > from ? v.enter[d] : from, v.node[d]);
      this.push(v, b, ~node);
      v.emitted = depth;
      this.kept++;
      if (this.adaptive && this.kept > this.budget) this.raise();
    }
    v.depth = depth;
    if (v.emitted > depth) v.emitted = depth;
  }

  private push(v: VcpuFrames, at: number, ev: number): void {
    if (v.count >= v.at.length) {
      const a = new Float64Array(v.at.length * 2);
      a.set(v.at);
      v.at = a;
      const e = new Int32Array(v.ev.length * 2);
      e.set(v.ev);
      v.ev = e;
    }
    v.at[v.count] = at;
    v.ev[v.count] = ev;
    v.count++;
  }

  private raise(): void {
    while (this.kept > this.budget) {
      this.threshold = Math.max(this.threshold * 2, 1000);
      this.raises++;
      this.kept = 0;
      for (const v of this.cpus) this.kept += this.compact(v);
    }
  }

  /** Drops buffered pairs shorter than the threshold; returns the closed frames kept. */
  private compact(v: VcpuFrames): number {
    const n = v.count;
    const keep = new Uint8Array(n);
    const open: number[] = [];
    let kept = 0;
    let lastKept = -1;
    for (let i = 0; i < n; i++) {
      if (v.ev[i] >= 0) open.push(i);
      else {
        const o = open.pop()!;
        if (v.at[i] - v.at[o] >= this.threshold) {
          keep[o] = keep[i] = 1;
          kept++;
          lastKept = i;
        }
      }
    }
    // still-open emitted frames stay emitted only while a kept descendant follows them
    let emitted = 0;
    for (const o of open) {
      if (lastKept > o) {
        keep[o] = 1;
        emitted++;
      }
    }
    v.emitted = emitted;
    let w = 0;
    for (let i = 0; i < n; i++) {
      if (!keep[i]) continue;
      v.at[w] = v.at[i];
      v.ev[w] = v.ev[i];
      w++;
    }
    v.count = w;
    return kept;
  }

  /** Events of one vCPU: `count` pairs of (at, ev) where ev >= 0 opens node ev and ev < 0 closes ~ev. */
  events(cpu: number): { at: Float64Array; ev: Int32Array; count: number; start: number; end: number } {
    const v = this.cpus[cpu];
    let start = Number.isNaN(v.first) ? 0 : v.first;
    let end = v.last;
    const w = this.window;
    if (w !== null) {
      // the vCPU's span cut to the window (an empty span at the nearer edge when it has none inside)
      const clamp = (x: number): number => (x < w.from ? w.from : x > w.to ? w.to : x);
      start = clamp(start);
      end = clamp(end);
    }
    return { at: v.at, ev: v.ev, count: v.count, start, end };
  }
}
