import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CHUNK_SIZES } from './helpers.js';
import { excerpt, selfRows, systemMapTable, toDexec, toGdb, toQemuLog, toSimpletraceBin, toSimpletraceText, toTwoColumn, type Ev } from './formats-helpers.js';
import { detectFormat, FORMAT_NAMES } from '../src/formats/index.js';
import { TimeReader } from '../src/formats/text-common.js';
import { writeSimpleTrace } from './simpletrace-writer.js';
import { ResolveWriter } from '../src/output/resolved.js';
import { memorySource } from '../src/io/source.js';
import { runPipeline } from '../src/pipeline.js';
import type { OutputSink } from '../src/output/sink.js';

const FIX = new URL('./fixtures/', import.meta.url).pathname;

const evs: Ev[] = excerpt();
const table = systemMapTable();
const reference = await selfRows(toQemuLog(evs));

function detected(data: string | Uint8Array): string {
  const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  return detectFormat(b.subarray(0, 4096), 'test').name;
}

/** `bootprof resolve` output of a trace in memory. */
async function resolveText(data: string | Uint8Array, o: { timeUnit?: 'us' } = {}): Promise<string> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  let text = '';
  const sink: OutputSink = { isTTY: false, path: null, write: async (t) => void (text += t), close: async () => {}, discard: () => {} };
  // the pipeline finishes the writer: every line is written when it returns
  await runPipeline({ source: memorySource(bytes), timeUnit: o.timeUnit }, (info) => [new ResolveWriter(sink, info.names)], {
    table,
    mapPath: 'test.map',
    note: null,
  });
  return text;
}

