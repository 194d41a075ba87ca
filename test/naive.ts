/**
 * An independent, deliberately naive self-time implementation for cross-checking: a string split
 * per line, a regex per line, BigInt addresses, a plain sorted-array search. It shares no code with
 * src/. Slow (fine for a few hundred thousand lines).
 */
export interface NaiveRow {
  function: string;
  self: bigint;
  events: number;
}

interface Sym {
  addr: bigint;
  type: string;
  name: string;
  order: number;
}

function prefer(a: Sym, b: Sym): number {
  const rank = (t: string): number => ['T', 'W', 'w', 't'].indexOf(t);
  const us = (s: string): number => s.length - s.replace(/^_+/, '').length;
  return rank(a.type) - rank(b.type) || us(a.name) - us(b.name) || a.name.length - b.name.length || a.order - b.order;
}

type NaiveSymbols = { addrs: bigint[]; fn: (string | null)[]; text: bigint; etext: bigint; sinit: bigint; einit: bigint };

/** The last map read and its symbols: the naive readings of one test file (and of the next) mostly share one map. */
let lastMap: { text: string; symbols: NaiveSymbols } | null = null;

/** The symbols of a System.map text (read once per text in a row; callers only read them). */
export function naiveSymbols(mapText: string): NaiveSymbols {
  if (lastMap?.text !== mapText) lastMap = { text: mapText, symbols: readNaiveSymbols(mapText) };
  return lastMap.symbols;
}

function readNaiveSymbols(mapText: string): NaiveSymbols {
  const syms: Sym[] = [];
  mapText.split('\n').forEach((line, order) => {
    const f = line.trim().split(/\s+/);
    if (f.length < 3) return;
    syms.push({ addr: BigInt('0x' + f[0]), type: f[1], name: f[2], order });
  });
  syms.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : a.order - b.order));
  const addrs: bigint[] = [];
  const fn: (string | null)[] = [];
  for (let i = 0; i < syms.length;) {
    let j = i;
    const texts: Sym[] = [];
    while (j < syms.length && syms[j].addr === syms[i].addr) {
      if ('TtWw'.includes(syms[j].type)) texts.push(syms[j]);
      j++;
    }
    texts.sort(prefer);
    addrs.push(syms[i].addr);
    fn.push(texts.length ? texts[0].name : null);
    i = j;
  }
  const find = (n: string): bigint => syms.find((s) => s.name === n)!.addr;
  return { addrs, fn, text: find('_text'), etext: find('_etext'), sinit: find('_sinittext'), einit: find('_einittext') };
}

/**
 * The naive name of each event: a function, or a region label, as bootprof names it (kernel-half
 * pcs by System.map, then per vCPU `[user]` once it ran kernel code, `[firmware]`, early-boot code
 * at its physical address, `[boot]`). Keeps the per-vCPU "ran kernel code" state.
 */
export function naiveNamer(mapText: string): (tid: string, pc: bigint) => string {
  const S = naiveSymbols(mapText);
  const lookup = (pc: bigint): string | null => {
    let lo = 0;
    let hi = S.addrs.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (S.addrs[mid] <= pc) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best < 0 ? null : S.fn[best];
  };
  const seen = new Map<string, boolean>();
  return (tid, pc) => {
    if (pc >= 0xffff800000000000n) {
      const f = lookup(pc);
      if (!f) return '[unknown]';
      seen.set(tid, true);
      return f;
    }
    if (seen.get(tid)) return '[user]';
    if ((pc >= 0xc0000n && pc <= 0xfffffn) || (pc >= 0xfffc0000n && pc <= 0xffffffffn)) return '[firmware]';
    const v = pc + S.text - 0x1000000n;
    const f = (v >= S.text && v < S.etext) || (v >= S.sinit && v < S.einit) ? lookup(v) : null;
    return f ?? '[boot]';
  };
}

export function naiveSelfTime(traceText: string, mapText: string): NaiveRow[] {
  const nameOf = naiveNamer(mapText);
  const last = new Map<string, { t: bigint; name: string }>();
  const self = new Map<string, bigint>();
  const events = new Map<string, number>();
  for (const line of traceText.split('\n')) {
    const m = /^(\d+)@(\d+)\.(\d+):exec_tb tb:\S+ pc=0x([0-9a-fA-F]+)$/.exec(line);
    if (!m) continue;
    const [, tid, sec, frac, hex] = m;
    const t = BigInt(sec) * 1000000000n + BigInt(frac.padEnd(9, '0'));
    const name = nameOf(tid, BigInt('0x' + hex));
    const prev = last.get(tid);
    if (prev) {
      const d = t - prev.t;
      self.set(prev.name, (self.get(prev.name) ?? 0n) + (d > 0n ? d : 0n));
    }
    last.set(tid, { t, name });
    if (!self.has(name)) self.set(name, 0n);
    events.set(name, (events.get(name) ?? 0) + 1);
  }
  const rows = [...events.keys()].map((f) => ({ function: f, self: self.get(f)!, events: events.get(f)! }));
  rows.sort((a, b) => (a.self > b.self ? -1 : a.self < b.self ? 1 : b.events - a.events || (a.function < b.function ? -1 : a.function > b.function ? 1 : 0)));
  return rows;
}

/** The CSV bootprof self-time --format csv must print for these rows. */
export function naiveCsv(rows: NaiveRow[]): string {
  const total = rows.reduce((s, r) => s + r.self, 0n);
  let out = 'function,self_ns,share,events\n';
  for (const r of rows) {
    const share = total > 0n ? Number(((Number(r.self) / Number(total)) * 100).toFixed(4)) : 0;
    out += `${r.function},${r.self},${share},${r.events}\n`;
  }
  return out;
}
