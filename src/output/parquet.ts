/**
 * Apache Parquet: any model table as a typed columnar file that DuckDB, Spark, ClickHouse, Trino or
 * pandas read unchanged. Written with hyparquet-writer (pure JavaScript, one small dependency; see
 * docs/MANY-BOOTS.md for why not parquet-wasm, apache-arrow or DuckDB's own writer), loaded only
 * when a run writes Parquet.
 *
 * A file holds one table: a `boot` column first (the run's label), then the table's columns of this
 * run, typed by their kind (PARQUET_TYPES); strings are dictionary-encoded where that pays
 * (function names always do). The key-value metadata carries the command's JSON summary, the
 * table's name, the label, the document's `$schema` and format version. Rows go out in row groups of
 * ROW_GROUP rows, each written to the output before the next is built.
 */
import { basename } from 'node:path';
import { BootprofError } from '../io/errors.js';
import { columnsOf, tableOf, type Column, type ColumnKind, type ResultDocument, type Table } from '../model/table.js';
import { FORMAT_VERSION, schemaId } from './json.js';
import type { OutputSink } from './sink.js';

/** Rows per row group: a million-row call tree is never one set of column arrays. */
export const ROW_GROUP = 100_000;

/** The Parquet type of each column kind (and of the `boot` column: text). */
export const PARQUET_TYPES: Readonly<Record<ColumnKind, 'STRING' | 'INT64' | 'INT32' | 'DOUBLE' | 'BOOLEAN'>> = {
  text: 'STRING',
  count: 'INT64',
  duration: 'INT64',
  time: 'INT64',
  percent: 'DOUBLE',
  index: 'INT32',
  flag: 'BOOLEAN',
  number: 'DOUBLE',
};

/** The SQL type DuckDB gives each Parquet type (the store's columns: store/store.ts). */
export const SQL_TYPES: Readonly<Record<ColumnKind, string>> = {
  text: 'VARCHAR',
  count: 'BIGINT',
  duration: 'BIGINT',
  time: 'BIGINT',
  percent: 'DOUBLE',
  index: 'INTEGER',
  flag: 'BOOLEAN',
  number: 'DOUBLE',
};

/** Where Parquet files of a multi-table result go: DIR/TABLE.parquet. */
export function parquetFileName(table: string): string {
  return `${table}.parquet`;
}

/**
 * The default `boot` label: the input's file name (a diff: "A vs B"); "stdin" for standard input.
 */
export function defaultLabel(doc: ResultDocument): string {
  const name = (input: unknown): string => (typeof input !== 'string' || input === 'standard input' ? 'stdin' : basename(input));
  const s = doc.summary as { input?: unknown; a?: { input?: unknown }; b?: { input?: unknown } };
  if (s.a && s.b) return `${name(s.a.input)} vs ${name(s.b.input)}`;
  return name(s.input);
}

type ParquetLib = typeof import('hyparquet-writer');
let lib: ParquetLib | null = null;
async function parquetLib(): Promise<ParquetLib> {
  lib ??= await import('hyparquet-writer');
  return lib;
}

interface SchemaElement {
  name: string;
  type?: 'BYTE_ARRAY' | 'INT64' | 'INT32' | 'DOUBLE' | 'BOOLEAN';
  converted_type?: 'UTF8';
  repetition_type?: 'REQUIRED' | 'OPTIONAL';
  num_children?: number;
}

function element(name: string, kind: ColumnKind, nullable: boolean): SchemaElement {
  const t = PARQUET_TYPES[kind];
  const e: SchemaElement =
    t === 'STRING' ? { name, type: 'BYTE_ARRAY', converted_type: 'UTF8' } : { name, type: t === 'INT64' ? 'INT64' : t === 'INT32' ? 'INT32' : t };
  e.repetition_type = nullable ? 'OPTIONAL' : 'REQUIRED';
  return e;
}

