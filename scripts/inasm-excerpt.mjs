#!/usr/bin/env node
/**
 * Cuts an excerpt out of a QEMU log recorded with `-d nochain,in_asm -trace exec_tb` and keeps it
 * analysable on its own: each translation record an excerpt event needs (the record bound, before the
 * excerpt, to the event's `tb:` pointer) is written right before the first excerpt event that uses the
 * pointer, so it binds to exactly that event (same pc, next exec_tb). Records inside the excerpt stay
 * where they are.
 *
 *   zcat trace.log.gz | node scripts/inasm-excerpt.mjs FIRST_LINE LAST_LINE > excerpt.log
 *
 * Lines are 1-based line numbers of the input; the excerpt starts at the first exec_tb line at or after
 * FIRST_LINE and ends with LAST_LINE.
 */
import { createInterface } from 'node:readline';

const first = Number(process.argv[2]);
const last = Number(process.argv[3]);
if (!(first >= 1 && last >= first)) {
  process.stderr.write('usage: node scripts/inasm-excerpt.mjs FIRST_LINE LAST_LINE < trace.log > excerpt.log\n');
  process.exit(1);
}
const EXEC = /^(?:\d+@\d+\.\d+:)?exec_tb tb:(0x[0-9a-f]+) pc=0x([0-9a-f]+)\s*$/;
/** Record text by the pc it starts at, until bound; bound records by tb pointer. */
const pending = new Map();
const bound = new Map();
/** Pointers whose record has been written into the excerpt (or bound inside it). */
const written = new Set();
let record = null;
let n = 0;
let started = false;
const out = [];
const flush = () => {
  if (out.length) process.stdout.write(out.join('\n') + '\n');
  out.length = 0;
};
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  n++;
  if (record !== null) {
    record.push(line);
    if (line === '') {
      const m = /^0x([0-9a-f]+):/.exec(record[2] ?? '');
      if (m) pending.set(BigInt('0x' + m[1]).toString(16), { text: record.join('\n'), inside: started });
      if (started) out.push(...record);
      record = null;
    }
    continue;
  }
  if (line === '----------------') {
    record = [line];
    continue;
  }
  const m = EXEC.exec(line);
  if (m) {
    const [, tb, pc] = m;
    const key = BigInt('0x' + pc).toString(16);
    const rec = pending.get(key);
    if (rec !== undefined) {
      bound.set(tb, rec.text);
      pending.delete(key);
      // a record inside the excerpt binds there by itself; one from before it is written on first use
      if (rec.inside) written.add(tb);
      else written.delete(tb);
    }
    if (!started && n >= first) started = true;
    if (started) {
      if (!written.has(tb)) {
        const r = bound.get(tb);
        if (r !== undefined) out.push(...r.split('\n'));
        written.add(tb);
      }
      out.push(line);
    }
  } else if (started) out.push(line);
  if (out.length > 10000) flush();
  if (n >= last) break;
}
flush();
rl.close();
