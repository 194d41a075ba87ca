/**
 * Output helpers at extreme sizes: hundreds of thousands of table rows, vCPUs or calls must not hit
 * the engine's argument limit (Math.max(...array) throws a RangeError past ~100k elements).
 */
import { describe, expect, it } from 'vitest';
import { renderTable } from '../../src/output/table.js';
import { summaryText, type TraceSummary } from '../../src/commands/summary.js';
import { syscallTotalsText, type SyscallTotals } from '../../src/commands/syscalls.js';

const N = 300_000;

function summaryWith(vcpus: number): TraceSummary {
  return {
    input: 'x.log',
    format: 'qemu-log',
    unit: 'ns',
    symbols: null,
    lines: vcpus,
    events: vcpus,
    threads: vcpus,
    vcpus: Array.from({ length: vcpus }, (_, cpu) => ({ cpu, tid: 1000 + cpu, events: 1 + (cpu % 3) })),
    span_ns: 1000,
    regions: { firmware: 0, boot: 0, kernel: vcpus, user: 0, unknown: 0, unsymbolized_kernel: 0 },
    other_lines: 0,
    malformed_lines: 0,
    crlf_lines: 0,
    truncated: false,
  };
}

describe('output at extreme sizes', () => {
  it(`renderTable lays out ${N.toLocaleString('en-US')} rows (timeline --all / self-time --top N on a 1M-symbol map)`, () => {
    const rows = Array.from({ length: N }, (_, i) => [`f${i}`, String(i)]);
    const text = renderTable([{ header: 'function' }, { header: 'n', align: 'right' }], rows);
    const lines = text.split('\n');
    expect(lines.length).toBe(N + 3);
    expect(lines[2 + N - 1]).toBe(`f${N - 1}`.padEnd(8) + '  ' + String(N - 1).padStart(6));
  });

  it(`summaryText summarises ${N.toLocaleString('en-US')} vCPUs in one line (min and max, not a list)`, () => {
    const lines = summaryText(summaryWith(N));
    const per = lines.find((l) => l.startsWith('events per vCPU'))!;
    expect(per).toContain(`(${N} vCPUs, min 1, max 3)`);
    expect(per.length).toBeLessThan(200);
  });

  it(`syscallTotalsText summarises ${N.toLocaleString('en-US')} vCPUs`, () => {
    const t: SyscallTotals = {
      calls: N,
      unfinished: 0,
      unknown: 0,
      compat: 0,
      first_ts_ns: 0,
      per_vcpu: Array.from({ length: N }, (_, cpu) => ({ cpu, tid: cpu, calls: 1 + (cpu % 2) })),
      entry_symbols: ['entry_SYSCALL_64'],
    };
    const [line] = syscallTotalsText(t, 'ns');
    expect(line).toContain(`(${N} vCPUs, min 1, max 2)`);
    expect(line.length).toBeLessThan(200);
  });
});
