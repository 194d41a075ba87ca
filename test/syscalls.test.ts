/** `syscalls`: detection rules pinned on hand-made traces and System.map texts. */
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZES, logLine, runText } from './helpers.js';
import { classifySyscallNames, summarizeSyscalls, Syscalls, type SyscallRow } from '../src/analyze/syscalls.js';
import { systemMapFromText } from '../src/symbols/system-map.js';
import { syscallStatsTable, syscallTotalsText } from '../src/commands/syscalls.js';
import { CALLS_TABLE } from '../src/analyze/syscalls.js';
import { makeTable } from '../src/model/table.js';
import { csvText } from '../src/output/csv.js';

/** An x86-64 map in the shape of 6.1's: aliases at one address, entry labels, data symbols. */
const X86_MAP = `
ffffffff81000000 T _text
ffffffff81000000 T startup_64
ffffffff81001000 t __do_sys_getpid
ffffffff81001000 T __ia32_sys_getpid
ffffffff81001000 T __x64_sys_getpid
ffffffff81001100 T __x64_sys_read
ffffffff81001200 T __ia32_sys_read
ffffffff81001300 T __ia32_compat_sys_fcntl64
ffffffff81001400 T __x64_sys_wait4
ffffffff81001500 T __x64_sys_exit_group
ffffffff81001600 t __x64_sys_mount.cold
ffffffff81001700 T sys_ni_syscall
ffffffff81001800 T sys_fillrect
ffffffff81002000 T do_syscall_64
ffffffff81002100 T x64_sys_call
ffffffff81002200 T syscall_exit_to_user_mode
ffffffff81003000 T schedule
ffffffff81003100 T do_idle
ffffffff81c00080 T entry_SYSCALL_64
ffffffff81c000a9 T entry_SYSCALL_64_safe_stack
ffffffff81c000b8 T entry_SYSCALL_64_after_hwframe
ffffffff81c0021b T entry_SYSRETQ_unsafe_stack
ffffffff81c01770 T entry_SYSENTER_compat
ffffffff81c0179a T entry_SYSENTER_compat_after_hwframe
ffffffff81c01830 T entry_SYSCALL_compat
ffffffff81c01900 T entry_INT80_compat
ffffffff81c02000 T _etext
ffffffff82000360 D sys_call_table
ffffffff82001000 R sys_getpid_is_data
`;

const K = {
  schedule: '0xffffffff81003000',
  idle: '0xffffffff81003140',
  entry: '0xffffffff81c00080',
  entry2: '0xffffffff81c000a0', // a second TB inside entry_SYSCALL_64 (after the CR3 switch)
  hwframe: '0xffffffff81c00111',
  sysret: '0xffffffff81c00230',
  sysenter: '0xffffffff81c01770',
  syscallCompat: '0xffffffff81c01830',
  int80: '0xffffffff81c01900',
  doSyscall: '0xffffffff81002000',
  sysCall: '0xffffffff81002100',
  exitToUser: '0xffffffff81002200',
  getpid: '0xffffffff81001000',
  read: '0xffffffff81001100',
  ia32Read: '0xffffffff81001200',
  fcntl: '0xffffffff81001300',
  wait4: '0xffffffff81001400',
  exitGroup: '0xffffffff81001500',
  mountCold: '0xffffffff81001610',
  ni: '0xffffffff81001700',
  fillrect: '0xffffffff81001800',
};
const USER = '0x401000';
const USER2 = '0x4015a0';

/** Events of one system call, one µs apart from `t0`: entry ... handler ... return path. */
function call(tid: number, t0: number, handler: string | null, entry = K.entry): string[] {
  const pcs = [entry, K.entry2, K.hwframe, K.doSyscall, K.sysCall, ...(handler ? [handler] : []), K.exitToUser, K.sysret];
  return pcs.map((pc, i) => logLine(tid, t0 + i, pc));
}

async function syscalls(text: string, map = X86_MAP, o: { chunkSize?: number; batchSize?: number } = {}): Promise<SyscallRow[]> {
  const an = new Syscalls(systemMapFromText(map).names);
  await runText(text, () => [an], { map, ...o });
  return an.rows();
}

/** Same rows for every chunk size and a tiny batch size. */
async function stable(text: string, map = X86_MAP): Promise<SyscallRow[]> {
  const ref = await syscalls(text, map);
  for (const chunkSize of CHUNK_SIZES) expect(await syscalls(text, map, { chunkSize })).toEqual(ref);
  expect(await syscalls(text, map, { batchSize: 3, chunkSize: 7 })).toEqual(ref);
  return ref;
}

