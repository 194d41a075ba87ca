/** The wasm resolver gives exactly the JS resolver's codes and offsets: kernel, physical, firmware, user, slides. */
import { describe, expect, it } from 'vitest';
import { EventBatch } from '../src/model/batch.js';
import { Resolver } from '../src/symbols/resolver.js';
import { FastResolver } from '../src/symbols/resolver-fast.js';
import { systemMapFromText } from '../src/symbols/system-map.js';
import { prng } from './helpers.js';
import { systemMapText } from './formats-helpers.js';

const MAP = systemMapText();

describe('FastResolver', () => {
  it('matches Resolver.code and its offsets on 200k random pcs of every kind, with and without a KASLR slide', () => {
    const table = systemMapFromText(MAP);
    const rnd = prng(3);
    const b = new EventBatch(200_000);
    for (let i = 0; i < b.capacity; i++) {
      const kind = rnd(8);
      let hi = 0;
      let lo = 0;
      if (kind < 3)
        [hi, lo] = [0xffffffff, 0x81000000 + rnd(0x2200000)]; // kernel text, init text, data
      else if (kind === 3)
        [hi, lo] = [0xffffffff, rnd(0x7fffffff) * 2]; // anywhere in the top 4 GiB
      else if (kind === 4)
        [hi, lo] = [0, 0x1000000 + rnd(0x2200000)]; // physical startup code
      else if (kind === 5)
        [hi, lo] = [0, rnd(2) ? 0xc0000 + rnd(0x40000) : 0xfffc0000 + rnd(0x40000)]; // firmware
      else if (kind === 6)
        [hi, lo] = [rnd(0x8000), rnd(0x7fffffff)]; // user space
      else [hi, lo] = [0x80000000 + rnd(0x7fff0000), rnd(0x7fffffff)]; // non-canonical
      b.pcHi[i] = hi >>> 0;
      b.pcLo[i] = lo >>> 0;
    }
    b.length = b.capacity;
    for (const slide of [0, 0x1e000000, -0x200000]) {
      const r = new Resolver(table);
      r.slide = slide;
      const fast = FastResolver.create(r);
      expect(fast).not.toBeNull();
      fast!.codes(b);
      let k = 0;
      let ok = 0;
      for (let i = 0; i < b.length; i++) {
        const want = r.code(b.pcHi[i], b.pcLo[i]);
        if (b.sym[i] !== want) expect([i, b.pcHi[i].toString(16), b.pcLo[i].toString(16), b.sym[i]]).toEqual([i, '', '', want]);
        if (b.off[i] !== r.off) expect([i, b.pcHi[i].toString(16), b.pcLo[i].toString(16), b.off[i]]).toEqual([i, '', '', r.off]);
        if (want >= 5 && b.pcHi[i] >= 0xffff8000) {
          // independently: the function starts exactly `off` bytes below the (unslid) pc
          const start = (b.pcHi[i] - 2 ** 32) * 2 ** 32 + b.pcLo[i] - slide - b.off[i];
          const at = table.indexOf(start);
          const got = [table.addrs[at] === start, table.fnAt[at] === want, b.off[i] >= 0];
          if (!got.every((x) => x)) expect([i, ...got]).toEqual([i, true, true, true]); // expect() only on a mismatch: 200k calls cost seconds
        } else if ((want & ~(1 << 30)) < 5 && b.off[i] !== -1) expect([i, b.off[i]]).toEqual([i, -1]);
        if (b.pcHi[i] >= 0xffff8000) {
          k++;
          if (want >= 5) ok++;
        }
      }
      expect([b.kernelEvents, b.kernelResolved]).toEqual([k, ok]);
      if (slide === 0) expect(ok).toBeGreaterThan(10_000);
    }
  });
});
