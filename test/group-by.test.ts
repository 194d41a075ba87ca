/**
 * `--group-by` through the CLI, in-process: a hand-made trace over the DWARF fixture (linked at
 * kernel addresses, so its pcs are kernel pcs) with exact rows, and the committed samples, where
 * every grouping's totals must add up to the run's exactly.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, logLine } from './helpers.js';

const VMLINUX = join(__dirname, 'fixtures/dwarf/dwarf5.elf');
const SAMPLE = join(__dirname, '../samples/kernel-entry-20k.log.gz');
const MAP = join(__dirname, '../samples/System.map-6.1.0-47-cloud-amd64.gz');
const tmp = mkdtempSync(join(tmpdir(), 'bootprof-group-by-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// _start -> dummy_xmit -> schedule -> pick_next, back to schedule -> sched_init -> sort_step, and back
const PCS: [number, string][] = [
  [0, '0xffffffff8100106d'], // _start                  10
  [10, '0xffffffff8100105c'], // dummy_xmit             10
  [20, '0xffffffff81001005'], // schedule               10
  [30, '0xffffffff81001000'], // pick_next              10
  [40, '0xffffffff81001010'], // schedule+0xb           10
  [50, '0xffffffff81001073'], // sched_init             20
  [70, '0xffffffff81001024'], // sort_step              30
  [100, '0xffffffff81001080'], // sched_init+0xd        10
  [110, '0xffffffff81001015'], // schedule+0x10         10
  [120, '0xffffffff81001065'], // dummy_xmit+0x9        10
  [130, '0xffffffff81001072'], // _start+0x5             0
];
const trace = join(tmp, 'fixture.log');
writeFileSync(trace, PCS.map(([us, pc]) => logLine(100, us, pc)).join(''));

function csvRows(out: string): string[][] {
  return out
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
}

describe('--group-by on the DWARF fixture', () => {
  it('self-time: files and directories, exact', async () => {
    const file = await cli('self-time', trace, '--vmlinux', VMLINUX, '--group-by', 'file', '-f', 'csv', '-q');
    expect(file.code).toBe(0);
    expect(csvRows(file.out).map((r) => r.slice(0, 3))).toEqual([
      ['kernel/sched/core.c', '70000', '53.8462'],
      ['lib/sort.c', '30000', '23.0769'],
      ['drivers/net/dummy.c', '20000', '15.3846'],
      ['arch/x86/entry/entry.S', '10000', '7.6923'],
    ]);
    const dir1 = await cli('self-time', trace, '--vmlinux', VMLINUX, '--group-by', 'dir:1', '--stacks', '-f', 'json', '-q');
    const doc = JSON.parse(dir1.out) as {
      summary: { group_by: string; total_self_ns: number };
      functions: { function: string; self_ns: number; total_ns: number }[];
    };
    expect(doc.summary.group_by).toBe('dir:1');
    expect(doc.functions.map((r) => [r.function, r.self_ns, r.total_ns])).toEqual([
      ['kernel', 70000, 100000],
      ['lib', 30000, 30000],
      ['drivers', 20000, 120000],
      ['arch', 10000, 130000],
    ]);
    expect(doc.functions.reduce((s, r) => s + r.self_ns, 0)).toBe(doc.summary.total_self_ns);
  });

  it('flamegraph: each frame its group, a frame of its caller group merged into it', async () => {
    const r = await cli('flamegraph', trace, '--vmlinux', VMLINUX, '--group-by', 'dir:1', '-q');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n').sort()).toEqual(['arch 10000', 'arch;drivers 20000', 'arch;drivers;kernel 70000', 'arch;drivers;kernel;lib 30000']);
  });

  it('flamegraph evented (chrome, speedscope): a frame per group, merged frames left out', async () => {
    const out = join(tmp, 'grouped.json');
    expect((await cli('flamegraph', trace, '--vmlinux', VMLINUX, '--group-by', 'dir:1', '-f', 'chrome', '--min-duration', '0', '-o', out, '-q')).code).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: { name: string; ph: string; ts: number; dur: number }[] };
    expect(doc.traceEvents.filter((e) => e.ph === 'X').map((e) => `${e.name} ${e.ts} ${e.dur}`)).toEqual([
      'lib 70 30',
      'kernel 20 100',
      'drivers 10 120',
      'arch 0 130',
    ]);
    const ss = join(tmp, 'grouped.speedscope.json');
    expect((await cli('flamegraph', trace, '--vmlinux', VMLINUX, '--group-by', 'file', '--min-duration', '0', '-o', ss, '-q')).code).toBe(0);
    const file = JSON.parse(readFileSync(ss, 'utf8')) as {
      shared: { frames: { name: string }[] };
      profiles: { type: string; events?: { type: string; frame: number; at: number }[] }[];
    };
    const names = file.shared.frames.map((f) => f.name);
    const events = file.profiles[0].events!.map((e) => `${e.type} ${names[e.frame]} ${e.at}`);
    expect(events).toEqual([
      'O arch/x86/entry/entry.S 0',
      'O drivers/net/dummy.c 10000',
      'O kernel/sched/core.c 20000',
      'O lib/sort.c 70000',
      'C lib/sort.c 100000',
      'C kernel/sched/core.c 120000',
      'C drivers/net/dummy.c 130000',
      'C arch/x86/entry/entry.S 130000',
    ]);
  });

  it('report --stacks: the call tree and functions of groups; a diff of grouped and saved sides', async () => {
    const saved = join(tmp, 'plain.json');
    expect((await cli('report', trace, '--vmlinux', VMLINUX, '--stacks', '-f', 'json', '-o', saved, '-q')).code).toBe(0);
    const r = await cli('report', trace, '--vmlinux', VMLINUX, '--group-by', 'file', '--stacks', '-f', 'json', '-q');
    const doc = JSON.parse(r.out) as { summary: { group_by: string }; call_tree: { function: string; self_ns: number }[] };
    expect(doc.summary.group_by).toBe('file');
    expect(doc.call_tree.map((n) => `${n.function} ${n.self_ns}`)).toEqual([
      'arch/x86/entry/entry.S 10000',
      'drivers/net/dummy.c 20000',
      'kernel/sched/core.c 70000',
      'lib/sort.c 30000',
    ]);
    // a saved report without grouping is grouped like the trace side: no change between them
    const d = await cli('diff', saved, trace, '--vmlinux', VMLINUX, '--group-by', 'file', '-f', 'csv', '-q');
    expect(d.code).toBe(0);
    const rows = csvRows(d.out);
    expect(rows.map((x) => x[0]).sort()).toEqual(['arch/x86/entry/entry.S', 'drivers/net/dummy.c', 'kernel/sched/core.c', 'lib/sort.c']);
    const folded = await cli('diff', saved, trace, '--vmlinux', VMLINUX, '--group-by', 'dir:1', '-f', 'folded', '-q');
    expect(folded.out.trim().split('\n')).toEqual([
      'arch 10000 10000',
      'arch;drivers 20000 20000',
      'arch;drivers;kernel 70000 70000',
      'arch;drivers;kernel;lib 30000 30000',
    ]);
    const grouped = join(tmp, 'grouped.json');
    await cli('report', trace, '--vmlinux', VMLINUX, '--group-by', 'file', '--stacks', '-f', 'json', '-o', grouped, '-q');
    const other = await cli('diff', grouped, trace, '--vmlinux', VMLINUX, '--group-by', 'dir', '-q');
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/was saved with --group-by file: it cannot be regrouped by dir/);
  });

  it('usage errors: file or dir without --vmlinux says what to give; a vmlinux without DWARF; bad values', async () => {
    const r = await cli('self-time', trace, '--group-by', 'dir:2', '-q');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--group-by dir:2 needs the kernel's debug info: give --vmlinux VMLINUX/);
    // an ELF whose .debug_info is renamed away: no debug info
    const elf = readFileSync(VMLINUX);
    elf.write('.nodbg_info', elf.indexOf('.debug_info\0'), 'latin1');
    writeFileSync(join(tmp, 'nodwarf.elf'), elf);
    const none = await cli('self-time', trace, '--vmlinux', join(tmp, 'nodwarf.elf'), '--group-by', 'file', '-q');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/nodwarf\.elf: no debug info \(\.debug_info\): --group-by file and dir need a vmlinux built with -g/);
    const bad = await cli('report', trace, '--group-by', 'dir:0', '-q');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--group-by takes function, file, dir, dir:N/);
  });
});

describe('--group-by on a sample: group totals add up to the run', () => {
  for (const by of ['module', 'region', 'function']) {
    it(`self-time --stacks --group-by ${by}`, async () => {
      const r = await cli('self-time', SAMPLE, '--map', MAP, '--group-by', by, '--stacks', '-f', 'json', '-q');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.out) as {
        summary: { total_self_ns: number; events: number };
        functions: { function: string; self_ns: number; events: number; total_ns: number }[];
      };
      expect(doc.functions.reduce((s, x) => s + x.self_ns, 0)).toBe(doc.summary.total_self_ns);
      expect(doc.functions.reduce((s, x) => s + x.events, 0)).toBe(doc.summary.events);
      if (by === 'module') expect(doc.functions.map((x) => x.function)).toEqual(['vmlinux', '[boot]']);
      if (by === 'region') expect(doc.functions.map((x) => x.function)).toEqual(['.init.text', '[boot]', '.text']);
      // a group's inclusive time is at most the whole run's
      for (const x of doc.functions) expect(x.total_ns).toBeLessThanOrEqual(doc.summary.total_self_ns);
    });
  }

  it('flamegraph --group-by region: the folded total is the ungrouped one; no frame repeats its caller', async () => {
    const sum = (out: string): number =>
      out
        .trim()
        .split('\n')
        .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    const plain = await cli('flamegraph', SAMPLE, '--map', MAP, '--min-duration', '0', '-q');
    const grouped = await cli('flamegraph', SAMPLE, '--map', MAP, '--group-by', 'region', '--min-duration', '0', '-q');
    expect(sum(grouped.out)).toBe(sum(plain.out));
    for (const line of grouped.out.trim().split('\n')) {
      const frames = line.slice(0, line.lastIndexOf(' ')).split(';');
      for (let i = 1; i < frames.length; i++) expect(frames[i], line).not.toBe(frames[i - 1]);
    }
  });
});
