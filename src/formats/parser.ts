/**
 * What every trace parser shares: counters, malformed-line samples, the thread-id -> vCPU table and
 * the time origin. Format files (qemu-log.ts, ...) hold only their hot loop and detector.
 */
import { BootprofError } from '../io/errors.js';
import type { EventBatch } from '../model/batch.js';

export type TimeUnit = 'ns' | 'events';

export interface MalformedSample {
  line: number;
  offset: number;
  reason: string;
  snippet: string;
}

export interface ParseStats {
  lines: number;
  events: number;
  /** Well-formed lines of other events or QEMU's own messages: skipped, not errors. */
  other: number;
  malformed: number;
  /** Lines that ended in CR LF (accepted, counted). */
  crlf: number;
  samples: MalformedSample[];
}

export const MAX_SAMPLES = 3;

/** Shown in messages: printable ASCII kept, everything else escaped, at most 60 characters. */
export function snippetOf(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length && s.length < 60; i++) {
    const c = bytes[i];
    if (c === 0x0a) break;
    if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\x' + c.toString(16).padStart(2, '0');
  }
  return s;
}

/** The --strict error for a malformed line. */
export function malformedError(s: MalformedSample): BootprofError {
  return new BootprofError('E_MALFORMED', `line ${s.line} (byte ${s.offset}): ${s.reason}: ${s.snippet}`);
}

export abstract class TraceParser {
  abstract readonly format: string;
  unit: TimeUnit = 'ns';
  readonly stats: ParseStats = { lines: 0, events: 0, other: 0, malformed: 0, crlf: 0, samples: [] };
  /** Thread ids in order of first appearance: the index is the vCPU index. */
  readonly threadIds: number[] = [];
  private readonly threadIndex = new Map<number, number>();
  /** Absolute time of the first event: whole seconds and nanoseconds, kept apart to stay exact. */
  originSec = NaN;
  originNs = 0;
  strict = false;

  /**
   * Parses the complete lines of buf[pos, end) (end is just after a newline) into `batch`.
   * Returns where it stopped: `end`, or the start of the first unparsed line when the batch filled.
   */
  abstract parse(buf: Uint8Array, pos: number, end: number, base: number, batch: EventBatch): number;

  /** Frees reusable resources once parsing is done (the stats stay readable). */
  release(): void {}

  /** vCPU index of a thread id, assigning the next index on first sight. */
  threadOf(tid: number): number {
    let idx = this.threadIndex.get(tid);
    if (idx === undefined) {
      idx = this.threadIds.length;
      this.threadIds.push(tid);
      this.threadIndex.set(tid, idx);
    }
    return idx;
  }

  /** Records a malformed line (already counted in `lines`); fatal under --strict. */
  malformed(reason: string, offset: number, bytes: Uint8Array): void {
    const st = this.stats;
    st.malformed++;
    const sample = { line: st.lines, offset, reason, snippet: snippetOf(bytes) };
    if (this.strict) throw malformedError(sample);
    if (st.samples.length < MAX_SAMPLES) st.samples.push(sample);
  }

  /** A whole line the chunker dropped (too long, unterminated): counts as one malformed line. */
  dropped(reason: string, offset: number, bytes: Uint8Array): void {
    this.stats.lines++;
    this.malformed(reason, offset, bytes);
  }
}

export interface TraceFormat {
  readonly name: string;
  /** True when the first page of the input looks like this format. */
  detect(head: Uint8Array): boolean;
  create(head: Uint8Array): TraceParser;
}
