/**
 * Translated blocks and which events ran them: the translation stage between the parser and the
 * symbol stage, for traces that carry QEMU's `-d in_asm` records (formats/qemu-in-asm.ts).
 *
 * A record describes one translated block (first pc, instruction count, size, last instruction's kind
 * and direct target). QEMU prints it just before the block's first execution, so a record is bound to
 * the `tb:` pointer of the next exec_tb event whose pc is the record's first pc (under multi-threaded
 * TCG other vCPUs' events may come between). An event's translation is then the record bound most
 * recently, before it, to its tb pointer. Keyed by the pointer, not the pc: QEMU keeps several blocks
 * for one pc (I/O recompiles, icount splits, different CPU modes) and runs one block at several
 * virtual pcs (x86 system mode: a block is found by its physical page); pointers are reused after
 * QEMU flushes its code cache, and the later binding wins from then on. A second record for a pc before
 * the first is bound replaces it (QEMU logs a restarted translation twice; only the second block runs).
 *
 * Memory is bounded: at most MAX_TRANSLATIONS records are kept (a real boot has a few hundred
 * thousand); records past that are counted and dropped, and their events count as events without a
 * translation record. Ids are never reused, so an id an analysis keeps stays valid.
 */
import { PcHashMap } from './pc-hash.js';
import { resized, type NumericArray } from './typed-array.js';
import { NO_COUNT, type TranslationRecord } from '../formats/qemu-in-asm.js';
import type { EventBatch } from './batch.js';

/** Records kept at most (each ~25 bytes, plus ~24 bytes in the pointer table). */
export const MAX_TRANSLATIONS = 1 << 22;
/** Records waiting for their first execution at most; older ones are dropped (counted as unbound). */
export const MAX_PENDING = 64;
/** `xlat` of an event that has no translation record. */
export const NO_TRANSLATION = -1;

/** A record as the parser attaches it to a batch: `at` is the index of the event it comes before. */
export interface PlacedRecord extends TranslationRecord {
  at: number;
  /** Its translation id once the stage has kept it (-1: dropped, or not placed yet). */
  id?: number;
}

/** The run's translations, by id: what analyses read for an event's `xlat`. */
export class Translations {
  count = 0;
  pcHi = new Uint32Array(1024);
  pcLo = new Uint32Array(1024);
  /** Instruction count (NO_COUNT for a record without an instruction list). */
  insns = new Int32Array(1024);
  size = new Int32Array(1024);
  kind = new Uint8Array(1024);
  targetHi = new Uint32Array(1024);
  targetLo = new Uint32Array(1024);
  /** The previous record for the same pc (NO_TRANSLATION for the first). */
  prevSame = new Int32Array(1024);
  /** Records dropped because MAX_TRANSLATIONS were kept. */
  dropped = 0;
  /** Guest pc -> the id of its latest record (for blocks QEMU ran without logging them). */
  private readonly byPc = new PcHashMap(12, false);

  /** The latest record of the block at this pc, or NO_TRANSLATION. */
  latest(hi: number, lo: number): number {
    const s = this.byPc.find(hi, lo);
    return s >= 0 ? this.byPc.val[s] : NO_TRANSLATION;
  }

  /**
   * The latest record of the block at this pc among ids up to `limit` (the records placed before a
   * given event: a batch's later records are already in the table when analyses read it), or
   * NO_TRANSLATION.
   */
  latestUpTo(hi: number, lo: number, limit: number): number {
    let id = this.latest(hi, lo);
    while (id > limit) id = this.prevSame[id];
    return id;
  }

  /** Keeps a record; returns its id, or -1 when the table is full. */
  add(r: TranslationRecord): number {
    if (this.count >= MAX_TRANSLATIONS) {
      this.dropped++;
      return -1;
    }
    if (this.count === this.insns.length) this.grow();
    const id = this.count++;
    this.pcHi[id] = r.pcHi;
    this.pcLo[id] = r.pcLo;
    this.insns[id] = r.insns;
    this.size[id] = r.size;
    this.kind[id] = r.kind;
    this.targetHi[id] = r.targetHi;
    this.targetLo[id] = r.targetLo;
    const s = this.byPc.find(r.pcHi, r.pcLo);
    this.prevSame[id] = s >= 0 ? this.byPc.val[s] : NO_TRANSLATION;
    if (s >= 0) this.byPc.val[s] = id;
    else this.byPc.insert(r.pcHi, r.pcLo, s, id);
    return id;
  }