describe('the shared boot excerpt through every format', () => {
  it('the reference run resolves the excerpt', () => {
    expect(reference.run.parser.stats.events).toBe(7000);
    const names = reference.rows.map((r) => r[0]);
    expect(names).toContain('[boot]');
    expect(names).toContain('clear_bss'); // physical-address startup code, resolved through _text
    expect(reference.rows.length).toBeGreaterThan(10);
  });

  const cases: [string, () => string | Uint8Array, { timeUnit?: 'us' }][] = [
    ['simpletrace-text', () => toSimpletraceText(evs), {}],
    ['simpletrace-bin', () => toSimpletraceBin(evs), {}],
    ['gdb-symbols', () => toGdb(evs, table), {}],
    ['two-column', () => toTwoColumn(evs, table), { timeUnit: 'us' }],
  ];
  for (const [name, make, o] of cases) {
    it(`${name}: detected, and the same self-time rows at every chunk size`, async () => {
      const data = make();
      expect(detected(data)).toBe(name);
      for (const chunkSize of CHUNK_SIZES) {
        const r = await selfRows(data, { chunkSize, timeUnit: o.timeUnit });
        expect(r.run.parser.format.startsWith(name)).toBe(true);
        expect(r.run.parser.stats.malformed).toBe(0);
        expect(r.rows).toEqual(reference.rows);
      }
    });
  }

  it('simpletrace-bin in big-endian byte order', async () => {
    const r = await selfRows(toSimpletraceBin(evs, false));
    expect(r.run.parser.format).toBe('simpletrace-bin (big-endian)');
    expect(r.rows).toEqual(reference.rows);
    expect(r.run.parser.lostEvents).toBe(3);
  });

  it('resolve output reads back (format "resolved") with the same rows', async () => {
    const text = await resolveText(toQemuLog(evs));
    const lines = text.split('\n');
    expect(lines.length).toBe(7001);
    expect(lines[0]).toMatch(/^0 0 \S+\+0x[0-9a-f]+$/);
    expect(lines.some((l) => /^\d+ 0 \[boot\]\+0x431c/.test(l))).toBe(true);
    expect(lines.some((l) => /^\d+ 0 clear_bss\+0x/.test(l))).toBe(true);
    expect(detected(text)).toBe('resolved');
    for (const chunkSize of [7, 1 << 20]) expect((await selfRows(text, { chunkSize })).rows).toEqual(reference.rows);
    // and the pre-resolved formats resolve back to the same lines
    expect(await resolveText(toGdb(evs, table))).toBe(text);
    expect(await resolveText(toSimpletraceBin(evs))).toBe(text);
  });

  it('-d exec (no times): events per function match, each event weighs 1', async () => {
    const data = toDexec(evs);
    expect(detected(data)).toBe('qemu-dexec');
    const want = reference.rows.map(([n, , e]) => [n, e, e]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    for (const chunkSize of CHUNK_SIZES) {
      const r = await selfRows(data, { chunkSize });
      expect(r.run.parser.unit).toBe('events');
      expect(r.run.parser.stats.other).toBe(140);
      expect(r.rows.map(([n, s, e]) => [n, s, e]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual(want);
    }
  });
});

describe('fixtures written from each documented layout', () => {
  it('a real QEMU 7.2 -d exec log (SeaBIOS)', async () => {
    const data = readFileSync(FIX + 'qemu-dexec/qemu-7.2-seabios.log');
    expect(detected(data)).toBe('qemu-dexec');
    const r = await selfRows(data, { table: null });
    expect(r.run.parser.stats.events).toBe(50);
    expect(r.run.parser.stats.other).toBe(3);
    expect(r.run.parser.stats.malformed).toBe(0);
    expect(r.rows.find((x) => x[0] === '[firmware]')?.[2]).toBe(50 - (r.rows.find((x) => x[0] === '[boot]')?.[2] ?? 0));
  });

  it('older -d exec layouts: QEMU 2.x "[N: pc]", 3.x-4.x three fields, 8.x+ Chain lines', async () => {
    const text = [
      'Trace 0x7f0000001000 [0: 00000000000fe05b] ',
      'Trace 0x7f0000001100 [1: ffffffff81000000] startup_64',
      'Trace 0: 0x7f0000001200 [0000000000000000/ffffffff81000010/0xb0] startup_64',
      'Chain 1: 0x7f0000001300 [00000000/ffffffff81000020/00000040/ff000200] startup_64',
      'Linking TBs 0x7f0000001300 index 0 -> 0x7f0000001400',
      'Trace 1: garbage [zz/yy]',
      '',
    ].join('\n');
    const r = await selfRows(text, { inputFormat: 'qemu-dexec' });
    expect(r.run.parser.stats.events).toBe(4);
    expect(r.run.parser.threadIds).toEqual([0, 1]);
    expect(r.run.parser.stats.malformed).toBe(1);
    expect(r.rows.find((x) => x[0] === 'startup_64')?.[2]).toBe(3);
  });

  for (const [dir, file, format, events] of [
    ['simpletrace-text', 'exec_tb.txt', 'simpletrace-text', 40],
    ['simpletrace-bin', 'trace-4491.bin', 'simpletrace-bin', 40],
    ['gdb-symbols', 'seed.txt', 'gdb-symbols', 40],
    ['two-column', 'time-address.txt', 'two-column', 40],
    ['two-column', 'time-symbol.txt', 'two-column', 40],
    ['resolved', 'resolved.txt', 'resolved', 40],
  ] as const) {
    it(`${dir}/${file}`, async () => {
      const data = readFileSync(`${FIX}${dir}/${file}`);
      expect(detected(data)).toBe(format);
      const r = await selfRows(data);
      expect(r.run.parser.stats.events).toBe(events);
      expect(r.run.parser.stats.malformed).toBe(0);
    });
  }
});

describe('time units', () => {
  it('reads decimal times exactly in every unit', () => {
    const cases: [string, 's' | 'ms' | 'us' | 'ns', number, number][] = [
      ['11409434.8589973', 's', 11409434, 858997300],
      ['11409434.8589973', 'us', 11, 409434859], // 858.9973 ns rounds to 859
      ['11409434.8589943', 'us', 11, 409434859],
      ['11409434.8584949', 'us', 11, 409434858],
      ['1795310244392604000', 'ns', 1795310244, 392604000],
      ['0.626', 'us', 0, 626],
      ['12', 'ms', 0, 12000000],
      ['1999.9999999', 'ms', 2, 0], // 1999999999.9 ns rounds up
      ['1999.9999994', 'ms', 1, 999999999],
      ['0.9999999999', 's', 1, 0],
    ];
    for (const [text, unit, sec, ns] of cases) {
      const r = new TimeReader(unit);
      const b = Buffer.from(text + ' ', 'latin1');
      expect(r.read(b, 0)).toBe(text.length);
      expect([r.sec, r.ns]).toEqual([sec, ns]);
    }
  });

  it('gdb-symbols times: seconds by default, --time-unit us for a trace in microseconds', async () => {
    const seed = [
      '11409434.8589973 prepare_exit_to_usermode in section .text',
      '11409434.8590031 retint_user + 8 in section .text',
      '11409436.4899973 7fb95ab3cd20',
      '11409436.4999973 do_syscall_64 + 100 in section .text',
      '',
    ].join('\n');
    const s = await selfRows(seed, { table: null });
    expect(s.run.parser.format).toBe('gdb-symbols');
    expect(s.run.parser.inputUnit).toMatch(/^seconds/);
    expect(s.rows.map((r) => [r[0], r[1]])).toEqual([
      ['retint_user', 1_630_994_200],
      ['[user]', 10_000_000],
      ['prepare_exit_to_usermode', 5_800],
      ['do_syscall_64', 0],
    ]);
    const us = await selfRows(seed, { table: null, timeUnit: 'us' });
    expect(us.run.parser.inputUnit).toMatch(/^microseconds/);
    expect(us.rows.map((r) => [r[0], r[1]])).toEqual([
      // stamps rounded to whole ns: 11409434859, 11409434859, 11409436490, 11409436500
      ['retint_user', 1631],
      ['[user]', 10],
      ['do_syscall_64', 0],
      ['prepare_exit_to_usermode', 0],
    ]);
    // names are interned once: four distinct names, ids beyond the region labels
    expect(us.run.names.slice(5)).toEqual(['prepare_exit_to_usermode', 'retint_user', 'do_syscall_64']);
  });
});

describe('detection and errors', () => {
  it('every format has a name for --input-format', () => {
    expect(FORMAT_NAMES).toEqual(['simpletrace-bin', 'qemu-log', 'simpletrace-text', 'qemu-dexec', 'gdb-symbols', 'resolved', 'two-column']);
  });

  it('simple trace files of other versions are refused with the fix', async () => {
    const b = writeSimpleTrace([]);
    b.writeBigUInt64LE(3n, 16);
    await expect(selfRows(b)).rejects.toThrow(/version 3.*simpletrace\.py/);
  });

  it('a corrupt record stops the binary reader with a malformed count', async () => {
    const good = toSimpletraceBin(evs.slice(0, 20));
    const bad = Buffer.concat([good, Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]), Buffer.alloc(40)]);
    const r = await selfRows(bad, { chunkSize: 64 });
    expect(r.run.parser.stats.events).toBe(20);
    expect(r.run.parser.stats.malformed).toBe(1);
  });

  it('a truncated last record counts as malformed', async () => {
    const good = toSimpletraceBin(evs.slice(0, 20));
    const r = await selfRows(good.subarray(0, good.length - 5), { chunkSize: 7 });
    expect(r.run.parser.stats.events).toBe(19);
    expect(r.run.parser.stats.malformed).toBe(1);
  });

  it('malformed text lines are counted, not fatal', async () => {
    const text = toSimpletraceText(evs.slice(0, 30)) + 'exec_tb x.yz pid=1 pc=0x1\n' + 'exec_tb 0.001 pid=1 tb=0x1\n';
    const r = await selfRows(text);
    expect(r.run.parser.stats.events).toBe(30);
    expect(r.run.parser.stats.malformed).toBe(2);
  });

  it('--input-format forces a format', async () => {
    const r = await selfRows('1 0xffffffff81000000\n2 0xffffffff81000010\n', { inputFormat: 'two-column' });
    expect(r.run.parser.format).toBe('two-column');
    expect(r.run.parser.stats.events).toBe(2);
  });
});

describe('several vCPUs', () => {
  it('thread ids become the same vCPUs in qemu-log, simpletrace text and binary', async () => {
    const two = evs.slice(1900, 2300).map((e, i) => ({ ...e, tid: i % 3 === 0 ? 4416 : 4415 }));
    const ref = await selfRows(toQemuLog(two));
    expect(ref.run.parser.threadIds).toEqual([4416, 4415]);
    for (const data of [toSimpletraceText(two), toSimpletraceBin(two)]) {
      for (const chunkSize of [1, 1 << 20]) {
        const r = await selfRows(data, { chunkSize });
        expect(r.run.parser.threadIds).toEqual([4416, 4415]);
        expect(r.rows).toEqual(ref.rows);
      }
    }
  });
});
