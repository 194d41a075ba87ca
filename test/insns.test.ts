/**
 * Instruction counts from `-d in_asm` translation records: exact against an independent naive reading on
 * the committed in_asm samples, the same for every read size, worker count and work-unit size (records
 * straddle unit seams), records at the head of a file, and traces without records unchanged.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';
import { naiveInsns, naiveInsnsCsv } from './naive-insns.js';
import { sampleBytes, systemMapText } from './formats-helpers.js';

const MAP = 'samples/System.map-6.1.0-47-cloud-amd64.gz';
const mapText = systemMapText();
const SAMPLES = ['samples/inasm-boot-200k.log.gz', 'samples/inasm-start-kernel-200k.log.gz'];
let dir: string;
const plain: Record<string, string> = {};
/** Each sample decompressed once (the plain prefixes, the naive readings and the records-first file all start from it). */
const texts = new Map<string, string>();
const sampleText = (s: string): string => {
  let t = texts.get(s);
  if (t === undefined) texts.set(s, (t = sampleBytes(s.replace('samples/', '')).toString('latin1')));
  return t;
};
/** The naive reading of each sample, made once: the self-time and timeline tests both compare against it. */
const naiveOf = new Map<string, ReturnType<typeof naiveInsns>>();
const naiveSample = (s: string): ReturnType<typeof naiveInsns> => {
  let n = naiveOf.get(s);
  if (n === undefined) naiveOf.set(s, (n = naiveInsns(sampleText(s), mapText)));
  return n;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bootprof-insns-'));
  for (const s of SAMPLES) {
    // the first 30,000 lines (the seam test reads them seven times; ~90 units of 20,000 bytes)
    const p = join(dir, s.replace(/^samples\//, '').replace(/\.gz$/, ''));
    const lines = sampleText(s).split('\n');
    writeFileSync(p, lines.slice(0, 30000).join('\n') + '\n');
    plain[s] = p;
  }
});

describe.each(SAMPLES)('instruction counts on %s', (sample) => {
  it('self-time --weight insns equals the naive reading row for row; every event has its record', async () => {
    const r = await cli('self-time', sample, '--map', MAP, '--weight', 'insns', '-f', 'csv', '-q');
    expect(r.code, r.err).toBe(0);
    const naive = naiveSample(sample);
    expect(naive.records).toBeGreaterThan(300);
    expect(naive.withoutRecord).toBe(0);
    expect(r.out.split('\n').length).toBeGreaterThan(2);
    expect(r.out).toBe(naiveInsnsCsv(naive.rows));
  });

  it("timeline: each milestone's instruction position is the naive count before its first call; phases add up to the total", async () => {
    const naive = naiveSample(sample);
    const r = await cli('timeline', sample, '--map', MAP, '-q', '--format', 'json');
    const doc = JSON.parse(r.out);
    for (const m of doc.milestones) expect([m.milestone, m.insns]).toEqual([m.milestone, naive.firstBefore.get(m.function)]);
    expect(doc.phases.reduce((s: number, p: { insns: number }) => s + p.insns, 0)).toBe(naive.total);
    expect(naive.total).toBeGreaterThan(100_000);
  });

  it('identical for 1-3 workers, tiny work units (records across seams) and read sizes', async () => {
    const args = ['self-time', plain[sample], '--map', MAP, '--weight', 'insns', '-f', 'csv', '-q'];
    const ref = (await cli(...args, '-j', '1')).out;
    for (const extra of [
      ['-j', '2', '--unit-size', '20000'],
      ['-j', '3', '--unit-size', '65536'],
      ['-j', '2', '--unit-size', '500000'],
      ['-j', '1', '--chunk-size', '4093'],
      ['-j', '1', '--chunk-size', '64'],
    ]) {
      const r = await cli(...args, ...extra);
      expect(r.err).toBe('');
      expect(r.out, extra.join(' ')).toBe(ref);
    }
    const info = JSON.parse((await cli('info', plain[sample], '-f', 'json', '-q', '-j', '2', '--unit-size', '20000')).out).summary;
    expect([info.malformed_lines, info.other_lines]).toEqual([0, 0]);
    expect(info.translation.events_without_record).toBe(0);
  });
});

describe('translation records in the summary and the weight', () => {
  it('the default weight is insns with records; the summary states records, instructions and the time stamps', async () => {
    const j = JSON.parse((await cli('self-time', SAMPLES[1], '--map', MAP, '-f', 'json', '-q')).out);
    expect(j.summary.weight).toBe('insns');
    expect(j.summary.translation).toMatchObject({ events_without_record: 0, events_without_count: 0, unreadable_records: 0 });
    const sum = j.functions.reduce((s: number, f: { self_insns: number }) => s + f.self_insns, 0);
    expect(j.summary.translation.insns).toBe(sum);
    expect(j.summary.timestamps.resolution_ns).toBe(1000);
    const ins = j.functions.map((f: { self_insns: number }) => f.self_insns);
    expect(ins).toEqual([...ins].sort((a: number, b: number) => b - a));
    const table = await cli('self-time', SAMPLES[1], '--map', MAP, '-f', 'table', '--top', '3');
    expect(table.out).toMatch(/^function +self +share +events +self insns +insns share$/m);
    expect(table.out).toMatch(/^weight: guest instructions; [\d,]+ instructions from [\d,]+ translation records$/m);
    expect(table.out).toMatch(/^timestamps: 1\.000 µs resolution; median gap/m);
  });

  it('a trace without records: no instruction columns, no weight or translation keys; --weight insns is refused', async () => {
    const r = await cli('self-time', 'samples/kernel-entry-20k.log.gz', '--map', MAP, '-f', 'json', '-q');
    const j = JSON.parse(r.out);
    expect(Object.keys(j.functions[0])).toEqual(['function', 'self_ns', 'share', 'events']);
    expect(j.summary.weight).toBeUndefined();
    expect(j.summary.translation).toBeUndefined();
    const bad = await cli('self-time', 'samples/kernel-entry-20k.log.gz', '--map', MAP, '--weight', 'insns', '-f', 'csv');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--weight insns: .* has no translation records; record the trace with -d nochain,in_asm/);
    // an explicit other weight is stated, and sorts
    const ev = JSON.parse((await cli('self-time', 'samples/kernel-entry-20k.log.gz', '--map', MAP, '--weight', 'events', '-f', 'json', '-q')).out);
    expect(ev.summary.weight).toBe('events');
    const events = ev.functions.map((f: { events: number }) => f.events);
    expect(events).toEqual([...events].sort((a: number, b: number) => b - a));
  });

  it('a file that starts with nothing but translation records (over 8 KiB of them) is detected and read', async () => {
    const text = sampleText(SAMPLES[1]).split('\n');
    // every record of the excerpt first, then its events: each record waits for its first event
    const recs: string[] = [];
    const events: string[] = [];
    let inRec = false;
    for (const l of text) {
      if (l === '----------------') inRec = true;
      if (inRec) recs.push(l);
      else if (l) events.push(l);
      if (inRec && l === '') inRec = false;
    }
    const head = recs.slice(0, 2000);
    expect(head.join('\n').length).toBeGreaterThan(8192);
    const p = join(dir, 'records-first.log');
    writeFileSync(p, head.join('\n') + '\n' + events.slice(0, 5000).join('\n') + '\n');
    const r = await cli('info', p, '--map', MAP, '-f', 'json', '-q');
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out).summary;
    expect([s.format, s.events, s.malformed_lines]).toEqual(['qemu-log', 5000, 0]);
    expect(s.translation.records).toBeGreaterThan(100);
  });
});

