/**
 * Time windows on syscalls, initcalls and timeline, on committed samples: each windowed table equals
 * the whole run's rows cut to the window by a naive computation here (kept when they start inside it
 * or have a part inside it; start moved to the window's start, duration clipped), and consecutive
 * windows add up to the whole run.
 */
import { describe, expect, it } from 'vitest';
import { jsonRunner, windowTraces, type Row } from './window-fixtures.js';

const { boot, ic } = windowTraces('window-commands');
/** The documents whose windowed form this file checks against their schema. */
const json = jsonRunner(new Set(['syscalls', 'initcalls', 'timeline']));

/** Rows of spans [start, start + duration) cut to [from, to) the naive way. */
function cut(rows: Row[], startKey: string, from: number, to: number): Row[] {
  const out: Row[] = [];
  for (const r of rows) {
    const s = r[startKey] as number;
    const e = s + (r.duration_ns as number);
    const a = Math.max(s, from);
    const b = Math.min(e, to);
    if (!(b > a || (s >= from && s < to))) continue;
    out.push({ ...r, [startKey]: a, duration_ns: Math.max(0, b - a) });
  }
  return out;
}

/** An edge inside row i's span: its middle, in ns. */
const mid = (r: Row, startKey: string): number => (r[startKey] as number) + Math.floor((r.duration_ns as number) / 2);

describe('windows on syscalls, initcalls and timeline', () => {
  it('syscalls: the calls overlapping the window, clipped; consecutive windows add up', async () => {
    const whole = (await json('syscalls', boot)).calls;
    expect(whole.length).toBeGreaterThanOrEqual(5);
    const [f, t] = [mid(whole[1], 'ts_ns'), mid(whole[4], 'ts_ns')];
    const got = await json('syscalls', boot, '--from', `${f}ns`, '--to', `${t}ns`);
    expect(got.calls).toEqual(cut(whole, 'ts_ns', f, t));
    expect(got.summary.window).toEqual({ from: `${f}ns`, to: `${t}ns`, from_ns: f, to_ns: t });
    // per name: the summed durations of [start, f), [f, t), [t, end) are the whole run's
    const sum = new Map<string, number>();
    for (const w of [
      ['--to', `${f}ns`],
      ['--from', `${f}ns`, '--to', `${t}ns`],
      ['--from', `${t}ns`],
    ])
      for (const s of (await json('syscalls', boot, '--summary', ...w)).syscalls)
        sum.set(s.name as string, (sum.get(s.name as string) ?? 0) + (s.total_ns as number));
    const all = (await json('syscalls', boot, '--summary')).syscalls;
    expect(new Map([...sum].sort())).toEqual(new Map(all.map((s) => [s.name as string, s.total_ns as number] as const).sort()));
  });

  it('initcalls: the initcalls running in the window, clipped; consecutive windows add up', async () => {
    const whole = (await json('initcalls', ic)).initcalls;
    expect(whole.length).toBeGreaterThanOrEqual(5);
    const [f, t] = [mid(whole[2], 'start_ns'), mid(whole[whole.length - 2], 'start_ns')];
    const got = await json('initcalls', ic, '--from', `${f}ns`, '--to', `${t}ns`);
    expect(got.initcalls).toEqual(cut(whole, 'start_ns', f, t));
    expect(got.summary.total_duration_ns).toBe(cut(whole, 'start_ns', f, t).reduce((a, r) => a + (r.duration_ns as number), 0));
    const sum = new Map<string, number>();
    for (const w of [
      ['--to', `${f}ns`],
      ['--from', `${f}ns`, '--to', `${t}ns`],
      ['--from', `${t}ns`],
    ])
      for (const r of (await json('initcalls', ic, ...w)).initcalls)
        sum.set(r.initcall as string, (sum.get(r.initcall as string) ?? 0) + (r.duration_ns as number));
    expect(new Map([...sum].sort())).toEqual(new Map(whole.map((r) => [r.initcall as string, r.duration_ns as number] as const).sort()));
  });

  it('timeline: milestones and first calls inside the window, phases cut to it; the phases of the run add up', async () => {
    const whole = await json('timeline', boot);
    const at = (k: string): number => whole.milestones.find((m) => m.milestone === k)!.time_ns as number;
    const [f, t] = [at('start_kernel') - 1000, at('first_syscall')];
    const got = await json('timeline', boot, '--from', `${f}ns`, '--to', 'first_syscall');
    const inside = (x: number): boolean => x >= f && x < t;
    expect(got.milestones.map((m) => m.milestone)).toEqual(whole.milestones.filter((m) => inside(m.time_ns as number)).map((m) => m.milestone));
    expect(got.first_calls).toEqual(whole.first_calls.filter((r) => inside(r.first_ns as number)));
    const phases = whole.phases.map((p) => ({ ...p, duration_ns: (p.end_ns as number) - (p.start_ns as number) }));
    expect(got.phases.map((p) => [p.phase, p.start_ns, p.duration_ns])).toEqual(cut(phases, 'start_ns', f, t).map((p) => [p.phase, p.start_ns, p.duration_ns]));
    // --phase P holds exactly that phase, as in the whole run
    const p = whole.phases[1];
    const one = await json('timeline', boot, '--phase', p.phase as string);
    expect(one.phases.map((q) => [q.phase, q.start_ns, q.duration_ns, q.idle_ns])).toEqual([[p.phase, p.start_ns, p.duration_ns, p.idle_ns]]);
  });
});
