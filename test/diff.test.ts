/**
 * `bootprof diff`: every delta is B's value minus A's as the single-boot commands print them
 * (self-time --stacks, timeline, initcalls, syscalls --summary), whether a side is a trace or a saved
 * `report --stacks --format json`; the differential folded stacks are the two flame graphs' folded
 * stacks side by side; the gate's exit codes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';
import { MAP_PATH, sampleBytes } from './formats-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The first `n` lines of a sample as a file: a shorter boot (A) against the whole excerpt (B). Blank
 * lines stay: they end translation records.
 */
function cut(sample: string, n: number): string {
  const f = join(dir, `${sample}.${n}.log`);
  writeFileSync(f, sampleLines(sample).slice(0, n).join('\n') + '\n');
  return f;
}

/** A sample's lines, decompressed and split once (three cuts of the user-space sample, two of the others). */
const sampleCache = new Map<string, string[]>();
function sampleLines(sample: string): string[] {
  let l = sampleCache.get(sample);
  if (l === undefined) sampleCache.set(sample, (l = sampleBytes(sample).toString('latin1').split('\n')));
  return l;
}

type Rows = Map<string, Record<string, string>>;

function csvRows(csv: string, key: (r: Record<string, string>) => string): Rows {
  const [head, ...lines] = csv.trim().split('\n');
  const cols = head.split(',');
  const out: Rows = new Map();
  for (const l of lines) {
    const cells = l.split(',');
    const r = Object.fromEntries(cols.map((c, i) => [c, cells[i]]));
    let k = key(r);
    for (let n = 2; out.has(k); n++) k = `${key(r)}#${n}`;
    out.set(k, r);
  }
  return out;
}

async function run(...args: string[]): Promise<string> {
  const r = await cli(...args, '-q');
  expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
  return r.out;
}

/**
 * `run` for a diff of two traces that several tests make with the same arguments (the options
 * tests' reference JSON and CSV): made once, each test still checks its exit code and output.
 */
const shared = new Map<string, Promise<string>>();
function runShared(...args: string[]): Promise<string> {
  const key = args.join('\0');
  let p = shared.get(key);
  if (p === undefined) shared.set(key, (p = run(...args)));
  return p;
}

/** What the single-boot commands say about one trace. */
async function single(trace: string) {
  const functions = csvRows(await run('self-time', trace, '--map', MAP_PATH, '--stacks', '-f', 'csv'), (r) => r.function);
  const timeline = JSON.parse(await run('timeline', trace, '--map', MAP_PATH, '-f', 'json'));
  const initcalls = csvRows(await run('initcalls', trace, '--map', MAP_PATH, '-f', 'csv'), (r) => r.initcall);
  const syscalls = csvRows(await run('syscalls', trace, '--map', MAP_PATH, '--summary', '-f', 'csv'), (r) =>
    r.compat === '1' ? `${r.name} (compat)` : r.name,
  );
  return { functions, timeline, initcalls, syscalls };
}

type Single = Awaited<ReturnType<typeof single>>;
const n = (v: string | undefined): number | null => (v === undefined ? null : Number(v));
const d = (a: number | null, b: number | null): number => (b ?? 0) - (a ?? 0);

