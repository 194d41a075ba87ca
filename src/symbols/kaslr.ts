/**
 * KASLR: the guest kernel ran at its link address plus a random slide (x86-64: a multiple of 2 MiB,
 * CONFIG_PHYSICAL_ALIGN, below 1 GiB), while System.map / vmlinux list link addresses.
 *
 * `--kaslr-offset HEX` gives the slide. Otherwise the trace's first kernel-half events decide,
 * wherever they start: a whole boot runs millions of firmware and boot-loader events first, which
 * the slide does not affect, so batches with no kernel-half pc pass straight through. From the
 * first kernel-half event on, the gate holds the batches (unsymbolized) until it has sampled
 * SAMPLE_KERNEL kernel-half events among which at least VOTE_DISTINCT distinct pcs (early boot
 * code can repeat one pc for 100,000 events: a real boot ran 8 million kernel events over its
 * first 1,024 pcs), or HOLD_MAX events have passed since the first kernel-half one, or the trace
 * ends; then it
 *  - counts, per candidate slide, how many of the most frequent distinct kernel-half pcs land exactly
 *    on a function start (TB starts are often function starts; under a wrong slide almost none are).
 *    Candidates come from pairing each pc with the function starts that share its low 21 bits, so
 *    every 2 MiB multiple is considered without scanning them;
 *  - takes the best slide when it beats slide 0 with some confidence (function-start votes, not the
 *    share of pcs that resolve: under a small slide nearly every pc still "resolves", to the wrong
 *    function), by default and with `--kaslr auto`; `--kaslr off` never slides.
 * What is held and sampled depends only on the sequence of events, not on how batches are cut, so
 * sequential and parallel runs decide alike.
 * Then the held batches are released in order and the run continues at full speed (the resolver
 * subtracts the slide on cache misses only). The report (slide, confidence, resolution rates) and
 * warnings go to the summary; the whole-run resolution rate is counted as batches pass.
 */
import { BootprofError } from '../io/errors.js';
import { EventBatch, type ColumnName } from '../model/batch.js';
import { FIRST_FUNCTION } from '../model/names.js';
import { addressKey, parseHexKey } from './address.js';
import type { Resolver } from './resolver.js';
import type { SymbolTable } from './table.js';

export type KaslrMode = 'default' | 'auto' | 'off';

export interface KaslrOptions {
  mode?: KaslrMode;
  /** --kaslr-offset: the slide as an address-key delta. */
  offset?: number;
  /** The symbol file(s), for messages about a map that does not fit the trace. */
  mapName?: string | null;
}

export const SLIDE_ALIGN = 0x200000;
/** Kernel-half events sampled before deciding. */
export const SAMPLE_KERNEL = 1 << 16;
/** Distinct kernel-half pcs wanted among them before deciding. */
export const VOTE_DISTINCT = 1024;
/** Events held at most from the first kernel-half one on (28 bytes each as held, 40 with parse workers' sym/off: 56-80 MiB). */
export const HOLD_MAX = 1 << 21;
const HELD_OMIT_TB: readonly ColumnName[] = ['tbHi', 'tbLo'];
const HELD_OMIT_ALL: readonly ColumnName[] = ['tbHi', 'tbLo', 'sym', 'off'];
/** Distinct pcs (most frequent first) that vote. */
export const VOTERS = 4096;
/** Kernel-half events sampled before a map may be judged unusable. */
const MIN_JUDGED = 1000;
/** Largest slide considered. A KASLR slide moves the kernel up from its link address (x86-64: below 1 GiB), never down, as `--kaslr-offset` requires too. */
const MAX_SLIDE = 2 ** 32;

export interface SlideVote {
  slide: number;
  /** Voting pcs that land on a function start under `slide`. */
  hits: number;
  /** Hits of the runner-up slide and of slide 0. */
  second: number;
  zero: number;
  voters: number;
  confidence: 'high' | 'medium' | 'low' | 'none';
}

