/**
 * User-space symbols (`--user-elf FILE[@BASE]`, repeatable): the [user] events whose pc falls in a
 * function of a user-space ELF (a static /init, busybox, a Go or Rust agent) are named
 * `FILE:function`, FILE being the ELF's file name; the rest stay [user].
 *
 * The functions are the ELF's text symbols (.symtab, else .dynsym), bounded by their sizes, as a
 * vmlinux's are (elf.ts, table.ts). A fixed-address executable (ET_EXEC) is looked up as it is; a
 * position-independent one (ET_DYN: a PIE, static-pie) at pc - BASE, its load base: given after
 * `@`, or detected the way the KASLR slide is (kaslr.ts), by a vote over the trace's first user pcs:
 * a load base is page-aligned, so a pc p that starts a block at function f of the ELF votes for
 * p - f whenever p and f agree in their low 12 bits. Translation blocks start at function entries
 * (a call ends the caller's block), so the true base collects one vote per distinct entry reached,
 * a wrong one about one in total. The vote takes the first VOTE_PCS distinct user pcs in event
 * order (whatever the batch boundaries, so sequential and parallel runs agree), holding the batches
 * from the first user event until then (at most HOLD_EVENTS events), and needs MIN_VOTES votes.
 *
 * The trace has no process ids: every user pc in the ELF's range is taken as the ELF's. A boot
 * whose /init is the ELF runs it first; other programs' pcs land outside its text or in it only by
 * chance (document the base when several programs share one address range).
 */
import { basename } from 'node:path';
import { BootprofError } from '../io/errors.js';
import type { EventBatch } from '../model/batch.js';
import { FIRST_FUNCTION, REGION_USER } from '../model/names.js';
import { elfSymbols, openElf } from './elf.js';
import { isTextType, SymbolTableBuilder, type SymbolTable } from './table.js';

const ET_EXEC = 2;
const ET_DYN = 3;
/** Distinct user pcs that vote for a PIE's load base. */
export const VOTE_PCS = 256;
/** Events held from the first user event while the vote is open (bounded memory). */
export const HOLD_EVENTS = 1 << 21;
/** Votes the winning base needs. */
export const MIN_VOTES = 3;
const PAGE = 4096;

/** One `--user-elf`: its functions (keys: addresses in the file, not moved) and its load base. */
export interface UserElf {
  path: string;
  /** FILE in `FILE:function`. */
  label: string;
  /** ELF type: a fixed-address executable or position-independent. */
  pie: boolean;
  /** The load base: given (`@BASE`), 0 for ET_EXEC, else null until detected. */
  base: number | null;
  baseMethod: 'given' | 'fixed' | 'detected' | 'not found';
  /** Votes for the detected base (and the distinct user pcs that voted). */
  votes: number;
  voters: number;
  table: SymbolTable;
  /** Run name id of this ELF's FIRST_FUNCTION (its ids follow the run's other names). */
  firstId: number;
  /** Names by (table id - FIRST_FUNCTION), as `FILE:function`. */
  names: string[];
}

/** `FILE[@BASE]`: BASE hex with 0x. */
export function parseUserElfSpec(spec: string): { path: string; base: number | null } {
  const at = spec.lastIndexOf('@');
  if (at < 0) return { path: spec, base: null };
  const path = spec.slice(0, at);
  const b = spec.slice(at + 1);
  if (!/^0x[0-9a-f]{1,12}$/i.test(b) || path === '')
    throw new BootprofError(
      'E_USAGE',
      `--user-elf ${spec}: give FILE or FILE@BASE, BASE the load address in hex with 0x below 2^48 (e.g. init@0x7fe291103000)`,
    );
  const base = Number.parseInt(b.slice(2), 16);
  if (base % PAGE !== 0) throw new BootprofError('E_USAGE', `--user-elf ${spec}: a load base is page-aligned (a multiple of 0x1000)`);
  return { path, base };
}

/** Reads one `--user-elf FILE[@BASE]`. */
export async function loadUserElf(spec: string): Promise<UserElf> {
  const { path, base } = parseUserElfSpec(spec);
  const elf = await openElf(path);
  const type = elf.type;
  const raw = await elfSymbols(elf);
  if (type !== ET_EXEC && type !== ET_DYN)
    throw new BootprofError('E_SYMBOLS', `${path}: not an executable ELF file (e_type ${type}); --user-elf takes a program or a PIE`);
  const b = new SymbolTableBuilder();
  let text = 0;
  for (let i = 0; i < raw.keys.length; i++) {
    // user addresses are below 2^47: their keys are the addresses themselves
    if (raw.keys[i] < 0 || !isTextType(raw.types[i])) continue;
    b.add(raw.keys[i], raw.types[i], raw.names[i], raw.sizes[i]);
    text++;
  }
  if (text === 0) throw new BootprofError('E_SYMBOLS', `${path}: no function symbols (a stripped binary): give the unstripped one`);
  const table = b.build();
  const label = basename(path);
  const pie = type === ET_DYN;
  return {
    path,
    label,
    pie,
    base: base ?? (pie ? null : 0),
    baseMethod: base !== null ? 'given' : pie ? 'not found' : 'fixed',
    votes: 0,
    voters: 0,
    table,
    firstId: -1,
    names: table.names.slice(FIRST_FUNCTION).map((n) => `${label}:${n}`),
  };
}

/**
 * The load base of a PIE from distinct user pcs (see the file comment): the page-aligned base with
 * the most pcs that start one of its functions; null when it has fewer than MIN_VOTES.
 */