/** Checks every row of a diff's JSON against the single-boot outputs of A and B. */
function checkDiff(doc: Record<string, unknown[]> & { summary: Record<string, unknown> }, A: Single, B: Single, insns: boolean): void {
  const fns = doc.functions as Record<string, number | string | null>[];
  const names = new Set([...A.functions.keys(), ...B.functions.keys()]);
  expect(fns.length).toBe(names.size);
  for (const r of fns) {
    const a = A.functions.get(r.function as string);
    const b = B.functions.get(r.function as string);
    const cols: [string, string][] = [
      ['self_ns', 'self_ns'],
      ['total_ns', 'total_ns'],
      ['events', 'events'],
    ];
    if (insns) cols.push(['self_insns', 'self_insns'], ['total_insns', 'total_insns']);
    for (const [mine, theirs] of cols) {
      expect([r.function, mine, r[`a_${mine}`], r[`b_${mine}`], r[`delta_${mine}`]]).toEqual([
        r.function,
        mine,
        n(a?.[theirs]),
        n(b?.[theirs]),
        d(n(a?.[theirs]), n(b?.[theirs])),
      ]);
    }
    expect(r.status).toBe(a && b ? '' : a ? 'gone' : 'new');
  }
  const phase = (s: Single) => new Map((s.timeline.phases as { phase: string; duration_ns: number }[]).map((p) => [p.phase, p.duration_ns]));
  const [pa, pb] = [phase(A), phase(B)];
  for (const r of doc.phases as Record<string, number | string | null>[])
    expect([r.phase, r.a_duration_ns, r.b_duration_ns, r.delta_duration_ns]).toEqual([
      r.phase,
      pa.get(r.phase as string) ?? null,
      pb.get(r.phase as string) ?? null,
      d(pa.get(r.phase as string) ?? null, pb.get(r.phase as string) ?? null),
    ]);
  expect(doc.phases.length).toBe(new Set([...pa.keys(), ...pb.keys()]).size);
  if (insns) {
    const pi = (s: Single) => new Map((s.timeline.phases as { phase: string; insns: number }[]).map((p) => [p.phase, p.insns]));
    const [ia, ib] = [pi(A), pi(B)];
    for (const r of doc.phases as Record<string, number | string | null>[])
      expect([r.phase, r.a_insns, r.b_insns]).toEqual([r.phase, ia.get(r.phase as string) ?? null, ib.get(r.phase as string) ?? null]);
    const mi = (s: Single) => new Map((s.timeline.milestones as { milestone: string; insns: number }[]).map((p) => [p.milestone, p.insns]));
    const [ma, mb] = [mi(A), mi(B)];
    for (const r of doc.milestones as Record<string, number | string | null>[])
      expect([r.milestone, r.a_insns, r.b_insns]).toEqual([r.milestone, ma.get(r.milestone as string) ?? null, mb.get(r.milestone as string) ?? null]);
  }
  const ms = (s: Single) => new Map((s.timeline.milestones as { milestone: string; time_ns: number }[]).map((p) => [p.milestone, p.time_ns]));
  const [ma, mb] = [ms(A), ms(B)];
  for (const r of doc.milestones as Record<string, number | string | null>[])
    expect([r.milestone, r.a_time_ns, r.b_time_ns, r.delta_time_ns]).toEqual([
      r.milestone,
      ma.get(r.milestone as string) ?? null,
      mb.get(r.milestone as string) ?? null,
      d(ma.get(r.milestone as string) ?? null, mb.get(r.milestone as string) ?? null),
    ]);
  expect(doc.milestones.length).toBe(new Set([...ma.keys(), ...mb.keys()]).size);
  const ics = doc.initcalls as Record<string, number | string | null>[];
  expect(ics.length).toBe(new Set([...A.initcalls.keys(), ...B.initcalls.keys()]).size);
  for (const r of ics) {
    const a = A.initcalls.get(r.initcall as string);
    const b = B.initcalls.get(r.initcall as string);
    expect([r.initcall, r.a_duration_ns, r.b_duration_ns, r.delta_duration_ns]).toEqual([
      r.initcall,
      n(a?.duration_ns),
      n(b?.duration_ns),
      d(n(a?.duration_ns), n(b?.duration_ns)),
    ]);
    if (insns) expect([r.initcall, r.a_insns, r.b_insns]).toEqual([r.initcall, n(a?.insns), n(b?.insns)]);
  }
  const scs = (doc.syscalls ?? []) as Record<string, number | string | boolean | null>[];
  expect(scs.length).toBe(new Set([...A.syscalls.keys(), ...B.syscalls.keys()]).size);
  for (const r of scs) {
    const k = r.compat ? `${r.name} (compat)` : (r.name as string);
    const a = A.syscalls.get(k);
    const b = B.syscalls.get(k);
    expect([k, r.a_count, r.b_count, r.delta_count, r.a_total_ns, r.b_total_ns, r.delta_total_ns]).toEqual([
      k,
      n(a?.count),
      n(b?.count),
      d(n(a?.count), n(b?.count)),
      n(a?.total_ns),
      n(b?.total_ns),
      d(n(a?.total_ns), n(b?.total_ns)),
    ]);
  }
}

/** (sample, A's lines, B's lines, instruction counts): A is the shorter boot, both cut from the sample's start. */
const PAIRS: [string, number, number, boolean][] = [
  ['userspace-500k.log.gz', 110_000, 160_000, false],
  ['initcalls-400k.log.gz', 150_000, 260_000, false],
  ['inasm-start-kernel-200k.log.gz', 30_000, 60_000, true],
];

