/**
 * Saved profiles: the JSON `bootprof report --format json` writes (gzip allowed), read as a stream of
 * tokens (stream-json) so that a call tree of millions of nodes is never one string or one object:
 * the summary is assembled whole (it is small), every table row is assembled alone and handed to
 * the ProfileBuilder, anything else is skipped.
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { constants as zlibConstants, createGunzip, gunzipSync } from 'node:zlib';
import streamJson from 'stream-json';
import Assembler from 'stream-json/Assembler.js';
import { ProfileBuilder, type BootProfile } from '../analyze/diff.js';
import { BootprofError, fsError } from './errors.js';

/** The first bytes of `path` (fewer at its end); throws the usual one-line errors. */
function head(path: string, n: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw fsError(err, path);
  }
  try {
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } catch (err) {
    throw fsError(err, path);
  } finally {
    closeSync(fd);
  }
}

/**
 * What `path` is: 'report', a saved bootprof report (JSON naming a bootprof schema in its first bytes);
 * 'json', some other JSON document; null, not JSON (a trace). A gzip file is looked into; standard
 * input ('-'), a pipe or a device is always a trace.
 */
export function sniffJson(path: string): 'report' | 'json' | null {
  if (path === '-') return null;
  // a pipe (`<(zcat trace.gz)`) or device is read once, as a trace: peeking would eat its first bytes
  try {
    if (!statSync(path).isFile()) return null;
  } catch (err) {
    throw fsError(err, path);
  }
  let b = head(path, 65536);
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    try {
      // the first member's start is enough: a sync flush inflates what the bytes hold
      b = gunzipSync(b, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      return null;
    }
  }
  const text = b.subarray(0, 4096).toString('latin1').trimStart();
  if (!text.startsWith('{')) return null;
  return /"\$schema"\s*:\s*"bootprof\/schema\//.test(text.slice(0, 512)) ? 'report' : 'json';
}

/** Tables a profile's rows are read from. */
const ROW_TABLES = new Set(['phases', 'milestones', 'functions', 'initcalls', 'syscalls', 'call_tree']);

interface Token {
  name: string;
  value?: string | number | boolean | null;
}

/** Reads a saved report into a BootProfile. */
export async function readSavedProfile(path: string): Promise<BootProfile> {
  const builder = new ProfileBuilder(path, 'profile');
  await readSavedReport(path, builder);
  return builder.finish();
}

/** What a saved report's reader hands on: the summary (whole), then each row of a wanted table alone. */
export interface ReportConsumer {
  setSummary(summary: Record<string, unknown>): void;
  row(table: string, row: Record<string, unknown>): void;
}

/**
 * Streams a saved report (gzip allowed) to `builder`: its summary, and every row of the tables in
 * `tables` (others are skipped token by token); checks its $schema and format version.
 */
export async function readSavedReport(path: string, builder: ReportConsumer, tables: ReadonlySet<string> = ROW_TABLES): Promise<void> {
  let stream: NodeJS.ReadableStream = createReadStream(path);
  const gz = head(path, 2);
  if (gz.length === 2 && gz[0] === 0x1f && gz[1] === 0x8b) stream = stream.pipe(createGunzip());
  const tokens = stream.pipe(
    streamJson.parser({ packKeys: true, packStrings: true, packNumbers: true, streamKeys: false, streamStrings: false, streamNumbers: false }),
  );

  // depth 0: outside; 1: inside the document object; 2: inside a top-level value; ...
  let depth = 0;
  let key: string | null = null;
  /** What the current top-level value is: assembled whole (summary), rows of a table, or skipped. */
  let mode: 'none' | 'summary' | 'rows' | 'skip' = 'none';
  let table = '';
  let asm: Assembler | null = null;
  let version: unknown;
  let schema: unknown;

  const onToken = (t: Token): void => {
    const opens = t.name === 'startObject' || t.name === 'startArray';
    const closes = t.name === 'endObject' || t.name === 'endArray';
    if (depth === 0) {
      if (t.name !== 'startObject') throw new BootprofError('E_FORMAT', `${path}: not a bootprof report (JSON that is not an object)`);
      depth = 1;
      return;
    }
    if (depth === 1) {
      if (t.name === 'keyValue') {
        key = String(t.value);
        return;
      }
      if (closes) {
        depth = 0;
        return;
      }
      // a top-level value starts
      if (key === 'format_version' && t.name === 'numberValue') version = Number(t.value);
      if (key === '$schema' && t.name === 'stringValue') schema = t.value;
      if (!opens) return;
      depth = 2;
      if (key === 'summary') {
        mode = 'summary';
        asm = new Assembler();
        asm.consume(t as never);
      } else if (key !== null && tables.has(key) && t.name === 'startArray') {
        mode = 'rows';
        table = key;
      } else mode = 'skip';
      return;
    }
    // depth >= 2: inside a top-level value
    if (mode === 'summary') {
      asm!.consume(t as never);
      if (opens) depth++;
      else if (closes) depth--;
      if (depth === 1) {
        builder.setSummary(asm!.current as Record<string, unknown>);
        asm = null;
        mode = 'none';
      }
      return;
    }
    if (mode === 'rows') {
      if (depth === 2) {
        if (closes) {
          depth = 1;
          mode = 'none';
          return;
        }
        if (t.name !== 'startObject') throw new BootprofError('E_FORMAT', `${path}: ${table}: a row that is not an object`);
        asm = new Assembler();
        asm.consume(t as never);
        depth = 3;
        return;
      }
      asm!.consume(t as never);
      if (opens) depth++;
      else if (closes) depth--;
      if (depth === 2) {
        builder.row(table, asm!.current as Record<string, unknown>);
        asm = null;
      }
      return;
    }
    // skip
    if (opens) depth++;
    else if (closes) depth--;
    if (depth === 1) mode = 'none';
  };

  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown): void => {
      if (err instanceof BootprofError) reject(err);
      else if ((err as NodeJS.ErrnoException)?.code) reject(fsError(err, path));
      else reject(new BootprofError('E_FORMAT', `${path}: not a bootprof report (${(err as Error)?.message ?? String(err)})`));
    };
    stream.on('error', fail);
    tokens.on('error', fail);
    tokens.on('data', (t: Token) => {
      try {
        onToken(t);
      } catch (err) {
        tokens.destroy();
        fail(err);
      }
    });
    tokens.on('end', () => resolve());
  });
  if (typeof schema !== 'string' || !schema.startsWith('bootprof/schema/report.'))
    throw new BootprofError(
      'E_FORMAT',
      `${path}: not a saved bootprof report (its $schema is ${JSON.stringify(schema)}; write one with bootprof report --format json)`,
    );
  if (version !== 1) throw new BootprofError('E_FORMAT', `${path}: format_version ${String(version)}: this bootprof reads version 1`);
}