const row = (ts: number, name: string, duration: number, extra: Partial<SyscallRow> = {}): SyscallRow => ({
  ts,
  name,
  cpu: 0,
  duration,
  insns: 0,
  unfinished: false,
  compat: false,
  ...extra,
});

describe('syscall name classification', () => {
  it('marks entries, strips handler prefixes and ignores non-handlers of a current kernel', () => {
    const names = systemMapFromText(X86_MAP).names;
    const c = classifySyscallNames(names);
    const id = (n: string): number => names.indexOf(n);
    expect(c.entries.sort()).toEqual(['entry_INT80_compat', 'entry_SYSCALL_64', 'entry_SYSCALL_compat', 'entry_SYSENTER_compat']);
    expect(c.entryKind[id('entry_SYSCALL_64')]).toBe(1);
    expect(c.entryKind[id('entry_SYSENTER_compat')]).toBe(2);
    expect(c.entryKind[id('entry_SYSCALL_64_after_hwframe')]).toBe(0);
    expect(c.entryKind[id('entry_SYSRETQ_unsafe_stack')]).toBe(0);
    const handlerName = (n: string): string | null => (c.handler[id(n)] >= 0 ? c.callNames[c.handler[id(n)]] : null);
    expect(handlerName('__x64_sys_getpid')).toBe('getpid');
    expect(handlerName('__ia32_sys_read')).toBe('read');
    expect(handlerName('__ia32_compat_sys_fcntl64')).toBe('fcntl64');
    expect(c.compatHandler[id('__ia32_compat_sys_fcntl64')]).toBe(1);
    expect(c.compatHandler[id('__ia32_sys_read')]).toBe(0);
    expect(handlerName('__x64_sys_mount.cold')).toBe('mount');
    // a current kernel: sys_NAME is not the handler convention; sys_fillrect is a framebuffer helper
    expect(handlerName('sys_fillrect')).toBeNull();
    expect(handlerName('sys_ni_syscall')).toBeNull();
    expect(handlerName('do_syscall_64')).toBeNull();
    expect(handlerName('x64_sys_call')).toBeNull();
    // data symbols never reach the name table
    expect(names).not.toContain('sys_call_table');
    expect(names).not.toContain('sys_getpid_is_data');
    expect(c.legacy).toBe(false);
    expect(c.callNames[0]).toBe('unknown');
    // region labels are never classified
    for (let i = 0; i < 5; i++) expect(c.entryKind[i] + c.handler[i] + 1).toBe(0);
  });

  it('uses sys_NAME / SyS_NAME / compat_sys_NAME only on a pre-4.17 kernel', () => {
    const map = `
ffffffff81000000 T _text
ffffffff81001000 T sys_getpid
ffffffff81001100 T SyS_read
ffffffff81001100 T sys_read
ffffffff81001200 T compat_sys_fcntl64
ffffffff81001300 T sys_ni_syscall
ffffffff81c00080 T entry_SYSCALL_64
ffffffff82000360 R sys_call_table
`;
    const names = systemMapFromText(map).names;
    const c = classifySyscallNames(names);
    expect(c.legacy).toBe(true);
    const got = names.map((n, i) => [n, c.handler[i] >= 0 ? c.callNames[c.handler[i]] : null]).filter(([, v]) => v !== null);
    // SyS_read and sys_read share an address: the table keeps the first in the file; both name `read`
    expect(Object.fromEntries(got)).toEqual({ sys_getpid: 'getpid', SyS_read: 'read', compat_sys_fcntl64: 'fcntl64', sys_ni_syscall: 'ni_syscall' });
  });
});