describe.each(PAIRS)('diff on %s (A: its first %i lines, B: %i)', (sample, lines, linesB, insns) => {
  const a = cut(sample, lines);
  const b = cut(sample, linesB);
  const pa = join(dir, `${sample}.a.json`);
  const pb = join(dir, `${sample}.b.json`);
  let A: Single;
  let B: Single;
  let traceTrace: string;

  it('trace against trace: every delta is B minus A of the single-boot commands', async () => {
    [A, B] = [await single(a), await single(b)];
    if (sample.startsWith('userspace')) expect(A.syscalls.size).toBeGreaterThan(5);
    if (sample.startsWith('initcalls')) expect(B.initcalls.size).toBeGreaterThan(A.initcalls.size + 10);
    traceTrace = await run('diff', a, b, '--map', MAP_PATH, '-f', 'json');
    const doc = JSON.parse(traceTrace);
    expect(doc.summary.weight).toBe(insns ? 'insns' : 'time');
    checkDiff(doc, A, B, insns);
    expect([doc.summary.total_a, doc.summary.total_b]).toEqual(
      insns ? [A.functions.size && sum(A, 'self_insns'), sum(B, 'self_insns')] : [sum(A, 'self_ns'), sum(B, 'self_ns')],
    );
  });

  it('saved reports (profile against profile, trace against profile): the same rows', async () => {
    await run('report', a, '--map', MAP_PATH, '--stacks', '-f', 'json', '-o', pa);
    await run('report', b, '--map', MAP_PATH, '--stacks', '-f', 'json', '-o', pb);
    const strip = (s: string): string => JSON.stringify({ ...JSON.parse(s), summary: { ...JSON.parse(s).summary, a: null, b: null } });
    expect(strip(await run('diff', pa, pb, '-f', 'json'))).toBe(strip(traceTrace));
    expect(strip(await run('diff', a, pb, '--map', MAP_PATH, '-f', 'json'))).toBe(strip(traceTrace));
    // CSV names no input: the same bytes whichever side is a trace
    expect(await run('diff', pa, pb, '-f', 'csv')).toBe(await run('diff', pa, b, '--map', MAP_PATH, '-f', 'csv'));
  });

  it('--format folded: A and B counts are the two flame graphs, stack for stack', async () => {
    const w = insns ? 'insns' : 'time';
    const folded = async (t: string): Promise<Map<string, number>> => {
      const out = await run('flamegraph', t, '--map', MAP_PATH, '--min-duration', '0', '--weight', w);
      return new Map(
        out
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]),
      );
    };
    const [fa, fb] = [await folded(a), await folded(b)];
    const lines = (await run('diff', pa, pb, '--format', 'folded')).trim().split('\n');
    const seenA = new Map<string, number>();
    const seenB = new Map<string, number>();
    for (const l of lines) {
      const m = /^(.*) (\d+) (\d+)$/.exec(l)!;
      if (Number(m[2]) > 0) seenA.set(m[1], Number(m[2]));
      if (Number(m[3]) > 0) seenB.set(m[1], Number(m[3]));
    }
    expect(seenA).toEqual(fa);
    expect(seenB).toEqual(fb);
  });
});

function sum(s: Single, col: string): number {
  let t = 0;
  for (const r of s.functions.values()) t += Number(r[col]);
  return t;
}