  private grow(): void {
    const n = this.insns.length * 2;
    const g = <T extends NumericArray>(a: T): T => resized(a, n);
    this.pcHi = g(this.pcHi);
    this.pcLo = g(this.pcLo);
    this.insns = g(this.insns);
    this.size = g(this.size);
    this.kind = g(this.kind);
    this.targetHi = g(this.targetHi);
    this.targetLo = g(this.targetLo);
    this.prevSame = g(this.prevSame);
  }
}

/** Binds records to tb pointers and gives each event of a batch its translation id (`batch.xlat`). */
export class TranslationStage {
  readonly table = new Translations();
  /** tb pointer -> translation id. */
  private readonly byPointer = new PcHashMap(12, false);
  /** Records not yet bound, oldest first: their ids and first pcs. */
  private pendingId: number[] = [];
  private pendingHi: number[] = [];
  private pendingLo: number[] = [];
  /** Records replaced or dropped before any event ran them. */
  unbound = 0;
  /** Events with no translation record (those before the run's first record included). */
  withoutRecord = 0;
  /** Events with a record whose instructions are unknown (an OBJD-T dump). */
  uncounted = 0;
  /** The run has records (the stage fills `xlat` from the first one on). */
  active = false;

  /**
   * Fills `batch.xlat` for every event and takes the batch's records in their places; marks the batch
   * `translated`. Until the run's first record nothing is filled (a trace without records is untouched)
   * and the events are counted: they have no record either.
   */
  apply(batch: EventBatch): void {
    const records = batch.records;
    if (!this.active) {
      if (records.length === 0) {
        this.withoutRecord += batch.length;
        return;
      }
      this.active = true;
    }
    batch.translated = true;
    const { pcHi, pcLo, tbHi, tbLo, xlat } = batch;
    const weight = batch.insns;
    const n = batch.length;
    const map = this.byPointer;
    // the table's arrays are replaced when it grows (at 1,024 records, 2,048, ...): re-read after placing
    let insns = this.table.insns;
    let r = 0;
    for (let i = 0; i < n; i++) {
      if (r < records.length && records[r].at <= i) {
        while (r < records.length && records[r].at <= i) this.placed(records[r++]);
        insns = this.table.insns;
      }
      const hi = tbHi[i];
      const lo = tbLo[i];
      if (this.pendingId.length > 0) this.bind(pcHi[i], pcLo[i], hi, lo);
      const s = map.find(hi, lo);
      const id = s >= 0 ? map.val[s] : NO_TRANSLATION;
      xlat[i] = id;
      if (id < 0) {
        this.withoutRecord++;
        weight[i] = 0;
      } else {
        const c = insns[id];
        weight[i] = c > 0 ? c : 0;
        if (c === NO_COUNT) this.uncounted++;
      }
    }
    while (r < records.length) this.placed(records[r++]);
  }

  private placed(rec: PlacedRecord): void {
    const id = this.table.add(rec);
    rec.id = id;
    if (id < 0) return;
    // a record for a pc that still waits replaces the waiting one (a restarted translation)
    for (let k = 0; k < this.pendingId.length; k++) {
      if (this.pendingLo[k] === rec.pcLo && this.pendingHi[k] === rec.pcHi) {
        this.pendingId[k] = id;
        this.unbound++;
        return;
      }
    }
    if (this.pendingId.length >= MAX_PENDING) {
      this.pendingId.shift();
      this.pendingHi.shift();
      this.pendingLo.shift();
      this.unbound++;
    }
    this.pendingId.push(id);
    this.pendingHi.push(rec.pcHi);
    this.pendingLo.push(rec.pcLo);
  }

  /** The event at pc runs tb: a record waiting for that pc is bound to tb. */
  private bind(hi: number, lo: number, tbHi: number, tbLo: number): void {
    const ids = this.pendingId;
    for (let k = 0; k < ids.length; k++) {
      if (this.pendingLo[k] !== lo || this.pendingHi[k] !== hi) continue;
      const map = this.byPointer;
      const s = map.find(tbHi, tbLo);
      if (s >= 0) map.val[s] = ids[k];
      else map.insert(tbHi, tbLo, s, ids[k]);
      ids.splice(k, 1);
      this.pendingHi.splice(k, 1);
      this.pendingLo.splice(k, 1);
      return;
    }
  }
}
