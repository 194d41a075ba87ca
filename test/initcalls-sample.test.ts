/**
 * `initcalls` on the committed initcall-phase excerpt: lines 74,297,001-74,697,000 (400,000 lines,
 * 1.140 s of host time) of a real 1-vCPU boot of Debian's 6.1.0-47-cloud-amd64 under QEMU TCG
 * (`record-boot-trace.sh`, nokaslr, `-d nochain`). The excerpt starts 563 lines before
 * do_one_initcall's first entry (net_inuse_init, in the tail of sock_init, which it leaves out) and
 * ends inside param_sysfs_init. The pinned figures were also checked by hand with awk on the raw
 * lines; below, a naive reader that shares no code with src/ recomputes the whole list.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initcallsCommand } from '../src/commands/initcalls.js';
import { sampleBytes, systemMapText } from './formats-helpers.js';

const TRACE = 'samples/initcalls-400k.log.gz';
const MAP = 'samples/System.map-6.1.0-47-cloud-amd64.gz';

interface Row {
  initcall: string;
  start_ns: number;
  duration_ns: number;
  cpu: number;
  returned: boolean;
}

/**
 * The naive expectation: after every event at do_one_initcall's address, the first event at the
 * entry of a function the initcall table (`__initcall_*` symbols) names is the initcall; it returns
 * at the next event inside do_one_initcall (only kernel_init runs initcalls here). Times are the
 * lines' host stamps in ns since the first line; an initcall still running at the end lasts to the
 * last line.
 */
function naiveInitcalls(lines: string[], mapText: string): (Row & { line: number })[] {
  const listed = new Set<string>();
  const text: [bigint, string][] = [];
  for (const l of mapText.split('\n')) {
    const [addr, type, name] = l.split(' ');
    if (name === undefined) continue;
    const m = /^__initcall_(?:_kmod_.+?__\d+_\d+_)?(.+?)(?:early|rootfs|con|[0-7]s?)$/.exec(name);
    if (m && m[1] !== 'start' && m[1] !== 'end') listed.add(m[1]);
    if ('tTwW'.includes(type)) text.push([BigInt('0x' + addr), name]);
  }
  const entry = new Map<bigint, string>();
  for (const [a, n] of text) if (listed.has(n)) entry.set(a, n);
  const doi = text.find(([, n]) => n === 'do_one_initcall')![0];
  const doiEnd = text
    .map(([a]) => a)
    .filter((a) => a > doi)
    .reduce((x, y) => (y < x ? y : x));
  const rows: (Row & { line: number })[] = [];
  let t0 = -1;
  let last = 0;
  let armed = false;
  let open: (Row & { line: number }) | null = null;
  lines.forEach((l, i) => {
    const m = /^\d+@(\d+)\.(\d{6}):exec_tb tb:0x[0-9a-f]+ pc=0x([0-9a-f]+)$/.exec(l);
    if (!m) return;
    const us = Number(m[1]) * 1e6 + Number(m[2]);
    if (t0 < 0) t0 = us;
    const t = (us - t0) * 1000;
    last = t;
    const pc = BigInt('0x' + m[3]);
    if (pc === doi) {
      armed = true;
    } else if (armed && entry.has(pc)) {
      armed = false;
      open = { initcall: entry.get(pc)!, start_ns: t, duration_ns: 0, cpu: 0, returned: false, line: i + 1 };
      rows.push(open);
    } else if (open && pc > doi && pc < doiEnd) {
      open.duration_ns = t - open.start_ns;
      open.returned = true;
      open = null;
    }
  });
  if (open !== null) (open as Row).duration_ns = last - (open as Row).start_ns;
  return rows;
}

let dir: string;
let rows: Row[];
let naive: (Row & { line: number })[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bootprof-initcalls-'));
  await initcallsCommand(TRACE, { map: MAP, format: 'json', output: join(dir, 'ic.json'), quiet: true });
  rows = JSON.parse(readFileSync(join(dir, 'ic.json'), 'utf8')).initcalls;
  const lines = sampleBytes(TRACE.replace('samples/', '')).toString('latin1').split('\n');
  naive = naiveInitcalls(lines, systemMapText());
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('initcalls on the initcall-phase sample', () => {
  it('finds 63 initcalls: 62 that return inside the excerpt, then param_sysfs_init still running', () => {
    expect(rows.length).toBe(63);
    expect(rows.filter((r) => r.returned).length).toBe(62);
    expect(rows.at(-1)).toEqual({ initcall: 'param_sysfs_init', start_ns: 1_101_299_000, duration_ns: 39_115_000, cpu: 0, returned: false });
    expect(rows.every((r) => r.cpu === 0)).toBe(true);
  });

  it('pins the first initcalls: name, start and duration (checked by hand on the raw lines)', () => {
    expect(rows.slice(0, 6)).toEqual([
      { initcall: 'net_inuse_init', start_ns: 5_530_000, duration_ns: 855_000, cpu: 0, returned: true }, // line 999 (do_one_initcall at line 564)
      { initcall: 'net_defaults_init', start_ns: 6_654_000, duration_ns: 97_000, cpu: 0, returned: true }, // line 1,422
      { initcall: 'init_default_flow_dissectors', start_ns: 6_996_000, duration_ns: 286_000, cpu: 0, returned: true }, // line 1,587
      { initcall: 'netpoll_init', start_ns: 9_847_000, duration_ns: 3_000, cpu: 0, returned: true }, // line 2,132
      { initcall: 'netlink_proto_init', start_ns: 10_211_000, duration_ns: 115_632_000, cpu: 0, returned: true }, // line 2,255, returns at 42,176
      { initcall: 'genl_init', start_ns: 126_309_000, duration_ns: 24_707_000, cpu: 0, returned: true }, // line 42,326
    ]);
    // the longest: dma_atomic_pool_init, 191.256 ms
    expect([...rows].sort((a, b) => b.duration_ns - a.duration_ns)[0]).toMatchObject({
      initcall: 'dma_atomic_pool_init',
      start_ns: 337_920_000,
      duration_ns: 191_256_000,
    });
  });

  it('lists them in the order of their do_one_initcall calls in the raw lines, with the same times', () => {
    expect(naive.length).toBe(63);
    expect(naive.slice(0, 3).map((r) => r.line)).toEqual([999, 1422, 1587]);
    expect(rows.map((r) => r.initcall)).toEqual(naive.map((r) => r.initcall));
    expect(rows).toEqual(naive.map(({ line: _line, ...r }) => r));
    // two static functions share a name: both calls are listed
    expect(rows.filter((r) => r.initcall === 'activate_jump_labels').length).toBe(2);
  });

  it('writes the table with the count and marks the unfinished one', async () => {
    await initcallsCommand(TRACE, { map: MAP, format: 'table', output: join(dir, 'ic.txt'), quiet: true, threads: '1' });
    const text = readFileSync(join(dir, 'ic.txt'), 'utf8');
    expect(text).toMatch(/^start \(s\) +initcall +duration +vCPU\n/);
    expect(text).toMatch(/\n 1\.101299 +param_sysfs_init \(unfinished\) +39\.12 ms +0\n/);
    expect(text).toContain('\ninitcalls: 63 (1 unfinished), 1.017 s in total\n');
  });
});
