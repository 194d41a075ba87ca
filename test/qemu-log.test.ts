/** The QEMU log parser: line forms, exact pcs and times, bad lines, seams, wasm == JS. */
import { describe, expect, it } from 'vitest';
import { QemuLogParser } from '../src/formats/qemu-log.js';
import { EventBatch, pcHex } from '../src/model/batch.js';
import { memorySource } from '../src/io/source.js';
import { readLineBlocks } from '../src/io/chunks.js';
import { CHUNK_SIZES, prng } from './helpers.js';

interface Parsed {
  events: [number, number, string][]; // time, vCPU, pc
  stats: QemuLogParser['stats'];
  threads: number[];
}

async function parse(
  text: string | Buffer,
  o: { chunkSize?: number; fast?: boolean; variant?: number; maxLine?: number; strict?: boolean } = {},
): Promise<Parsed> {
  const p = new QemuLogParser(o.variant ?? 0, o.fast ?? true);
  p.strict = !!o.strict;
  const batch = new EventBatch(8);
  const events: Parsed['events'] = [];
  const drain = (): void => {
    for (let i = 0; i < batch.length; i++) events.push([batch.time[i], batch.thread[i], pcHex(batch.pcHi[i], batch.pcLo[i])]);
    batch.clear();
  };
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  await readLineBlocks(
    memorySource(bytes),
    {
      block(buf, start, end, base) {
        let pos = start;
        while (pos < end) {
          pos = p.parse(buf, pos, end, base, batch);
          if (batch.full) drain();
        }
      },
      dropped: (reason, offset, snippet) => p.dropped(reason, offset, snippet),
    },
    { chunkSize: o.chunkSize, maxLine: o.maxLine },
  );
  drain();
  return { events, stats: p.stats, threads: p.threadIds };
}

const GOOD = [
  '4415@1795310244.392604:exec_tb tb:0x7fbd882054c0 pc=0xffffffff810000d3',
  '4415@1795310244.392605:exec_tb tb:0x7fbd882054c0 pc=0xfffffff0',
  '4416@1795310245.000000:exec_tb_nocache tb:0x7fbd882054c0 pc=0xffffffffffffffff',
  '4415@1795310244.3926:exec_tb tb:0x1 pc=0x0',
];

