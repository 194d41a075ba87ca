/**
 * Chrome Trace Event JSON (the format Perfetto and chrome://tracing open): one complete (`X`) event
 * per kept frame, `ts`/`dur` in microseconds, one `tid` per vCPU named by `thread_name` metadata.
 */
import type { FrameRecorder } from '../analyze/frames.js';
import { frameLabel, type CallTree } from '../model/call-tree.js';
import type { OutputSink } from './sink.js';
import { vcpuProfileName } from './speedscope.js';

const PIECE = 1 << 20;

/** Nanoseconds as microseconds with up to 3 decimals, exactly. */
export function usec(ns: number): string {
  const whole = Math.floor(ns / 1000);
  const frac = ns - whole * 1000;
  return frac === 0 ? String(whole) : whole + '.' + String(Math.round(frac)).padStart(3, '0').replace(/0+$/, '');
}

export async function writeChrome(
  out: OutputSink,
  input: { name: string; tree: CallTree; names: readonly string[]; frames: Pick<FrameRecorder, 'vcpus' | 'events'>; threadIds: readonly number[] },
): Promise<void> {
  const { tree, names, frames } = input;
  const quoted = new Map<number, string>();
  const nameOf = (node: number): string => {
    const id = tree.fn[node];
    let q = quoted.get(id);
    if (q === undefined) {
      q = JSON.stringify(frameLabel(names, id));
      quoted.set(id, q);
    }
    return q;
  };
  let buf = '{"displayTimeUnit":"ns","otherData":{"source":' + JSON.stringify(input.name) + '},"traceEvents":[\n';
  buf += `{"name":"process_name","ph":"M","pid":1,"tid":0,"args":{"name":${JSON.stringify('bootprof ' + input.name)}}}`;
  for (let cpu = 0; cpu < frames.vcpus; cpu++) {
    const tid = input.threadIds[cpu];
    const label = vcpuProfileName(cpu) + (tid !== undefined ? ` (thread ${tid})` : '');
    buf += `,\n{"name":"thread_name","ph":"M","pid":1,"tid":${cpu},"args":{"name":${JSON.stringify(label)}}}`;
    buf += `,\n{"name":"thread_sort_index","ph":"M","pid":1,"tid":${cpu},"args":{"sort_index":${cpu}}}`;
  }
  const open: number[] = [];
  for (let cpu = 0; cpu < frames.vcpus; cpu++) {
    const e = frames.events(cpu);
    for (let i = 0; i < e.count; i++) {
      if (e.ev[i] >= 0) {
        open.push(i);
        continue;
      }
      const o = open.pop()!;
      const start = e.at[o];
      buf += `,\n{"name":${nameOf(~e.ev[i])},"ph":"X","ts":${usec(start)},"dur":${usec(e.at[i] - start)},"pid":1,"tid":${cpu}}`;
      if (buf.length >= PIECE) {
        await out.write(buf);
        buf = '';
      }
    }
  }
  buf += '\n]}\n';
  await out.write(buf);
}