export interface KaslrReport {
  slide: number;
  /** given: --kaslr-offset; detected: voted (auto, or default with few pcs resolving); checked: the
   *  default found slide 0 fine; off: --kaslr off; none: no kernel-half pcs to judge. */
  method: 'given' | 'detected' | 'checked' | 'off' | 'none' | 'no symbols' | 'pre-resolved';
  vote: SlideVote | null;
  /** Sampled kernel-half events resolving to a function without a slide and with the chosen one. */
  sampleRate0: number;
  sampleRate: number;
  sampled: number;
  /** Whole run: kernel-half events and how many resolved to a function. */
  kernelEvents: number;
  kernelResolved: number;
  messages: string[];
}

/**
 * Parses `--kaslr-offset` into an address-key delta: hex with its 0x prefix (`0x1e000000`; the
 * kernel prints slides in hex, and a bare `123` would be ambiguous), at most 13 hex digits, >= 0
 * (a KASLR slide moves the kernel up from its link address).
 */
export function parseSlide(text: string): number {
  const t = text.trim().toLowerCase();
  const usage = (why: string) =>
    new BootprofError('E_USAGE', `--kaslr-offset takes a hex slide with its 0x prefix, such as 0x1e000000 (got '${text}': ${why})`);
  if (t.startsWith('-')) throw usage('a KASLR slide is not negative');
  if (!t.startsWith('0x')) throw usage(/^[0-9a-f]+$/.test(t) ? `no 0x prefix: 0x${t} if that is hex` : 'not hex');
  const body = t.slice(2);
  const v = parseHexKey(body);
  if (!/^[0-9a-f]{1,13}$/.test(body) || Number.isNaN(v)) throw usage('not hex');
  return v;
}

export function slideHex(slide: number): string {
  return (slide < 0 ? '-0x' : '0x') + Math.abs(slide).toString(16);
}

/**
 * An address key's low 21 bits (key mod 2 MiB, in [0, 2 MiB)): ToInt32 is exact modulo 2^32 for
 * the integer keys of addresses, and the result is a small integer, where a double modulo made a
 * heap number per call.
 */
function low21(key: number): number {
  return (key | 0) & (SLIDE_ALIGN - 1);
}

/** The bits of low21 that index voteSlide's filter. */
const FILTER_MASK = 0xffff;

/** Votes for the slide under which the most frequent pcs land on function starts. */
export function voteSlide(table: SymbolTable, pcs: Map<number, number>): SlideVote {
  const ranked = [...pcs.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, VOTERS);
  // the voters by their low 21 bits; then one pass over the function starts (no object per symbol:
  // this runs in every run that sees kernel pcs)
  const voters = new Map<number, number[]>();
  // low 16 bits of the voters' low21: most function starts are passed over without a map lookup
  // (a short run's vote over a 86,000-symbol map took ~20 ms with one lookup per start, measured)
  const filter = new Uint8Array(FILTER_MASK + 1);
  for (const [pc] of ranked) {
    const k = low21(pc);
    filter[k & FILTER_MASK] = 1;
    const list = voters.get(k);
    if (list) list.push(pc);
    else voters.set(k, [pc]);
  }
  const votes = new Map<number, number>();
  const { addrs, fnAt } = table;
  for (let i = 0; i < addrs.length; i++) {
    if (fnAt[i] < FIRST_FUNCTION) continue;
    const s = addrs[i];
    const k = low21(s);
    if (filter[k & FILTER_MASK] === 0) continue;
    const list = voters.get(k);
    if (!list) continue;
    for (const pc of list) {
      const slide = pc - s;
      if (slide < 0 || slide > MAX_SLIDE) continue;
      votes.set(slide, (votes.get(slide) ?? 0) + 1);
    }
  }
  let best = 0;
  let bestHits = votes.get(0) ?? 0;
  for (const [slide, hits] of votes) {
    if (hits > bestHits || (hits === bestHits && Math.abs(slide) < Math.abs(best))) {
      best = slide;
      bestHits = hits;
    }
  }
  let second = 0;
  for (const [slide, hits] of votes) if (slide !== best && hits > second) second = hits;
  const margin = bestHits / Math.max(1, second);
  const confidence = bestHits === 0 ? 'none' : bestHits >= 16 && margin >= 3 ? 'high' : bestHits >= 6 && margin >= 2 ? 'medium' : 'low';
  return { slide: best, hits: bestHits, second, zero: votes.get(0) ?? 0, voters: ranked.length, confidence };
}

