/**
 * Time windows on report and diff, on committed samples: report's tables equal the windowed commands'
 * own (self-time --stacks, syscalls --summary, timeline, initcalls), self-time --stacks over the
 * phases adds up to the whole run, and diff applies one window to both sides.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';
import { jsonRunner, MAP, windowTraces, type Row } from './window-fixtures.js';

const { dir, boot, ic } = windowTraces('window-report');
/** The documents whose windowed form this file checks against their schema. */
const json = jsonRunner(new Set(['report', 'diff']));

describe('report and diff in a window', () => {
  it("report's tables equal the windowed commands'", async () => {
    const w = ['--from', '8.6', '--to', '284.48s'];
    const rep = await json('report', boot, '--stacks', ...w);
    const st = await json('self-time', boot, '--stacks', ...w);
    expect(rep.functions).toEqual(st.functions);
    expect(rep.summary.total_self_ns).toBe(st.summary.total_self_ns);
    expect(rep.syscalls).toEqual((await json('syscalls', boot, '--summary', ...w)).syscalls);
    const tl = await json('timeline', boot, ...w);
    for (const k of ['phases', 'milestones']) expect(rep[k], k).toEqual(tl[k]);
    expect(rep.summary.window).toEqual(st.summary.window);
    const ir = await json('report', ic, '--stacks', '--from', '0.03', '--to', '0.1');
    expect(ir.initcalls.length).toBeGreaterThan(0);
    expect(ir.initcalls).toEqual((await json('initcalls', ic, '--from', '0.03', '--to', '0.1')).initcalls);
  });

  it('self-time --stacks over the phases adds up to the whole run (self and total per function)', async () => {
    const phases = (await json('timeline', boot)).phases.map((p) => p.phase as string);
    const sum = new Map<string, [number, number]>();
    for (const p of phases)
      for (const r of (await json('self-time', boot, '--stacks', '--phase', p)).functions) {
        const v = sum.get(r.function as string) ?? [0, 0];
        sum.set(r.function as string, [v[0] + (r.self_ns as number), v[1] + (r.total_ns as number)]);
      }
    const whole = (await json('self-time', boot, '--stacks')).functions.map(
      (r) => [r.function as string, [r.self_ns as number, r.total_ns as number]] as const,
    );
    expect(new Map([...sum].sort())).toEqual(new Map([...whole].sort()));
  });

  it('diff: the same window on each side, resolved in each trace; a saved report is refused', async () => {
    const d = await json('diff', boot, boot, '--from', 'start_kernel', '--to', '9s');
    const sides = d.summary as unknown as { a: { window: Row; total_self_ns: number }; b: { window: Row } };
    expect(sides.a.window).toEqual({ from: 'start_kernel', to: '9s', from_ns: expect.any(Number), to_ns: 9e9 });
    expect(sides.b.window).toEqual(sides.a.window);
    expect(sides.a.total_self_ns).toBe((await json('self-time', boot, '--from', 'start_kernel', '--to', '9s')).summary.total_self_ns);
    expect(d.summary.total_delta).toBe(0);
    const saved = join(dir, 'a.json');
    expect((await cli('report', boot, '--map', MAP, '-q', '--stacks', '-f', 'json', '-o', saved)).code).toBe(0);
    const r = await cli('diff', saved, boot, '--map', MAP, '-q', '--phase', 'start_kernel');
    expect([r.code, r.err]).toEqual([1, expect.stringMatching(/--from\/--to\/--phase: A \(.*a\.json\) is a saved report/)]);
  });
});
