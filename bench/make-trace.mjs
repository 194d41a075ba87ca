// Builds a real-derived QEMU exec_tb trace of at least BOOTPROF_BENCH_MB (default 1024) MiB from
// the committed samples, excerpts of one real boot: the kernel-entry and start_kernel excerpts
// once, then the user-space excerpt repeated, each copy's timestamps shifted so time keeps
// increasing (the seconds digits are rewritten in place).
//   node bench/make-trace.mjs [OUT] [MIN_BYTES]
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const samples = join(root, 'samples');
export const minBytes = Number(process.argv[3] ?? Number(process.env.BOOTPROF_BENCH_MB ?? 1024) * (1 << 20));
export const out = process.argv[2] ?? join(root, 'bench', 'data', `bench-${Math.round(minBytes / (1 << 20))}m.log`);
const parts = ['kernel-entry-20k.log.gz', 'start-kernel-120k.log.gz'];
const repeat = 'userspace-500k.log.gz';

export async function makeTrace() {
  if (existsSync(out) && statSync(out).size >= minBytes) return out;
  for (const p of [...parts, repeat]) if (!existsSync(join(samples, p))) throw new Error(`missing ${join('samples', p)}: set BOOTPROF_BENCH_TRACE to a trace`);
  mkdirSync(dirname(out), { recursive: true });
  const w = createWriteStream(out);
  let written = 0;
  let lastSec = 0; // last second written
  const copy = async (file) => {
    let offset = null; // seconds added to this copy
    let tail = Buffer.alloc(0);
    for await (const chunk of createReadStream(join(samples, file)).pipe(createGunzip())) {
      const buf = tail.length ? Buffer.concat([tail, chunk]) : chunk;
      const last = buf.lastIndexOf(10);
      if (last < 0) {
        tail = buf;
        continue;
      }
      const block = Buffer.from(buf.subarray(0, last + 1));
      tail = Buffer.from(buf.subarray(last + 1));
      for (let i = 0; i < block.length;) {
        const at = block.indexOf(64, i); // '@'
        const nl = block.indexOf(10, i);
        if (at > 0 && at < nl && block[at + 11] === 46) {
          let sec = 0;
          for (let k = at + 1; k < at + 11; k++) sec = sec * 10 + block[k] - 48;
          if (offset === null) offset = lastSec === 0 ? 0 : lastSec + 1 - sec; // close the gaps between excerpts
          sec += offset;
          lastSec = sec;
          for (let k = at + 10; k > at; k--) {
            block[k] = 48 + (sec % 10);
            sec = Math.floor(sec / 10);
          }
        }
        i = nl + 1;
      }
      written += block.length;
      if (!w.write(block)) await new Promise((r) => w.once('drain', r));
    }
  };
  for (const p of parts) await copy(p);
  while (written < minBytes) await copy(repeat);
  await new Promise((r) => w.end(r));
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  makeTrace().then((p) => console.log(`${p}: ${statSync(p).size} bytes`));
}