/** Events of `pcs` (weighted by count) whose pc - slide resolves to a function. */
export function resolvedShare(table: SymbolTable, pcs: Map<number, number>, slide: number): number {
  let all = 0;
  let ok = 0;
  for (const [pc, count] of pcs) {
    all += count;
    if (table.lookup(pc - slide) >= FIRST_FUNCTION) ok += count;
  }
  return all > 0 ? ok / all : 1;
}

function pct(x: number): string {
  return (x * 100).toFixed(1) + '%';
}

/**
 * Sits between the parser and the symbol stage: holds the head of the trace until the slide is
 * decided, then passes every batch to `process` (symbolize + analyses), counting kernel-half
 * resolution on the way.
 */
export class KaslrGate {
  readonly report: KaslrReport;
  private decided: boolean;
  private held: EventBatch[] = [];
  private heldEvents = 0;
  private readonly pcs = new Map<number, number>();
  private sampled = 0;

  constructor(
    private readonly table: SymbolTable | null,
    private readonly resolver: Resolver,
    private readonly opts: KaslrOptions,
    private readonly process: (batch: EventBatch) => void,
    symbolic = false,
  ) {
    this.report = {
      slide: 0,
      method: 'none',
      vote: null,
      sampleRate0: NaN,
      sampleRate: NaN,
      sampled: 0,
      kernelEvents: 0,
      kernelResolved: 0,
      messages: [],
    };
    this.decided = true;
    if (!table) {
      this.report.method = 'no symbols';
      if (opts.offset !== undefined) this.report.messages.push('--kaslr-offset ignored: no symbols loaded');
    } else if (opts.offset !== undefined) {
      this.setSlide(opts.offset, 'given');
      this.report.messages.push(`KASLR slide ${slideHex(opts.offset)} (--kaslr-offset)`);
    } else if (opts.mode === 'off') {
      this.report.method = 'off';
    } else if (symbolic) {
      // pre-resolved traces carry names; their bare addresses are usually user space
      this.report.method = 'pre-resolved';
      this.decided = opts.mode !== 'auto';
    } else {
      this.decided = false;
    }
  }

  private setSlide(slide: number, method: KaslrReport['method']): void {
    this.report.slide = slide;
    this.report.method = method;
    this.resolver.slide = slide;
  }

  push(batch: EventBatch): void {
    if (this.decided) {
      this.pass(batch);
      return;
    }
    const n = batch.length;
    const hi = batch.pcHi;
    const lo = batch.pcLo;
    let i = 0;
    if (this.heldEvents === 0) {
      // nothing held yet: events before the first kernel-half pc do not depend on the slide
      while (i < n && !this.resolver.isKernel(hi[i], lo[i])) i++;
      if (i === n) {
        this.pass(batch);
        return;
      }
    }
    // a caller that reuses its batch gets it copied (hold()); tb pointers are read by the translation
    // stage only, and sym/off are not filled yet unless parse workers (finalizeEnd >= 0) or a pre-resolved parser filled them
    this.held.push(batch.hold(batch.finalizeEnd < 0 && !batch.presymbolized ? HELD_OMIT_ALL : HELD_OMIT_TB));
    const before = this.heldEvents;
    this.heldEvents += n - i;
    const pcs = this.pcs;
    // Exactly the kernel-half pcs among the first HOLD_MAX events from the first kernel-half one
    // vote, whatever the batch boundaries (sequential and parallel runs cut batches differently).
    const upto = Math.min(n, i + (HOLD_MAX - before));
    for (; i < upto && !this.enough(); i++) {
      if (!this.resolver.isKernel(hi[i], lo[i])) continue;
      const key = addressKey(hi[i], lo[i]);
      pcs.set(key, (pcs.get(key) ?? 0) + 1);
      this.sampled++;
    }
    if (this.enough() || this.heldEvents >= HOLD_MAX) this.decide();
  }

  private enough(): boolean {
    return this.sampled >= SAMPLE_KERNEL && this.pcs.size >= VOTE_DISTINCT;
  }

