/**
 * Time windows on report and diff, on committed samples: report's tables equal the windowed commands'
 * own (self-time --stacks, syscalls --summary, timeline, initcalls), self-time --stacks over the
 * phases adds up to the whole run, and diff applies one window to both sides.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

const MAP = 'samples/System.map-6.1.0-47-cloud-amd64.gz';
const dir = mkdtempSync(join(tmpdir(), 'bootprof-window-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lines = (s: string, from: number, to: number): string =>
  gunzipSync(readFileSync(`samples/${s}.log.gz`))
    .toString('latin1')
    .split('\n')
    .slice(from, to)
    .join('\n') + '\n';
// one boot in time order: firmware -> early kernel -> start_kernel -> user space with system calls
const boot = join(dir, 'boot.log');
// (31,000 events: excerpts around start_kernel and the first system calls)
writeFileSync(boot, lines('kernel-entry-20k', 0, 12_000) + lines('start-kernel-120k', 19_000, 22_000) + lines('userspace-500k', 65_000, 81_000));
// the first eight initcalls
const ic = join(dir, 'initcalls.log');
writeFileSync(ic, lines('initcalls-400k', 0, 50_000));

type Row = Record<string, number | string | boolean | null>;
type Doc = Record<string, Row[]> & { summary: Record<string, unknown> & { window?: Row } };

const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
const validators = new Map<string, ValidateFunction>();

/** The documents whose windowed form this file checks against their schema (schema compiles are slow). */
const VALIDATED = new Set(['report', 'diff']);

/** A command's JSON document, validated against its schema (schema/COMMAND.v1.json) when in VALIDATED. */
async function json(command: string, trace: string, ...args: string[]): Promise<Doc> {
  const r = await cli(command, trace, '--map', MAP, '-q', '-f', 'json', ...args);
  expect(r.code, r.err).toBe(0);
  const doc = JSON.parse(r.out) as Doc;
  if (!VALIDATED.has(command)) return doc;
  if (!validators.has(command)) validators.set(command, ajv.compile(JSON.parse(readFileSync(`schema/${command}.v1.json`, 'utf8')) as object));
  const valid = validators.get(command)!;
  expect(valid(doc), `${command} ${args.join(' ')}: ${JSON.stringify(valid.errors?.slice(0, 3))}`).toBe(true);
  return doc;
}

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