describe('diff options and errors', () => {
  const a = cut('userspace-500k.log.gz', 150_000);
  const b = cut('userspace-500k.log.gz', 250_000);

  it('--normalize scales B to A’s total; the summary says so', async () => {
    const doc = JSON.parse(await run('diff', a, b, '--map', MAP_PATH, '--normalize', '-f', 'json'));
    expect(doc.summary.normalized).toBe(true);
    expect(Math.abs(doc.summary.total_b - doc.summary.total_a)).toBeLessThanOrEqual(1);
    expect(doc.summary.b_scale).toBeLessThan(1);
    const r = await cli('diff', a, b, '--map', MAP_PATH, '--normalize', '-f', 'table');
    expect(r.out).toMatch(/normalized: B's times scaled by 0\.\d{6}/);
  });

  it('--fail-above: exit 3 naming what grew; 0 under the limit; --fail-phase checks a phase', async () => {
    const grew = await cli('diff', a, b, '--map', MAP_PATH, '--fail-above', '10', '-f', 'csv', '-q');
    expect(grew.code).toBe(3);
    expect(grew.err).toMatch(/^bootprof: diff gate: B's total time grew \d+\.\d\d% \(limit 10%\)$/m);
    expect(grew.out.split('\n')[0]).toMatch(/^function,status,a_self_ns/);
    const ok = await cli('diff', a, b, '--map', MAP_PATH, '--fail-above', '1000', '-f', 'csv', '-q');
    expect([ok.code, ok.err]).toEqual([0, '']);
    const phase = await cli('diff', a, b, '--map', MAP_PATH, '--fail-above', '1000', '--fail-phase', 'user', '-f', 'csv', '-q');
    expect(phase.code).toBe(0);
    const bad = await cli('diff', a, b, '--map', MAP_PATH, '--fail-above', '5', '--fail-phase', 'nosuch', '-f', 'csv', '-q');
    expect([bad.code, bad.err]).toEqual([1, 'bootprof: --fail-phase nosuch: no such phase in either boot (phases: user)\n']);
  });

  it('--map-a / --map-b give each side its symbols (here the same map: the same CSV as --map)', async () => {
    const both = await runShared('diff', a, b, '--map', MAP_PATH, '-f', 'csv');
    expect(await run('diff', a, b, '--map-a', MAP_PATH, '--map-b', MAP_PATH, '-f', 'csv')).toBe(both);
    // B with a map of one function: A's side is unchanged, B's functions are that one and regions
    const tiny = join(dir, 'tiny.map');
    writeFileSync(tiny, 'ffffffff81000000 T _text\nffffffff81c00080 T clear_page_rep\nffffffff83000000 T _etext\n');
    const doc = JSON.parse(await run('diff', a, b, '--map-a', MAP_PATH, '--map-b', tiny, '-f', 'json'));
    const ref = JSON.parse(await runShared('diff', a, b, '--map', MAP_PATH, '-f', 'json'));
    const side = (d: { functions: Record<string, unknown>[] }, k: string) => new Map(d.functions.filter((r) => r[k] !== null).map((r) => [r.function, r[k]]));
    expect(side(doc, 'a_self_ns')).toEqual(side(ref, 'a_self_ns'));
    expect([...side(doc, 'b_self_ns').keys()].filter((f) => !String(f).startsWith('[')).sort()).toEqual(['_text', 'clear_page_rep']);
  });

  it('--top, --min-delta and --table cut the rows', async () => {
    const all = JSON.parse(await runShared('diff', a, b, '--map', MAP_PATH, '-f', 'json'));
    const top = JSON.parse(await run('diff', a, b, '--map', MAP_PATH, '-f', 'json', '--top', '3'));
    expect(top.functions).toEqual(all.functions.slice(0, 3));
    const min = JSON.parse(await run('diff', a, b, '--map', MAP_PATH, '-f', 'json', '--min-delta', '1ms'));
    expect(min.functions).toEqual(all.functions.filter((r: { delta_self_ns: number }) => Math.abs(r.delta_self_ns) >= 1e6));
    expect(min.functions.length).toBeGreaterThan(0);
    const csv = await run('diff', a, b, '--map', MAP_PATH, '-f', 'csv', '--table', 'syscalls');
    expect(csv.split('\n')[0]).toBe('name,compat,status,a_count,b_count,delta_count,a_total_ns,b_total_ns,delta_total_ns,delta_total_pct');
  });

  it('sides given as pipes (bash process substitution) are read once, as traces: the same CSV', async () => {
    const want = await runShared('diff', a, b, '--map', MAP_PATH, '-f', 'csv');
    const BIN = new URL('../bin/bootprof.js', import.meta.url).pathname;
    const r = spawnSync('bash', ['-c', `node "${BIN}" diff <(cat "$0") <(cat "$1") --map "$2" -f csv -q`, a, b, MAP_PATH], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(want);
  });

  it('clear errors: instructions without records, folded without stacks, a file that is not a report', async () => {
    const ins = await cli('diff', a, b, '--map', MAP_PATH, '--weight', 'insns', '-q');
    expect(ins.code).toBe(1);
    expect(ins.err).toMatch(/^bootprof: --weight insns: A \(.*\) has no instruction counts; record with -d nochain,in_asm/);
    const flat = join(dir, 'flat.json');
    await run('report', a, '--map', MAP_PATH, '-f', 'json', '-o', flat);
    const f = await cli('diff', flat, b, '--map', MAP_PATH, '--format', 'folded', '-q');
    expect([f.code, f.err]).toEqual([1, `bootprof: --format folded needs call stacks: A (${flat}) is a report saved without --stacks\n`]);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"$schema": "bootprof/schema/report.v1.json", "format_version": 1, "summary": {"unit": "ns"}, "functions": [{"function": 3');
    const r = await cli('diff', bad, b, '--map', MAP_PATH, '-q');
    expect(r.code).toBe(2);
    expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.err).toMatch(new RegExp(`^bootprof: ${bad}: `));
    const plain = join(dir, 'plain.json');
    writeFileSync(plain, '{"x": 1}\n');
    const p = await cli('diff', plain, b, '--map', MAP_PATH, '-q');
    expect([p.code, p.err]).toEqual([2, `bootprof: ${plain}: JSON, but not a saved bootprof report (write one with bootprof report --format json)\n`]);
    const other = join(dir, 'other.json');
    writeFileSync(other, '{"$schema": "bootprof/schema/self-time.v1.json", "format_version": 1, "summary": {}}');
    const o = await cli('diff', other, b, '--map', MAP_PATH, '-q');
    expect([o.code, o.err]).toEqual([
      2,
      `bootprof: ${other}: not a saved bootprof report (its $schema is "bootprof/schema/self-time.v1.json"; write one with bootprof report --format json)\n`,
    ]);
  });
});
