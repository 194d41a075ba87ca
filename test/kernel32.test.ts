/**
 * 32-bit kernels: a map whose text lies above 0xc0000000 (i386, 3G/1G split) defines the kernel half
 * as [0xc0000000, 4 GiB) less the firmware's top 256 KiB; the i386 system call entries work.
 */
import { describe, expect, it } from 'vitest';
import { EventBatch } from '../src/model/batch.js';
import { Resolver } from '../src/symbols/resolver.js';
import { FastResolver } from '../src/symbols/resolver-fast.js';
import { systemMapFromText } from '../src/symbols/system-map.js';
import { SelfTime } from '../src/analyze/self-time.js';
import { Syscalls } from '../src/analyze/syscalls.js';
import { Timeline } from '../src/analyze/timeline.js';
import { kernel32Base } from '../src/symbols/regions.js';
import { CHUNK_SIZES, logLine, prng, runText } from './helpers.js';

const MAP32 = `
c1000000 T _text
c1000000 T startup_32
c1000100 T start_kernel
c1000400 T setup_arch
c1001000 T entry_INT80_32
c1001080 T do_int80_syscall_32
c1002000 T __ia32_sys_getpid
c1002100 T __ia32_sys_write
c1003000 T kernel_init
c1004000 T _etext
c1100000 D some_data
`;

/** Firmware, the setup code, startup_32 at its physical address, the kernel, then user space calling getpid and write through int $0x80. */
const TRACE = [
  logLine(1, 0, '0xfffffff0'), // reset vector: firmware
  logLine(1, 10, '0xf0100'), // BIOS: firmware
  logLine(1, 20, '0x90200'), // setup code: [boot]
  logLine(1, 30, '0x1000000'), // startup_32 at its physical address
  logLine(1, 40, '0xc1000100'), // start_kernel
  logLine(1, 50, '0xc1000400'), // setup_arch
  logLine(1, 60, '0xc1000110'), // back in start_kernel
  logLine(1, 70, '0xc1003000'), // kernel_init
  logLine(1, 100, '0x8048000'), // init: user space
  logLine(1, 110, '0xc1001000'), // int $0x80
  logLine(1, 115, '0xc1001080'),
  logLine(1, 120, '0xc1002010'), // getpid
  logLine(1, 130, '0x8048010'), // back in user space
  logLine(1, 140, '0xc1001000'),
  logLine(1, 150, '0xc1002100'), // write
  logLine(1, 170, '0x8048020'),
  logLine(1, 180, '0xc1100010'), // kernel data: no function
].join('');

describe('32-bit kernels', () => {
  it('the kernel half comes from the map: 0xc1000000 -> 0xc0000000; none for a 64-bit map', () => {
    expect(kernel32Base(systemMapFromText(MAP32).marks)).toBe(0xc0000000);
    expect(kernel32Base(systemMapFromText('ffffffff81000000 T _text\nffffffff81000010 T f\n').marks)).toBeNaN();
    expect(kernel32Base(systemMapFromText('81000000 T _text\n81000010 T f\n').marks)).toBe(0x80000000); // 2G/2G split
  });

  for (const chunkSize of CHUNK_SIZES) {
    it(`regions, functions, system calls and milestones of an i386 boot (chunks of ${chunkSize} B)`, async () => {
      let st!: SelfTime;
      let sc!: Syscalls;
      let tl!: Timeline;
      const run = await runText(TRACE, (info) => [(st = new SelfTime(info.unit)), (sc = new Syscalls(info.names)), (tl = Timeline.fromInfo(info))], {
        map: MAP32,
        chunkSize,
      });
      const rows = st.rows((id) => run.names[id]).map((r) => `${run.names[r.id]} ${r.self} ${r.events}`);
      expect(rows.sort()).toEqual(
        [
          '[user] 30000 3',
          'kernel_init 30000 1',
          '[firmware] 20000 2',
          'start_kernel 20000 2',
          '__ia32_sys_write 20000 1',
          'entry_INT80_32 15000 2',
          '[boot] 10000 1',
          'startup_32 10000 1',
          'setup_arch 10000 1',
          '__ia32_sys_getpid 10000 1',
          'do_int80_syscall_32 5000 1',
          '[unknown] 0 1',
        ].sort(),
      );
      expect(sc.rows().map((c) => [c.name, c.ts, c.duration, c.compat])).toEqual([
        ['getpid', 110_000, 20_000, false],
        ['write', 140_000, 30_000, false],
      ]);
      const ms = tl.result().milestones.map((m) => [m.key, m.time]);
      expect(ms).toEqual(
        expect.arrayContaining([
          ['kernel_entry', 30_000],
          ['start_kernel', 40_000],
          ['setup_arch', 50_000],
          ['first_user', 100_000],
          ['first_syscall', 110_000],
        ]),
      );
      expect(run.kaslr?.kernelEvents).toBe(10);
    });
  }

  it('the wasm resolver agrees with the JS one on 32-bit pcs', () => {
    const table = systemMapFromText(MAP32);
    const rnd = prng(32);
    const b = new EventBatch(20_000);
    for (let i = 0; i < b.capacity; i++) {
      b.pcHi[i] = 0;
      b.pcLo[i] = [0xc1000000 + rnd(0x200000), rnd(0xffffffff), 0xfffc0000 + rnd(0x40000), 0x1000000 + rnd(0x5000)][rnd(4)] >>> 0;
    }
    b.length = b.capacity;
    const r = new Resolver(table);
    const fast = FastResolver.create(r);
    expect(fast).not.toBeNull();
    fast!.codes(b);
    for (let i = 0; i < b.length; i++) {
      const want = r.code(b.pcHi[i], b.pcLo[i]);
      if (b.sym[i] !== want || b.off[i] !== r.off) expect([b.pcLo[i].toString(16), b.sym[i], b.off[i]]).toEqual([b.pcLo[i].toString(16), want, r.off]);
    }
  });
});
