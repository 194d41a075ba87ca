/**
 * Parquet output read back with DuckDB: every file equals the command's CSV (or, for report's
 * tables, its JSON rows) row for row, with the declared types; the file's metadata carries the
 * summary; a report writes one file per table into a directory.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvField } from '../src/output/csv.js';
import { ROW_GROUP, SQL_TYPES } from '../src/output/parquet.js';
import { defineTable, makeTable, type ColumnKind } from '../src/model/table.js';
import { writeParquetTable } from '../src/output/parquet.js';
import { openOutput } from '../src/output/sink.js';
import { DIFF_TABLES } from '../src/analyze/diff.js';
import { cli } from './helpers.js';
import { SINGLE_BOOT_TABLES } from './tables.js';

const MAP = 'samples/System.map-6.1.0-47-cloud-amd64.gz';
const dir = mkdtempSync(join(tmpdir(), 'bootprof-parquet-'));
let db: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
});
afterAll(() => {
  conn.closeSync();
  db.closeSync();
});

const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** A value as CSV writes it: flags 0/1, null empty, quoted where needed. */
const cell = (v: unknown): string => (v === null ? '' : typeof v === 'boolean' ? (v ? '1' : '0') : csvField(String(v)));

/** A parquet file as CSV text (without its boot column), its column types and its boot labels. */
async function parquetAsCsv(file: string): Promise<{ csv: string; types: Record<string, string>; boots: Set<string> }> {
  const r = await conn.runAndReadAll(`SELECT * FROM read_parquet(${q(file)})`);
  const names = r.columnNames();
  const types = Object.fromEntries(names.map((n, i) => [n, r.columnTypes()[i].toString()]));
  expect(names[0]).toBe('boot');
  const rows = r.getRowsJS();
  const boots = new Set(rows.map((row) => String(row[0])));
  const csv = [names.slice(1).join(','), ...rows.map((row) => row.slice(1).map(cell).join(','))].join('\n') + '\n';
  return { csv, types, boots };
}

/** The file's table declaration, by the command and table its metadata names. */
async function specOf(file: string): Promise<Map<string, ColumnKind>> {
  const meta = await conn.runAndReadAll(`SELECT decode(key), decode(value) FROM parquet_kv_metadata(${q(file)})`);
  const kv = Object.fromEntries(meta.getRowsJS().map((r) => [String(r[0]), String(r[1])]));
  const spec = (kv['bootprof.command'] === 'diff' ? DIFF_TABLES : SINGLE_BOOT_TABLES).find((s) => s.name === kv['bootprof.table']);
  expect(spec, file).toBeDefined();
  return new Map(spec!.columns.map((c) => [c.key, c.kind as ColumnKind]));
}

async function expectTypes(file: string, types: Record<string, string>): Promise<void> {
  const kinds = await specOf(file);
  expect(types.boot).toBe('VARCHAR');
  for (const [k, t] of Object.entries(types)) if (k !== 'boot') expect(t, k).toBe(SQL_TYPES[kinds.get(k)!]);
}

