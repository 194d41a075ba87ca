/**
 * A SQL query's result as an output-model table: each column gets the kind its key has in the
 * store's declared tables (self_ns is a duration, share a percent, start_ns a time), else the kind its
 * SQL type implies (integers count, `_ns` integers are durations, other numbers are numbers, text
 * stays text; dates, maps and lists are shown as text). So `db query` writes a table, CSV, JSON,
 * HTML or Parquet like any command.
 */
import type { DuckDBResultReader } from '@duckdb/node-api';
import { defineTable, makeTable, type CellValue, type Column, type ColumnKind, type Table } from '../model/table.js';
import { STORE_TABLES } from './store.js';

/** Kinds of the keys the store's tables declare (a key declared with two kinds keeps the first). */
function declaredKinds(): Map<string, ColumnKind> {
  const m = new Map<string, ColumnKind>();
  for (const spec of STORE_TABLES) for (const c of spec.columns) if (!m.has(c.key)) m.set(c.key, c.kind);
  m.set('boot', 'text');
  return m;
}

const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT']);
const REAL_TYPES = new Set(['FLOAT', 'DOUBLE', 'DECIMAL']);

function sqlTypeName(t: { toString(): string }): string {
  return t.toString().replace(/\(.*$/, '');
}

/** The kind a result column shows as. */
export function queryColumnKind(key: string, sqlType: string, declared = declaredKinds()): ColumnKind {
  const integer = INTEGER_TYPES.has(sqlType);
  const real = REAL_TYPES.has(sqlType);
  const d = declared.get(key);
  if (d && ((d === 'text' && sqlType === 'VARCHAR') || (d === 'flag' && sqlType === 'BOOLEAN') || ((integer || real) && d !== 'text' && d !== 'flag')))
    return real && d !== 'percent' ? 'number' : d;
  if (sqlType === 'BOOLEAN') return 'flag';
  if (integer) return key.endsWith('_ns') ? 'duration' : 'count';
  if (real) return 'number';
  return 'text';
}

/** A JS value DuckDB gave as a cell: bigints as numbers (text beyond 2^53), dates ISO, nested values as JSON. */
function cell(v: unknown, kind: ColumnKind): CellValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (kind === 'text') {
    if (typeof v === 'string') return v;
    if (v instanceof Date) return v.toISOString();
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x instanceof Map ? Object.fromEntries(x) : x));
  }
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  return String(v);
}

export interface QueryResult {
  table: Table<CellValue[]>;
  columns: { name: string; type: string }[];
}

/** The reader's rows as a table named `rows`; a numeric column holding an integer past 2^53 becomes text. */
export function queryTable(reader: DuckDBResultReader): QueryResult {
  const names = reader.columnNames();
  const types = reader.columnTypes().map(sqlTypeName);
  const declared = declaredKinds();
  const kinds = names.map((n, i) => queryColumnKind(n, types[i], declared));
  const rows = reader.getRowsJS().map((r) => r.map((v, i) => cell(v, kinds[i])));
  for (let i = 0; i < kinds.length; i++) if (kinds[i] !== 'text' && rows.some((r) => typeof r[i] === 'string')) kinds[i] = 'text';
  const seen = new Map<string, number>();
  const columns: Column<CellValue[]>[] = names.map((name, i) => {
    // a result may repeat a name (SELECT a.x, b.x): keys must be unique
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return { key: n > 1 ? `${name}_${n}` : name, kind: kinds[i], doc: `${types[i]} column of the result`, get: (r) => r[i], nullable: true };
  });
  const spec = defineTable<CellValue[]>({ name: 'rows', doc: 'the rows of the query, in its order', columns });
  return { table: makeTable(spec, rows), columns: names.map((n, i) => ({ name: n, type: types[i] })) };
}