describe('syscalls on hand-made traces', () => {
  it('opens at the entry, is named by the handler and closes at the next user event', async () => {
    const text = [
      logLine(100, 1000, K.schedule),
      logLine(100, 1010, USER),
      ...call(100, 1020, K.getpid), // 1020..1027
      logLine(100, 1040, USER2),
      logLine(100, 1050, USER),
    ].join('');
    expect(await stable(text)).toEqual([row(20_000, 'getpid', 20_000)]);
  });

  it('marks calls through the compat entries (x86-64 SYSENTER, SYSCALL from 32-bit, int $0x80)', async () => {
    const text = [
      logLine(100, 0, K.schedule),
      logLine(100, 10, USER),
      ...call(100, 100, K.getpid, K.sysenter), // the __x64_ alias is what the table shows: the entry says compat
      logLine(100, 200, USER),
      ...call(100, 300, K.fcntl, K.syscallCompat),
      logLine(100, 400, USER),
      ...call(100, 500, K.ia32Read, K.int80),
      logLine(100, 600, USER),
      ...call(100, 700, K.read),
      logLine(100, 800, USER),
    ].join('');
    expect(await stable(text)).toEqual([
      row(100_000, 'getpid', 100_000, { compat: true }),
      row(300_000, 'fcntl64', 100_000, { compat: true }),
      row(500_000, 'read', 100_000, { compat: true }),
      row(700_000, 'read', 100_000),
    ]);
  });

  it('names a call that reaches no handler "unknown", and the first handler wins', async () => {
    const text = [
      logLine(100, 0, K.schedule),
      logLine(100, 10, USER),
      ...call(100, 20, null),
      logLine(100, 40, USER),
      ...call(100, 50, K.wait4),
      logLine(100, 60, K.getpid), // another handler later in the same call: not its name
      logLine(100, 70, USER),
    ].join('');
    expect(await stable(text)).toEqual([row(20_000, 'unknown', 20_000), row(50_000, 'wait4', 20_000)]);
  });

  it("reports a call still open at the end as unfinished, running to its vCPU's last event", async () => {
    const text = [
      logLine(100, 0, K.schedule),
      logLine(200, 1, K.schedule),
      logLine(100, 10, USER),
      ...call(100, 20, K.exitGroup), // 20..27
      logLine(100, 30, K.schedule),
      logLine(200, 40, USER), // another vCPU runs user code: does not close vCPU 0's call
      logLine(200, 90, K.idle), // nor do its later events count as vCPU 0's
    ].join('');
    expect(await stable(text)).toEqual([row(20_000, 'exit_group', 10_000, { unfinished: true })]);
  });

  it('keeps two vCPUs making calls at the same time apart', async () => {
    const a = call(100, 100, K.wait4); // vCPU 0: 100..107
    const b = call(200, 101, K.read); // vCPU 1: 101..108
    const interleaved: string[] = [];
    for (let i = 0; i < a.length; i++) interleaved.push(a[i], b[i]);
    const text = [
      logLine(100, 0, K.schedule),
      logLine(200, 0, K.schedule),
      logLine(100, 50, USER),
      logLine(200, 50, USER),
      ...interleaved,
      logLine(200, 150, USER), // vCPU 1 returns first
      logLine(100, 200, K.idle),
      ...call(200, 160, K.getpid), // a vCPU 1 line written after a later vCPU 0 line
      logLine(200, 170, USER),
      logLine(100, 300, USER),
    ].join('');
    expect(await stable(text)).toEqual([row(100_000, 'wait4', 200_000), row(101_000, 'read', 49_000, { cpu: 1 }), row(160_000, 'getpid', 10_000, { cpu: 1 })]);
  });

  it('ignores handlers and user events outside calls, and kernel entries that are not syscalls', async () => {
    const text = [
      logLine(100, 0, K.schedule),
      logLine(100, 5, K.getpid), // a handler reached without an entry (kernel thread): no call
      logLine(100, 10, USER),
      logLine(100, 12, K.idle), // an interrupt from user space: no entry symbol, no call
      logLine(100, 14, USER),
      logLine(100, 16, K.hwframe), // a label inside the entry code is not the entry
      logLine(100, 18, USER),
    ].join('');
    expect(await stable(text)).toEqual([]);
  });

  it('reads pre-4.17 names (sys_NAME, SyS_NAME)', async () => {
    const map = `
ffffffff81000000 T _text
ffffffff81001000 T sys_getpid
ffffffff81001100 T SyS_read
ffffffff81001100 T sys_read
ffffffff81001200 T sys_ni_syscall
ffffffff81002000 T do_syscall_64
ffffffff81a00000 T entry_SYSCALL_64
ffffffff81a00100 T entry_SYSCALL_64_after_hwframe
ffffffff81a01000 T _etext
ffffffff82000360 R sys_call_table
`;
    const e = '0xffffffff81a00000';
    const h = '0xffffffff81a00130';
    const text = [
      logLine(7, 0, '0xffffffff81002010'),
      logLine(7, 10, USER),
      logLine(7, 20, e),
      logLine(7, 21, h),
      logLine(7, 22, '0xffffffff81002000'),
      logLine(7, 23, '0xffffffff81001100'),
      logLine(7, 24, h),
      logLine(7, 30, USER),
      logLine(7, 40, e),
      logLine(7, 41, '0xffffffff81001000'),
      logLine(7, 50, USER),
      logLine(7, 60, e),
      logLine(7, 61, '0xffffffff81001210'),
      logLine(7, 62, USER),
    ].join('');
    expect(await stable(text, map)).toEqual([row(20_000, 'read', 10_000), row(40_000, 'getpid', 10_000), row(60_000, 'ni_syscall', 2_000)]);
  });

  it('detects arm64 calls (el0_svc runs again after the handler) and riscv handlers', async () => {
    const map = `
ffff800008000000 T _text
ffff800008010000 T el0_svc
ffff800008010100 T el0_svc_compat
ffff800008020000 T invoke_syscall
ffff800008030000 T __arm64_sys_openat
ffff800008030100 T __arm64_compat_sys_fcntl64
ffff800008030200 T __riscv_sys_read
ffff800009000000 T _etext
`;
    const text = [
      logLine(1, 0, '0xffff800008020000'),
      logLine(1, 10, '0xaaaa00401000'),
      logLine(1, 20, '0xffff800008010000'),
      logLine(1, 21, '0xffff800008020000'),
      logLine(1, 22, '0xffff800008030000'),
      logLine(1, 23, '0xffff800008010040'), // back in el0_svc: same call
      logLine(1, 30, '0xaaaa00401004'),
      logLine(1, 40, '0xffff800008010100'),
      logLine(1, 41, '0xffff800008030100'),
      logLine(1, 42, '0xffff800008010140'),
      logLine(1, 45, '0x10000'),
    ].join('');
    expect(await stable(text, map)).toEqual([row(20_000, 'openat', 10_000), row(40_000, 'fcntl64', 5_000, { compat: true })]);
    const c = classifySyscallNames(systemMapFromText(map).names);
    expect(c.callNames).toContain('read');
  });

  it('finds nothing without symbols', async () => {
    const an = new Syscalls(['[firmware]', '[boot]', '[user]', '[unknown]', '[kernel]']);
    await runText([logLine(1, 0, K.entry), logLine(1, 1, K.getpid), logLine(1, 2, USER)].join(''), () => [an]);
    expect(an.rows()).toEqual([]);
    expect(an.classes.entries).toEqual([]);
  });
});