describe('--format parquet', () => {
  const cases: [string, string[]][] = [
    ['self-time', ['self-time', 'samples/inasm-start-kernel-200k.log.gz', '--map', MAP, '--stacks']],
    ['timeline', ['timeline', 'samples/start-kernel-120k.log.gz', '--map', MAP]],
    ['syscalls', ['syscalls', 'samples/userspace-500k.log.gz', '--map', MAP]],
    ['syscalls --summary', ['syscalls', 'samples/userspace-500k.log.gz', '--map', MAP, '--summary']],
    ['initcalls', ['initcalls', 'samples/initcalls-400k.log.gz', '--map', MAP]],
    ['diff', ['diff', 'samples/kernel-entry-20k.log.gz', 'samples/start-kernel-120k.log.gz', '--map', MAP]],
  ];
  it.each(cases)('%s: the file read back with DuckDB is the CSV, row for row, with the declared types', async (name, args) => {
    const base = join(dir, name.replace(/\W+/g, '-'));
    const c = await cli(...args, '-q', '-o', base + '.csv');
    expect(c.code, c.err).toBe(0);
    const p = await cli(...args, '-q', '-o', base + '.parquet', '--label', 'boot A');
    expect(p.code, p.err).toBe(0);
    const back = await parquetAsCsv(base + '.parquet');
    expect(back.csv).toBe(readFileSync(base + '.csv', 'utf8'));
    expect([...back.boots]).toEqual(back.csv.split('\n').length > 2 ? ['boot A'] : []);
    await expectTypes(base + '.parquet', back.types);
  });

  it('report -o DIR/: one file per table, each its JSON rows; the metadata carries the summary and the label', async () => {
    const out = join(dir, 'report') + '/';
    const args = ['report', 'samples/inasm-start-kernel-200k.log.gz', '--map', MAP, '--stacks', '-q'];
    expect((await cli(...args, '-f', 'parquet', '-o', out)).code).toBe(0);
    const j = await cli(...args, '-f', 'json');
    const doc = JSON.parse(j.out) as Record<string, unknown>;
    const files = readdirSync(out).sort();
    expect(files).toEqual(['call_tree', 'functions', 'initcalls', 'milestones', 'phase_idle', 'phases', 'syscalls'].map((t) => t + '.parquet'));
    for (const f of files) {
      const table = f.replace('.parquet', '');
      const rows = doc[table] as Record<string, unknown>[];
      const back = await parquetAsCsv(join(out, f));
      const header = rows.length ? Object.keys(rows[0]).join(',') : back.csv.split('\n')[0];
      expect(back.csv, table).toBe([header, ...rows.map((r) => Object.values(r).map(cell).join(','))].join('\n') + '\n');
      await expectTypes(join(out, f), back.types);
      expect([...back.boots]).toEqual(rows.length ? ['inasm-start-kernel-200k.log.gz'] : []);
    }
    const meta = await conn.runAndReadAll(`SELECT decode(key), decode(value) FROM parquet_kv_metadata(${q(out + 'functions.parquet')})`);
    const kv = Object.fromEntries(meta.getRowsJS().map((r) => [String(r[0]), String(r[1])]));
    expect(kv['bootprof.table']).toBe('functions');
    expect(kv['bootprof.schema']).toBe('bootprof/schema/report.v1.json');
    expect(JSON.parse(kv['bootprof.summary'])).toEqual(doc.summary);
  });

  it('a table of several row groups (nulls, booleans, large integers) reads back whole', async () => {
    const spec = defineTable<{ n: number; s: string | null; f: boolean; p: number }>({
      name: 'big',
      doc: 'test',
      columns: [
        { key: 'n_ns', kind: 'duration', doc: '', get: (r) => r.n },
        { key: 'name', kind: 'text', doc: '', get: (r) => r.s, nullable: true },
        { key: 'flag', kind: 'flag', doc: '', get: (r) => r.f },
        { key: 'share', kind: 'percent', doc: '', get: (r) => r.p },
      ],
    });
    const n = ROW_GROUP * 2 + 17;
    const rows = Array.from({ length: n }, (_, i) => ({ n: 2 ** 53 - 1 - i, s: i % 3 === 0 ? null : `f${i % 1000}`, f: i % 2 === 0, p: i / 7 }));
    const file = join(dir, 'big.parquet');
    const out = openOutput(file);
    await writeParquetTable(makeTable(spec, rows), [], 'x', out);
    await out.close();
    const r = await conn.runAndReadAll(
      `SELECT count(*), sum(CASE WHEN name IS NULL THEN 1 ELSE 0 END), min(n_ns), max(n_ns), sum(flag::INT), max(share) FROM read_parquet(${q(file)})`,
    );
    expect(r.getRowsJS()[0]).toEqual([BigInt(n), BigInt(Math.ceil(n / 3)), BigInt(2 ** 53 - n), BigInt(2 ** 53 - 1), BigInt(Math.ceil(n / 2)), (n - 1) / 7]);
    const groups = await conn.runAndReadAll(`SELECT count(DISTINCT row_group_id) FROM parquet_metadata(${q(file)})`);
    expect(groups.getRowsJS()[0][0]).toBe(3n);
  });

  it('refuses a terminal, and a report into one file', async () => {
    const r = await cli('report', 'samples/kernel-entry-20k.log.gz', '--map', MAP, '-o', join(dir, 'r.parquet'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/report writes one Parquet file per table: give -o DIR\//);
    expect(readdirSync(dir)).not.toContain('r.parquet');
    // an existing directory named without the slash takes Parquet only when --format says so
    const d = join(dir, 'existing');
    mkdirSync(d);
    expect((await cli('self-time', 'samples/kernel-entry-20k.log.gz', '--map', MAP, '-q', '-o', d)).code).toBe(2);
    expect((await cli('self-time', 'samples/kernel-entry-20k.log.gz', '--map', MAP, '-q', '-o', d, '-f', 'parquet')).code).toBe(0);
    expect(readdirSync(d)).toEqual(['functions.parquet']);
  });
});