export function voteBase(elf: UserElf, pcs: readonly number[]): { base: number; votes: number } | null {
  const t = elf.table;
  // function starts by their low 12 bits
  const byLow = new Map<number, number[]>();
  for (let i = 0; i < t.addrs.length; i++) {
    if (t.fnAt[i] < FIRST_FUNCTION) continue;
    const a = t.addrs[i];
    const k = a % PAGE;
    let l = byLow.get(k);
    if (!l) byLow.set(k, (l = []));
    l.push(a);
  }
  const votes = new Map<number, number>();
  for (const p of pcs) {
    const starts = byLow.get(p % PAGE);
    if (!starts) continue;
    for (const f of starts) {
      const base = p - f;
      if (base < 0) continue;
      votes.set(base, (votes.get(base) ?? 0) + 1);
    }
  }
  let best = -1;
  let most = 0;
  for (const [base, n] of votes) if (n > most || (n === most && base < best)) [best, most] = [base, n];
  return most >= MIN_VOTES ? { base: best, votes: most } : null;
}

/**
 * The user stage: after the symbol stage, names the [user] events that fall in a `--user-elf`'s
 * functions, in columns of its own (the run name id and the offset into the function) that the
 * analyses which show functions read instead of `sym`/`off` (Analysis.userFunctions); the others
 * (regions, syscalls, milestones) keep seeing [user]. While a PIE's base is being voted on, batches
 * are held (copies when the caller reuses its own: EventBatch.hold) and passed on in order once it is known.
 */
export class UserStage {
  private held: EventBatch[] = [];
  private heldEvents = 0;
  private readonly seen = new Set<number>();
  private pcs: number[] = [];
  private voting: boolean;
  private sym = new Int32Array(0);
  private off = new Float64Array(0);
  readonly messages: string[] = [];

  constructor(
    readonly elves: readonly UserElf[],
    /** Gets each batch in order with its user columns (valid until the next call). */
    private readonly next: (b: EventBatch, sym: Int32Array, off: Float64Array) => void,
  ) {
    this.voting = elves.some((e) => e.base === null);
  }

  push(b: EventBatch): void {
    if (!this.voting) {
      this.pass(b);
      return;
    }
    const sym = b.sym;
    const n = b.length;
    let i = 0;
    if (this.heldEvents === 0) {
      while (i < n && sym[i] !== REGION_USER) i++;
      if (i === n) {
        this.pass(b);
        return;
      }
    }
    this.held.push(b.hold());
    this.heldEvents += n - i;
    for (; i < n && this.pcs.length < VOTE_PCS; i++) {
      if (sym[i] !== REGION_USER) continue;
      const pc = b.pcHi[i] * 2 ** 32 + b.pcLo[i];
      if (!this.seen.has(pc)) {
        this.seen.add(pc);
        this.pcs.push(pc);
      }
    }
    if (this.pcs.length >= VOTE_PCS || this.heldEvents >= HOLD_EVENTS) this.decide();
  }

  /** Ends the run: decides with the pcs seen, if the vote is still open. */
  finish(): void {
    if (this.voting) this.decide();
  }

  private decide(): void {
    this.voting = false;
    for (const e of this.elves) {
      if (e.base !== null) continue;
      const v = this.pcs.length > 0 ? voteBase(e, this.pcs) : null;
      e.voters = this.pcs.length;
      if (v) {
        e.base = v.base;
        e.votes = v.votes;
        e.baseMethod = 'detected';
        this.messages.push(
          `${e.label}: load base 0x${v.base.toString(16)} (detected: ${v.votes} of the first ${this.pcs.length} distinct user pcs start its functions; give ${e.label}@BASE to set it)`,
        );
      } else {
        this.messages.push(
          this.pcs.length === 0
            ? `${e.label}: the trace has no user-space event; its events stay [user]`
            : `${e.label}: no load base found (the first ${this.pcs.length} distinct user pcs start none of its functions at one base): its events stay [user]; give ${e.label}@BASE (the start of its first mapping in /proc/PID/maps)`,
        );
      }
    }
    const held = this.held;
    this.held = [];
    this.seen.clear();
    this.pcs = [];
    for (const h of held) this.pass(h);
  }

  /** Fills the user columns of the batch (its [user] events in an ELF's functions named) and passes it on. */
  private pass(b: EventBatch): void {
    const n = b.length;
    if (this.sym.length < n) {
      this.sym = new Int32Array(b.capacity);
      this.off = new Float64Array(b.capacity);
    }
    const usym = this.sym;
    const uoff = this.off;
    usym.set(b.sym.subarray(0, n));
    uoff.set(b.off.subarray(0, n));
    const hi = b.pcHi;
    const lo = b.pcLo;
    const elves = this.elves;
    for (let i = 0; i < n; i++) {
      if (usym[i] !== REGION_USER) continue;
      const pc = hi[i] * 2 ** 32 + lo[i];
      for (let k = 0; k < elves.length; k++) {
        const e = elves[k];
        if (e.base === null) continue;
        const t = e.table;
        const at = t.indexOf(pc - e.base);
        const fn = at >= 0 ? t.fnAt[at] : -1;
        if (fn < FIRST_FUNCTION) continue;
        usym[i] = e.firstId + (fn - FIRST_FUNCTION);
        uoff[i] = pc - e.base - t.addrs[at];
        break;
      }
    }
    this.next(b, usym, uoff);
  }
}
