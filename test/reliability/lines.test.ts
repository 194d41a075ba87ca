/**
 * Line-length limit: a line longer than maxLine (64 KiB) is dropped as malformed, never buffered,
 * whatever the read sizes. (It used to be dropped only when it straddled a read: a long line arriving
 * whole inside one read was parsed, so stdin and gzip, which deliver whatever the pipe or inflater
 * hands over, could give different results for the same bytes.)
 */
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZES, prng } from '../helpers.js';
import { SelfTime } from '../../src/analyze/self-time.js';
import { memorySource } from '../../src/io/source.js';
import { runPipeline } from '../../src/pipeline.js';

async function stats(bytes: Buffer, chunkSize: number, maxLine?: number) {
  const run = await runPipeline({ source: memorySource(bytes), chunkSize, maxLine }, ({ unit }) => [new SelfTime(unit)], {
    table: null,
    mapPath: null,
    note: null,
  });
  const s = run.parser.stats;
  return { events: s.events, malformed: s.malformed };
}

describe('over-long lines', () => {
  const long = Buffer.from(`1@1.000001:exec_tb tb:0x${'a'.repeat(70_000)} pc=0xffffffff81000000\n`);
  const text = Buffer.concat([
    Buffer.from('1@1.000000:exec_tb tb:0x1 pc=0xffffffff81000000\n'),
    long,
    Buffer.from('1@1.000002:exec_tb tb:0x1 pc=0xffffffff81000000\n'),
  ]);

  it('a 70 KB line straddling reads is dropped as malformed', async () => {
    expect(await stats(text, 4096)).toEqual({ events: 2, malformed: 1 });
  });

  it('the same line arriving inside one read is dropped too (today: parsed as an event)', async () => {
    expect(await stats(text, 1 << 20)).toEqual({ events: 2, malformed: 1 });
  });

  it('lines of every length around the limit, at every read size: exactly the longer ones are dropped', async () => {
    const rnd = prng(0x11e);
    const maxLine = 64;
    for (let c = 0; c < 20; c++) {
      const parts: string[] = [];
      let longer = 0;
      let kept = 0;
      for (let i = 0; i < 60; i++) {
        const head = `1@1.${String(i).padStart(6, '0')}:exec_tb tb:0x`;
        const tail = ' pc=0xffffffff81000000';
        const len = maxLine - 3 + rnd(7) + (rnd(10) === 0 ? 500 : 0); // line length without the newline
        parts.push(head + '1'.repeat(Math.max(1, len - head.length - tail.length)) + tail + '\n');
        if (len > maxLine) longer++;
        else kept++;
      }
      const bytes = Buffer.from(parts.join(''));
      for (const chunkSize of CHUNK_SIZES)
        expect(await stats(bytes, chunkSize, maxLine), `case ${c} chunk ${chunkSize}`).toEqual({ events: kept, malformed: longer });
    }
  });
});