describe('qemu-log parser', () => {
  it('keeps 64-bit pcs and nanosecond times exact, vCPUs in order of appearance', async () => {
    const r = await parse(GOOD.join('\n') + '\n');
    expect(r.events).toEqual([
      [0, 0, '0xffffffff810000d3'],
      [1000, 0, '0xfffffff0'],
      [607396000, 1, '0xffffffffffffffff'],
      [-4000, 0, '0x0'],
    ]);
    // 0xffffffff810000d3 as a double would be 0xffffffff81000000 + 0xd0 or so: not exact
    expect(Number(0xffffffff810000d3n) === Number(0xffffffff810000d0n)).toBe(true);
    expect(r.threads).toEqual([4415, 4416]);
    expect(r.stats).toMatchObject({ lines: 4, events: 4, other: 0, malformed: 0 });
  });

  it('skips other events and QEMU messages as "other", garbage as malformed with line numbers', async () => {
    const text =
      [
        GOOD[0],
        '4415@1795310244.392610:exec_tb_exit tb:0x7fbd882054c0 flags=0x0', // other event
        'qemu-system-x86_64: terminating on signal 15 from pid 4400 (timeout)', // QEMU message
        '', // blank
        'garbage \x00\x01 line', // malformed (3 samples kept)
        '4415@1795310244.392611:exec_tb tb:0x7fbd882054c0 pc=0xZZ', // malformed pc
        '4415@1795310244.39261x:exec_tb tb:0x7fbd882054c0 pc=0x10', // malformed time
        '4415@1795310244.392612:exec_tb tb:0x7fbd882054c0 pc=0x11111111111111111', // 17 digits
        GOOD[1],
      ].join('\n') + '\n';
    const r = await parse(text);
    expect(r.events.map((e) => e[2])).toEqual(['0xffffffff810000d3', '0xfffffff0']);
    expect(r.stats.other).toBe(3);
    expect(r.stats.malformed).toBe(4);
    expect(r.stats.samples.map((s) => s.line)).toEqual([5, 6, 7]);
    expect(r.stats.samples[0].snippet).toBe('garbage \\x00\\x01 line');
  });

  it('accepts CR LF line ends (counted) and trailing blanks', async () => {
    const r = await parse(GOOD[0] + '\r\n' + GOOD[1] + '  \n');
    expect(r.events.length).toBe(2);
    expect(r.stats.crlf).toBe(1);
    expect(r.stats.malformed).toBe(0);
  });

  it('drops a truncated last line and an over-long line without buffering it', async () => {
    for (const [chunkSize, size] of [
      [7, 100_000],
      [4096, 10 * 1024 * 1024],
      [1 << 20, 10 * 1024 * 1024],
    ]) {
      const text = GOOD[0] + '\n' + 'x'.repeat(size) + '\n' + GOOD[1] + '\n' + '4415@1795310244.3926';
      const r = await parse(text, { chunkSize });
      expect(r.events.length).toBe(2);
      expect(r.stats.malformed).toBe(2);
      expect(r.stats.samples.map((s) => [s.line, s.reason])).toEqual([
        [2, 'line longer than 65536 bytes'],
        [4, 'truncated line (no newline at end of input)'],
      ]);
    }
  });

  it('--strict makes the first malformed line fatal, naming its line', async () => {
    await expect(parse(GOOD[0] + '\nbad line\n', { strict: true })).rejects.toThrow(/line 2 .*bad line/);
  });

  it('the wasm fast path and the JS parser agree, for every chunk size', async () => {
    const lines: string[] = [];
    const rnd = prng(7);
    for (let i = 0; i < 3000; i++) {
      const pc = rnd(2) ? 'ffffffff8' + rnd(0x10000000).toString(16) : rnd(0x7fffffff).toString(16);
      const kind = rnd(40);
      const tid = 4000 + rnd(3);
      const t = `${tid}@${1795310244 + rnd(3)}.${String(rnd(1e6)).padStart(6, '0')}`;
      if (kind === 0) lines.push(`${t}:exec_tb_exit tb:0x1 flags=0x0`);
      else if (kind === 1) lines.push(`${t}:exec_tb tb:0x1 pc=0x${pc}\r`);
      else if (kind === 2) lines.push(`junk ${pc}`);
      else if (kind === 3) lines.push(`${t}:exec_tb tb:0x1 pc=0x${pc.toUpperCase()}`);
      else if (kind === 4)
        lines.push(`${t}:exec_tb tb:pc=0x1 pc=0x${pc}`); // "pc=" inside the tb field
      else if (kind === 5)
        lines.push(`${t}:exec_tb  tb:0x1  pc=0x${pc}`); // doubled blanks
      else if (kind === 6) lines.push(`${t}:exec_tb tb:0x7fZZ pc=0x${pc}`);
      else lines.push(`${t}:exec_tb tb:0x7f${rnd(1e6)} pc=0x${pc}`);
    }
    const text = lines.join('\n') + '\n';
    const js = await parse(text, { fast: false });
    for (const chunkSize of CHUNK_SIZES) {
      const fast = await parse(text, { chunkSize });
      expect(fast.events).toEqual(js.events);
      expect(fast.stats).toEqual(js.stats);
      expect(fast.threads).toEqual(js.threads);
    }
    expect(js.stats.events).toBeGreaterThan(2000);
    expect(js.stats.events + js.stats.other + js.stats.malformed).toBe(js.stats.lines);
    expect(js.stats.malformed).toBeGreaterThan(10);
    expect(js.stats.crlf).toBeGreaterThan(10);
  });
});