  /** Ends the run: decides if still undecided and releases what is held. */
  finish(): KaslrReport {
    if (!this.decided) this.decide();
    const r = this.report;
    if (this.table && r.kernelEvents > 0) {
      const rate = r.kernelResolved / r.kernelEvents;
      if (rate < 0.5) {
        r.messages.push(
          `only ${pct(rate)} of ${r.kernelEvents.toLocaleString('en-US')} kernel-half events resolve to a function: the symbols do not match this kernel` +
            (r.method === 'given' || r.method === 'detected' ? '' : ' (wrong System.map/vmlinux, or KASLR: try --kaslr auto or --kaslr-offset HEX)'),
        );
      }
    }
    return r;
  }

  private decide(): void {
    this.decided = true;
    const table = this.table!;
    const r = this.report;
    r.sampled = this.sampled;
    if (this.sampled > 0) {
      const vote = voteSlide(table, this.pcs);
      r.vote = vote;
      r.sampleRate0 = resolvedShare(table, this.pcs, 0);
      // A map that resolves almost nothing without a slide and nearly everything with the best one is
      // taken even on thin evidence (few distinct pcs in the head); the report says how thin.
      const better =
        vote.slide !== 0 &&
        vote.hits > vote.zero &&
        (vote.confidence === 'high' || vote.confidence === 'medium' || (r.sampleRate0 < 0.5 && resolvedShare(table, this.pcs, vote.slide) >= 0.9));
      const why = `${vote.hits} of the ${vote.voters} most frequent kernel pcs start a function under it, ${vote.zero} without a slide, ${vote.second} under the runner-up; confidence ${vote.confidence}`;
      if (better) {
        this.setSlide(vote.slide, 'detected');
        r.sampleRate = resolvedShare(table, this.pcs, vote.slide);
        r.messages.push(
          `KASLR slide ${slideHex(vote.slide)} detected (${why}); ${pct(r.sampleRate)} of sampled kernel-half events resolve with it, ${pct(r.sampleRate0)} without`,
        );
      } else {
        r.sampleRate = r.sampleRate0;
        if (this.opts.mode === 'auto') {
          r.method = 'detected';
          r.messages.push(
            vote.slide === 0 && vote.hits > 0
              ? `KASLR: no slide (${why})`
              : `KASLR: no convincing slide found (best ${slideHex(vote.slide)}: ${why}); resolving without one`,
          );
        } else r.method = 'checked';
      }
    }
    this.checkMap();
    const held = this.held;
    this.held = [];
    // released as it goes: one batch at a time is restored to full width
    for (let b = held.shift(); b !== undefined; b = held.shift()) {
      b.restore();
      this.pass(b);
    }
  }

  /**
   * A map from another kernel: when (almost) no sampled kernel pc resolves under any slide, the run
   * stops with one line naming the map; when they resolve but almost none of the most frequent ones
   * starts a function (a translated block usually does), the names would be wrong: a warning.
   */
  private checkMap(): void {
    const r = this.report;
    const vote = r.vote;
    if (!vote || this.opts.mode === 'off') return;
    const name = this.opts.mapName ?? 'the symbols';
    if (r.sampled >= MIN_JUDGED && r.sampleRate < 0.01) {
      throw new BootprofError(
        'E_SYMBOLS',
        `${name}: only ${pct(r.sampleRate)} of the first ${r.sampled.toLocaleString('en-US')} kernel-half pcs resolve to a function, under any KASLR slide: the symbols do not match the traced kernel`,
      );
    }
    const hits = r.slide === vote.slide ? vote.hits : vote.zero;
    if (vote.voters >= 100 && hits < 0.02 * vote.voters) {
      r.messages.push(
        `${name}: only ${hits} of the ${vote.voters} most frequent kernel pcs start a function under it (a matching map: ~10% or more): probably another build of the kernel, function names will be wrong`,
      );
    }
  }

  private pass(batch: EventBatch): void {
    this.process(batch);
    // the symbol stage counted kernel-half events and resolved ones (Symbolizer.codes)
    this.report.kernelEvents += batch.kernelEvents;
    this.report.kernelResolved += batch.kernelResolved;
  }
}