describe('a table of thousands of records', () => {
  it('records past the table’s growth points (1,024, 2,048, ...) keep their counts in the batch that grows it, on every path', async () => {
    // 3,000 translations, each run once after its record and once more later: all in one batch on
    // one thread (stdin, gzip, --threads 1), across units with workers
    let text = '';
    let us = 0;
    const tb = (i: number): string => '0x7f00' + (0x10000000 + i * 0x140).toString(16);
    const pc = (i: number): string => '0xffffffff81' + (0x100000 + i * 0x40).toString(16);
    for (let i = 0; i < 3000; i++) {
      text += '----------------\nIN: \n';
      const n = 1 + (i % 7);
      for (let k = 0; k < n; k++) {
        const a = (BigInt(pc(i)) + BigInt(k)).toString(16);
        text += `0x${a}:  90                       ${k === n - 1 ? 'retq' : 'nop'}\n`;
      }
      text += '\n';
      text += `4415@1700000000.${String(++us).padStart(6, '0')}:exec_tb tb:${tb(i)} pc=${pc(i)}\n`;
      if (i > 0) text += `4415@1700000000.${String(++us).padStart(6, '0')}:exec_tb tb:${tb(i - 1)} pc=${pc(i - 1)}\n`;
    }
    const f = join(dir, 'many-records.log');
    writeFileSync(f, text);
    const naive = naiveInsns(text, mapText);
    expect(naive.records).toBe(3000);
    expect(naive.withoutRecord).toBe(0);
    const want = naiveInsnsCsv(naive.rows);
    for (const extra of [['--threads', '1'], ['--threads', '2', '--unit-size', '100000'], []]) {
      const r = await cli('self-time', f, '--map', MAP, '--weight', 'insns', '-f', 'csv', '-q', ...extra);
      expect(r.out, extra.join(' ')).toBe(want);
    }
  });
});
