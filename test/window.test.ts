/**
 * Time windows on self-time: the clipped sums equal an independent naive computation, `--phase P` is
 * `--from <P's milestone> --to <the next one's>`, and the windows of consecutive phases add up to the
 * whole run exactly (self time and events per function).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';
import { naiveNamer } from './naive.js';
import { sampleBytes, systemMapText } from './formats-helpers.js';

const MAP = 'samples/System.map-6.1.0-47-cloud-amd64.gz';
const dir = mkdtempSync(join(tmpdir(), 'bootprof-window-'));
const text = (s: string): string => sampleBytes(`${s}.log.gz`).toString('latin1');
// three excerpts of one boot, in time order: firmware -> early kernel -> start_kernel -> ... -> user space
const userHead = text('userspace-500k').split('\n').slice(0, 100_000).join('\n') + '\n';
const boot = text('kernel-entry-20k') + text('start-kernel-120k') + userHead;
const trace = join(dir, 'boot.log');
writeFileSync(trace, boot);
const mapText = systemMapText();

async function csv(...args: string[]): Promise<string> {
  const r = await cli('self-time', trace, '--map', MAP, '-q', '-f', 'csv', ...args);
  expect(r.code, r.err).toBe(0);
  return r.out;
}

/** Self time per function inside [from, to) (ns since the first event), by BigInt arithmetic. */
function naiveWindow(from: bigint, to: bigint): string {
  const nameOf = naiveNamer(mapText);
  const last = new Map<string, { t: bigint; name: string }>();
  const self = new Map<string, bigint>();
  const events = new Map<string, number>();
  let origin: bigint | null = null;
  const add = (name: string, d: bigint): void => void self.set(name, (self.get(name) ?? 0n) + d);
  for (const line of boot.split('\n')) {
    const m = /^(\d+)@(\d+)\.(\d+):exec_tb tb:\S+ pc=0x([0-9a-fA-F]+)$/.exec(line);
    if (!m) continue;
    const [, tid, sec, frac, hex] = m;
    const abs = BigInt(sec) * 1000000000n + BigInt(frac.padEnd(9, '0'));
    origin ??= abs;
    const t = abs - origin;
    const name = nameOf(tid, BigInt('0x' + hex));
    const prev = last.get(tid);
    if (prev && t >= prev.t) {
      const a = prev.t > from ? prev.t : from;
      const b = t < to ? t : to;
      if (b > a) add(prev.name, b - a);
    }
    last.set(tid, { t, name });
    if (t >= from && t < to) {
      events.set(name, (events.get(name) ?? 0) + 1);
      if (!self.has(name)) self.set(name, 0n);
    }
  }
  const rows = [...self.keys()]
    .filter((f) => (events.get(f) ?? 0) > 0 || self.get(f)! > 0n)
    .map((f) => ({ f, self: self.get(f)!, events: events.get(f) ?? 0 }));
  rows.sort((a, b) => (a.self > b.self ? -1 : a.self < b.self ? 1 : b.events - a.events || (a.f < b.f ? -1 : a.f > b.f ? 1 : 0)));
  const total = rows.reduce((s, r) => s + r.self, 0n);
  let out = 'function,self_ns,share,events\n';
  for (const r of rows) out += `${r.f},${r.self},${total > 0n ? Number(((Number(r.self) / Number(total)) * 100).toFixed(4)) : 0},${r.events}\n`;
  return out;
}

/** Per function: [self_ns, events] of a self-time CSV. */
function parse(c: string): Map<string, [number, number]> {
  const m = new Map<string, [number, number]>();
  for (const line of c.trim().split('\n').slice(1)) {
    const f = line.split(',');
    m.set(f[0], [Number(f[1]), Number(f[3])]);
  }
  return m;
}

describe('self-time --from/--to/--phase', () => {
  it('clipped sums equal a naive computation: seconds, milestones and functions as edges, sequential and parallel', async () => {
    const timeline = JSON.parse((await cli('timeline', trace, '--map', MAP, '-q', '-f', 'json')).out) as {
      milestones: { milestone: string; time_ns: number }[];
      first_calls: { function: string; first_ns: number }[];
    };
    const at = (k: string): bigint => BigInt(timeline.milestones.find((m) => m.milestone === k)!.time_ns);
    const first = (f: string): bigint => BigInt(timeline.first_calls.find((r) => r.function === f)!.first_ns);
    expect(await csv('--from', '0.05', '--to', '9250ms')).toBe(naiveWindow(50_000_000n, 9_250_000_000n));
    expect(await csv('--from', 'start_kernel', '--to', 'setup_arch')).toBe(naiveWindow(at('start_kernel'), at('setup_arch')));
    const want = naiveWindow(first('sysvec_apic_timer_interrupt'), 1n << 62n);
    expect(await csv('--from', 'sysvec_apic_timer_interrupt')).toBe(want);
    // the workers' folds are whole units: a windowed run consumes every batch, with the same result
    expect(await csv('--from', 'sysvec_apic_timer_interrupt', '--threads', '2', '--unit-size', '300000')).toBe(want);
  });

  it('--phase P is --from its milestone --to the next one; consecutive phases add up to the whole run exactly', async () => {
    const phases = (JSON.parse((await cli('timeline', trace, '--map', MAP, '-q', '-f', 'json')).out) as { phases: { phase: string; from: string }[] }).phases;
    expect(phases.length).toBeGreaterThanOrEqual(3);
    const whole = parse(await csv());
    const sum = new Map<string, [number, number]>();
    for (let i = 0; i < phases.length; i++) {
      const got = await csv('--phase', phases[i].phase);
      if (i > 0 && i < phases.length - 1) expect(got, phases[i].phase).toBe(await csv('--from', phases[i].from, '--to', phases[i + 1].from));
      for (const [f, [s, e]] of parse(got)) {
        const v = sum.get(f) ?? [0, 0];
        sum.set(f, [v[0] + s, v[1] + e]);
      }
    }
    expect(new Map([...sum].sort())).toEqual(new Map([...whole].sort()));
  });

  it('states the window and refuses what it cannot do', async () => {
    const j = JSON.parse((await cli('self-time', trace, '--map', MAP, '-q', '-f', 'json', '--from', 'start_kernel', '--to', '8.7s')).out);
    expect(j.summary.window).toEqual({ from: 'start_kernel', to: '8.7s', from_ns: expect.any(Number), to_ns: 8_700_000_000 });
    const t = await cli('self-time', trace, '--map', MAP, '-f', 'table', '--phase', 'start_kernel');
    expect(t.out).toMatch(/^window: [\d.]+ s \(start_kernel\) to the end, [\d.]+ \w?s$/m);
    expect((await cli('self-time', trace, '--map', MAP, '--phase', 'nope')).err).toMatch(/--phase nope: this trace's phases are firmware, /);
    expect((await cli('self-time', trace, '--map', MAP, '--from', 'no_such_fn')).err).toMatch(/--from no_such_fn: no milestone of that key and no function/);
    expect((await cli('self-time', trace, '--map', MAP, '--from', '2', '--to', '1')).err).toMatch(/the window is empty/);
    expect((await cli('self-time', trace, '--map', MAP, '--phase', 'user', '--from', '1')).code).toBe(1);
    expect((await cli('self-time', '-', '--map', MAP, '--from', 'start_kernel')).err).toMatch(/reads the trace twice/);
  });
});