describe('syscalls output', () => {
  const rows: SyscallRow[] = [
    row(10, 'read', 300),
    row(20, 'getpid', 100),
    row(30, 'read', 100, { cpu: 1 }),
    row(40, 'read', 50, { compat: true }),
    row(50, 'wait4', 400, { unfinished: true }),
    row(60, 'read', 200),
  ];

  it('summarises per name (compat apart) by total, with min, mean, max and share', () => {
    const s = summarizeSyscalls(rows);
    expect(s.map((x) => [x.name, x.compat, x.count, x.total, x.min, x.mean, x.max, x.share, x.unfinished])).toEqual([
      ['read', false, 3, 600, 100, 200, 300, 52.1739, 0],
      ['wait4', false, 1, 400, 400, 400, 400, 34.7826, 1],
      ['getpid', false, 1, 100, 100, 100, 100, 8.6957, 0],
      ['read', true, 1, 50, 50, 50, 50, 4.3478, 0],
    ]);
  });

  it('writes the CSV contract: ts_ns,name,cpu,duration_ns,unfinished first', () => {
    const lines = csvText(makeTable(CALLS_TABLE, rows)).trimEnd().split('\n');
    expect(lines[0].startsWith('ts_ns,name,cpu,duration_ns,unfinished')).toBe(true);
    expect(lines[0]).toBe('ts_ns,name,cpu,duration_ns,unfinished,compat');
    expect(lines[4]).toBe('40,read,0,50,0,1');
    expect(lines[5]).toBe('50,wait4,0,400,1,0');
    const sum = csvText(syscallStatsTable(summarizeSyscalls(rows), 'ns'))
      .trimEnd()
      .split('\n');
    expect(sum[0]).toBe('name,compat,count,total_ns,min_ns,mean_ns,max_ns,share,unfinished');
    expect(sum[1]).toBe('read,0,3,600,100,200,300,52.1739,0');
  });

  it('reports the first call and the calls per vCPU (many vCPUs summarised)', () => {
    const per = (n: number) => Array.from({ length: n }, (_, cpu) => ({ cpu, tid: 100 + cpu, calls: cpu }));
    const t = { calls: 45, unfinished: 1, unknown: 2, compat: 0, first_ts_ns: 1_500_000, per_vcpu: per(10), entry_symbols: ['entry_SYSCALL_64'] };
    expect(syscallTotalsText(t, 'ns')).toEqual([
      'system calls: 45 (1 unfinished, 2 unknown), first at 0.001500 s; per vCPU: 0=0 1=1 2=2 3=3 4=4 5=5 6=6 7=7 ... (10 vCPUs, min 0, max 9)',
    ]);
    expect(syscallTotalsText({ ...t, per_vcpu: per(2), first_ts_ns: 1234 }, 'events')[0]).toContain('first at event 1,234; per vCPU: 0=0 1=1');
    expect(syscallTotalsText({ ...t, calls: 0, first_ts_ns: null }, 'ns')).toEqual(['system calls: none (no syscall entry event reached from user space)']);
  });
});