/** One column's values of rows [from, to) in the form the writer takes for its type. */
function columnData(col: Column<unknown>, rows: readonly unknown[], from: number, to: number): unknown[] | BigInt64Array | Float64Array | Int32Array {
  const n = to - from;
  const t = PARQUET_TYPES[col.kind];
  const nullable = !!col.nullable;
  const get = col.get;
  if (!nullable && t === 'INT64') {
    const a = new BigInt64Array(n);
    for (let i = 0; i < n; i++) a[i] = BigInt(get(rows[from + i]) as number);
    return a;
  }
  if (!nullable && t === 'DOUBLE') {
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = get(rows[from + i]) as number;
    return a;
  }
  if (!nullable && t === 'INT32') {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = get(rows[from + i]) as number;
    return a;
  }
  const a: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = get(rows[from + i]);
    a[i] = v === null || v === undefined ? null : t === 'INT64' ? BigInt(v as number) : t === 'BOOLEAN' ? !!v : v;
  }
  return a;
}

/** What a Parquet file says about where its rows came from (its key-value metadata). */
export function parquetMetadata(doc: ResultDocument, table: string, label: string): { key: string; value: string }[] {
  return [
    { key: 'bootprof.boot', value: label },
    { key: 'bootprof.table', value: table },
    { key: 'bootprof.command', value: doc.kind },
    { key: 'bootprof.schema', value: schemaId(doc.kind) },
    { key: 'bootprof.format_version', value: String(FORMAT_VERSION) },
    { key: 'bootprof.summary', value: JSON.stringify(doc.summary) },
  ];
}

/** Writes `t` as one Parquet file to `out` (not closed). */
export async function writeParquetTable(t: Table, meta: { key: string; value: string }[], label: string, out: OutputSink): Promise<void> {
  const { ByteWriter, ParquetWriter } = await parquetLib();
  const cols = columnsOf(t) as readonly Column<unknown>[];
  const schema: SchemaElement[] = [
    { name: 'root', num_children: cols.length + 1 },
    element('boot', 'text', false),
    ...cols.map((c) => element(c.key, c.kind, !!c.nullable)),
  ];
  const bytes = new ByteWriter(1 << 16);
  const flush = async (): Promise<void> => {
    if (bytes.index === 0) return;
    // a copy: stdout may hold the buffer after write() returns, and the writer reuses it
    await out.write(Buffer.from(bytes.getBytes()));
    bytes.index = 0;
  };
  (bytes as { flush?: () => Promise<void> }).flush = flush;
  const writer = new ParquetWriter({
    writer: bytes,
    schema: schema as ConstructorParameters<ParquetLib['ParquetWriter']>[0]['schema'],
    kvMetadata: meta,
    createdBy: 'bootprof 0.1.0 (hyparquet-writer)',
  });
  const rows = t.rows as readonly unknown[];
  for (let from = 0; from < rows.length; from += ROW_GROUP) {
    const to = Math.min(rows.length, from + ROW_GROUP);
    const boot = new Array<string>(to - from).fill(label);
    const columnSources = [{ name: 'boot', data: boot }, ...cols.map((c) => ({ name: c.key, data: columnData(c, rows, from, to) }))];
    await writer.write({
      columnData: columnSources as Parameters<InstanceType<ParquetLib['ParquetWriter']>['write']>[0]['columnData'],
      rowGroupSize: ROW_GROUP,
    });
  }
  await writer.finish();
  await flush();
}

/**
 * The Parquet writer of a result document: into a directory (`-o DIR/`), one file per table
 * (DIR/TABLE.parquet, every table of the document, empty ones included); into a file or a pipe, the
 * table the CSV form writes. The summary lines go to stderr as beside CSV.
 */
export async function writeParquetDocument(doc: ResultDocument, out: OutputSink, label: string | undefined): Promise<void> {
  const boot = label ?? defaultLabel(doc);
  if (out.entry) {
    const sinks = doc.tables.map((t) => out.entry!(parquetFileName(t.spec.name)));
    for (let i = 0; i < doc.tables.length; i++) {
      await writeParquetTable(doc.tables[i], parquetMetadata(doc, doc.tables[i].spec.name, boot), boot, sinks[i]);
    }
    return;
  }
  if (doc.tables.length === 0) throw new BootprofError('E_USAGE', `${doc.kind} has no table to write as Parquet`);
  const t = tableOf(doc, doc.csv ?? doc.tables[0].spec.name);
  await writeParquetTable(t, parquetMetadata(doc, t.spec.name, boot), boot, out);
}
