/**
 * Format detection beyond the first page, and what "no known trace format" says. The detectors see
 * the first 4 KiB, then (when nothing is recognised there) the first 4096 lines up to 1 MiB; a file
 * with nothing recognisable there gets one line naming what it holds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, logLine } from '../helpers.js';
import { DETECT_MAX_LINES } from '../../src/formats/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bootprof-detect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PCS = ['0xffffffff81000000', '0xffffffff81000040', '0x401000', '0xffffffff81000100'];
/** 2,000 exec_tb events over 2 vCPUs. */
const EVENTS = Array.from({ length: 2000 }, (_, i) => logLine(4415 + (i % 2), 1000 + i * 3, PCS[i % PCS.length])).join('');
const exitLine = (i: number) => `4415@1700000000.000${String(100 + (i % 900)).padStart(3, '0')}:exec_tb_exit last_tb:0x7f0000001000 flags=0x0\n`;

function file(name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const plain = file('events.log', EVENTS);
const reference = await cli('self-time', plain, '-f', 'csv', '-q');

/** Exit 2 and one stderr line `bootprof: PATH: no known trace format: ...` matching `why`. */
function expectUnknown(r: { code: number; err: string }, path: string, why: RegExp): void {
  const lines = r.err.split('\n').filter((l) => l !== '');
  expect([r.code, lines.length], r.err).toEqual([2, 1]);
  expect(lines[0].startsWith(`bootprof: ${path}: no known trace format: `), lines[0]).toBe(true);
  expect(lines[0]).toMatch(why);
}

describe('detection window', () => {
  it('the reference run works', () => {
    expect(reference.code, reference.err).toBe(0);
  });

  const cases: [string, string, number, number][] = [
    ['59 exec_tb_exit lines', Array.from({ length: 59 }, (_, i) => exitLine(i)).join(''), 59, 0],
    [
      '100 other-event lines',
      Array.from({ length: 100 }, (_, i) => `4415@1700000000.000001:translate_block tb:0x${i.toString(16)} pc=0x1 tb_code=0x2\n`).join(''),
      100,
      0,
    ],
    ['one 5 KB garbage line', 'x'.repeat(5000) + '\n', 0, 1],
    [
      'QEMU messages and 4000 other events',
      "qemu-system-x86_64: warning: host doesn't support requested feature\n" + Array.from({ length: 4000 }, (_, i) => exitLine(i)).join(''),
      4001,
      0,
    ],
  ];
  for (const [label, before, other, malformed] of cases) {
    it(`${label} before the first exec_tb: detected, the same rows (sequential and parallel)`, async () => {
      const p = file(label.replace(/\W+/g, '-') + '.log', before + EVENTS);
      const r = await cli('self-time', p, '-f', 'csv', '-q');
      expect(r.code, r.err).toBe(0);
      expect(r.out).toBe(reference.out);
      const par = await cli('self-time', p, '-f', 'csv', '-q', '--threads', '2', '--unit-size', '20000');
      expect(par.code, par.err).toBe(0);
      expect(par.out).toBe(reference.out);
      const info = JSON.parse((await cli('info', p, '-f', 'json')).out).summary;
      expect([info.format, info.events, info.other_lines, info.malformed_lines]).toEqual(['qemu-log', 2000, other, malformed]);
    });
  }

  it('no exec_tb in the first 4096 lines: names the other events found', async () => {
    const p = file('exits.log', Array.from({ length: DETECT_MAX_LINES }, (_, i) => exitLine(i)).join('') + EVENTS);
    expectUnknown(
      await cli('info', p),
      p,
      /the first 4096 lines hold no exec_tb event: they look like QEMU trace events of other kinds \(exec_tb_exit x4096\)/,
    );
  });

  it('a short file of other events and text: counts both, quotes the first unknown line', async () => {
    const p = file('mixed.log', Array.from({ length: 30 }, (_, i) => exitLine(i) + 'hello world\n').join(''));
    expectUnknown(
      await cli('info', p),
      p,
      /its 60 lines hold no exec_tb event: 30 lines look like QEMU trace events of other kinds \(exec_tb_exit x30\); 30 are in no known format \(first: "hello world"\)/,
    );
    const one = file('one.log', exitLine(0));
    expectUnknown(await cli('info', one), one, /its 1 line holds no exec_tb event: it looks like a QEMU trace event of another kind \(exec_tb_exit x1\)/);
  });

  it('over 1 MiB without a newline: says so', async () => {
    const p = file('noline.bin', 'y'.repeat(1.5 * (1 << 20)));
    expectUnknown(await cli('info', p), p, /the first 1 MiB holds no line end/);
  });
});

describe('compressed containers, UTF-16 and a UTF-8 byte order mark', () => {
  const body = Buffer.from(EVENTS, 'latin1');
  const junk = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 2654435761) >>> 24));
  const containers: [string, number[], RegExp][] = [
    ['t.log.xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], /: xz-compressed: bootprof reads plain and gzip traces: `xz -dc \S+t\.log\.xz \| bootprof info -`$/],
    ['t.log.zst', [0x28, 0xb5, 0x2f, 0xfd], /: zstd-compressed: .*`zstd -dc \S+t\.log\.zst \| bootprof info -`$/],
    ['t.log.bz2', [0x42, 0x5a, 0x68, 0x39], /: bzip2-compressed: .*`bzip2 -dc \S+t\.log\.bz2 \| bootprof info -`$/],
    ['t.zip', [0x50, 0x4b, 0x03, 0x04], /: a zip archive: .*`unzip -p \S+t\.zip \| bootprof info -`$/],
  ];
  for (const [name, magic, why] of containers) {
    it(`${name}: names the compression and the command`, async () => {
      const p = file(name, Buffer.concat([Buffer.from(magic), junk]));
      const r = await cli('info', p);
      const lines = r.err.split('\n').filter((l) => l !== '');
      expect([r.code, lines.length], r.err).toEqual([2, 1]);
      expect(lines[0].startsWith(`bootprof: ${p}: `)).toBe(true);
      expect(lines[0]).toMatch(why);
    });
  }

  it('the command in the suggestion is the one run; a path with a space is quoted', async () => {
    const p = file('my trace.xz', Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), junk]));
    const r = await cli('self-time', p);
    expect(r.err).toBe(`bootprof: ${p}: xz-compressed: bootprof reads plain and gzip traces: \`xz -dc '${p}' | bootprof self-time -\`\n`);
  });

  it('UTF-16 with and without a byte order mark, both byte orders: says how to convert', async () => {
    const le = Buffer.from(EVENTS.slice(0, 20000), 'utf16le');
    const be = Buffer.from(le).swap16();
    const cases: [string, Buffer, string][] = [
      [
        'bom-le.log',
        Buffer.concat([Buffer.from([0xff, 0xfe]), le]),
        'UTF-16 text (little-endian, with a byte order mark): bootprof reads ASCII/UTF-8 traces: `iconv -f UTF-16 -t UTF-8 ',
      ],
      [
        'bom-be.log',
        Buffer.concat([Buffer.from([0xfe, 0xff]), be]),
        'UTF-16 text (big-endian, with a byte order mark): bootprof reads ASCII/UTF-8 traces: `iconv -f UTF-16 -t UTF-8 ',
      ],
      ['le.log', le, 'UTF-16 text (little-endian): bootprof reads ASCII/UTF-8 traces: `iconv -f UTF-16LE -t UTF-8 '],
      ['be.log', be, 'UTF-16 text (big-endian): bootprof reads ASCII/UTF-8 traces: `iconv -f UTF-16BE -t UTF-8 '],
    ];
    for (const [name, bytes, msg] of cases) {
      const p = file(name, bytes);
      const r = await cli('info', p);
      expect([name, r.code, r.err]).toEqual([name, 2, `bootprof: ${p}: ${msg}${p} | bootprof info -\`\n`]);
    }
  });

  it('a UTF-8 byte order mark costs no event; offsets stay file offsets, sequential = parallel', async () => {
    const at = body.indexOf(0x0a, 70000) + 1; // a line start
    const p = file('bom.log', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body.subarray(0, at), Buffer.from('garbage line\n'), body.subarray(at)]));
    const r = await cli('self-time', p, '-f', 'csv', '-q');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(reference.out);
    const seq = JSON.parse((await cli('info', p, '-f', 'json', '--threads', '1')).out).summary;
    const par = JSON.parse((await cli('info', p, '-f', 'json', '--threads', '2', '--unit-size', '20000')).out).summary;
    expect([seq.events, seq.malformed_lines]).toEqual([2000, 1]);
    expect(seq.malformed_samples[0].offset).toBe(3 + at);
    expect(par.malformed_samples).toEqual(seq.malformed_samples);
    const parRows = await cli('self-time', p, '-f', 'csv', '-q', '--threads', '2', '--unit-size', '20000');
    expect(parRows.out).toBe(reference.out);
  });
});
