/**
 * An independent, deliberately naive reading of the syscalls contract, to check the real analysis
 * against: string splits per line, BigInt times and addresses, a plain sorted-array search of the
 * System.map text, its own per-thread loop. x86-64 native calls only (what the samples hold).
 * Shares no code with src/.
 */
export interface NaiveCall {
  ts: number;
  name: string;
  cpu: number;
  duration: number;
  unfinished: boolean;
}

interface NaiveMap {
  addrs: bigint[];
  /** Text-symbol names at addrs[i] (empty: only data symbols there). */
  names: string[][];
}

const KERNEL_HALF = 0xffff800000000000n;

/** The last map read and its symbols: the naive readings of one test file mostly share one map. */
let lastMap: { text: string; map: NaiveMap } | null = null;

/** The symbols of a System.map text (read once per text in a row; callers only read them). */
export function naiveMap(text: string): NaiveMap {
  if (lastMap?.text !== text) lastMap = { text, map: readNaiveMap(text) };
  return lastMap.map;
}

function readNaiveMap(text: string): NaiveMap {
  const byAddr = new Map<bigint, string[]>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3) continue;
    const a = BigInt('0x' + f[0]);
    const list = byAddr.get(a) ?? [];
    if ('TtWw'.includes(f[1])) list.push(f[2]);
    byAddr.set(a, list);
  }
  const addrs = [...byAddr.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { addrs, names: addrs.map((a) => byAddr.get(a)!) };
}

/** Text names of the symbol containing pc (the greatest address <= pc), [] when none. */
function lookup(m: NaiveMap, pc: bigint): string[] {
  let found = -1;
  let lo = 0;
  let hi = m.addrs.length - 1;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (m.addrs[mid] <= pc) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? [] : m.names[found];
}

export function naiveSyscalls(lines: Iterable<string>, mapText: string): NaiveCall[] {
  const m = naiveMap(mapText);
  const kind = new Map<string, { entry: boolean; handler: string | null; fn: boolean }>();
  const classify = (pcText: string): { entry: boolean; handler: string | null; fn: boolean } => {
    let k = kind.get(pcText);
    if (!k) {
      const names = lookup(m, BigInt(pcText));
      const h = names.find((n) => n.startsWith('__x64_sys_'));
      k = { entry: names.includes('entry_SYSCALL_64'), handler: h ? h.slice('__x64_sys_'.length).split('.')[0] : null, fn: names.length > 0 };
      kind.set(pcText, k);
    }
    return k;
  };
  const cpus: string[] = [];
  const sawKernel = new Set<string>();
  const open = new Map<string, NaiveCall & { start: bigint }>();
  const last = new Map<string, bigint>();
  const calls: (NaiveCall & { start: bigint })[] = [];
  let origin: bigint | null = null;
  for (const line of lines) {
    if (!line.includes(':exec_tb ')) continue;
    const [head, rest] = line.split(':exec_tb ');
    const [tid, stamp] = head.split('@');
    const [sec, usec] = stamp.split('.');
    const ns = BigInt(sec) * 1_000_000_000n + BigInt(usec.padEnd(6, '0')) * 1000n;
    if (origin === null) origin = ns;
    const pcText = rest
      .split(' ')
      .find((p) => p.startsWith('pc='))!
      .slice(3);
    const pc = BigInt(pcText);
    if (!cpus.includes(tid)) cpus.push(tid);
    last.set(tid, ns);
    const cur = open.get(tid);
    if (pc < KERNEL_HALF) {
      const user = sawKernel.has(tid);
      if (user && cur) {
        cur.duration = Number(ns - cur.start);
        cur.unfinished = false;
        open.delete(tid);
      }
      continue;
    }
    const k = classify(pcText);
    if (k.fn) sawKernel.add(tid);
    if (!cur) {
      if (k.entry) {
        const c = { start: ns, ts: Number(ns - origin), name: 'unknown', cpu: cpus.indexOf(tid), duration: 0, unfinished: true };
        calls.push(c);
        open.set(tid, c);
      }
    } else if (cur.name === 'unknown' && k.handler) {
      cur.name = k.handler;
    }
  }
  for (const [tid, c] of open) c.duration = Number(last.get(tid)! - c.start);
  return calls
    .map((c, i) => ({ c, i }))
    .sort((a, b) => (a.c.start < b.c.start ? -1 : a.c.start > b.c.start ? 1 : a.i - b.i))
    .map(({ c }) => ({ ts: c.ts, name: c.name, cpu: c.cpu, duration: c.duration, unfinished: c.unfinished }));
}
