/**
 * The many-boots store: an embedded DuckDB database holding one row per boot (`boots`) and each boot's
 * tables (functions, phases, milestones, initcalls, syscalls) with a `boot` column first. The tables'
 * columns are the output model's declarations (the same keys, kinds and units as CSV, JSON and
 * Parquet), so a column is declared once for every form. Schema version STORE_SCHEMA_VERSION, kept in
 * the `bootprof_store` table; docs/MANY-BOOTS.md documents it.
 *
 * The DuckDB binding (@duckdb/node-api, an optional dependency with a native library) is loaded only
 * by `bootprof db`; where it is missing or does not load, `db` says so and every other command works.
 */
import { existsSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { FUNCTIONS_TABLE } from '../analyze/self-time.js';
import { INITCALLS_TABLE } from '../analyze/initcalls.js';
import { SYSCALL_STATS_TABLE } from '../analyze/syscalls.js';
import { MILESTONES_TABLE, PHASES_TABLE } from '../analyze/timeline.js';
import { BootprofError } from '../io/errors.js';
import type { TableSpec } from '../model/table.js';
import { parquetFileName, SQL_TYPES } from '../output/parquet.js';

export const STORE_SCHEMA_VERSION = 1;

/** The per-boot tables of the store, in the order `db add` fills them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tables of different row types
export const STORE_TABLES: readonly TableSpec<any>[] = [FUNCTIONS_TABLE, PHASES_TABLE, MILESTONES_TABLE, INITCALLS_TABLE, SYSCALL_STATS_TABLE];

/** The `boots` table: one row per boot (its summary's main figures, the --meta pairs, the whole summary). */
export const BOOTS_COLUMNS: readonly { key: string; sql: string; doc: string }[] = [
  { key: 'boot', sql: 'VARCHAR PRIMARY KEY', doc: 'the label given to db add (--label)' },
  { key: 'added_at', sql: 'TIMESTAMP', doc: 'when it was added (UTC)' },
  { key: 'source', sql: 'VARCHAR', doc: 'what was added: trace, report (a saved report JSON) or parquet (a directory of Parquet files)' },
  { key: 'input', sql: 'VARCHAR', doc: "the trace's path as the analysis saw it" },
  { key: 'format', sql: 'VARCHAR', doc: 'the trace format (qemu-log, ...)' },
  { key: 'unit', sql: 'VARCHAR', doc: 'ns, or events for an untimed trace' },
  { key: 'symbols', sql: 'VARCHAR', doc: 'the symbol file used, or null' },
  { key: 'events', sql: 'BIGINT', doc: 'events (translated blocks executed)' },
  { key: 'vcpus', sql: 'INTEGER', doc: 'vCPUs (thread ids)' },
  { key: 'span_ns', sql: 'BIGINT', doc: 'last event time minus first event time' },
  { key: 'total_self_ns', sql: 'BIGINT', doc: 'summed self time of every function' },
  { key: 'total_insns', sql: 'BIGINT', doc: 'guest instructions of every event (traces with -d in_asm records), else null' },
  { key: 'meta', sql: 'MAP(VARCHAR, VARCHAR)', doc: "db add --meta key=value pairs: meta['kernel']" },
  { key: 'summary', sql: 'JSON', doc: "the report's whole JSON summary" },
];

/** Quotes a SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Quotes a SQL identifier. */
export function sqlName(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** The CREATE TABLE of a per-boot table: `boot`, then every declared column (optional ones nullable). */
export function createTableSql(spec: TableSpec<unknown>): string {
  const cols = [`boot VARCHAR NOT NULL`, ...spec.columns.map((c) => `${sqlName(c.key)} ${SQL_TYPES[c.kind]}`)];
  return `CREATE TABLE IF NOT EXISTS ${sqlName(spec.name)} (${cols.join(', ')})`;
}

type DuckDbModule = typeof import('@duckdb/node-api');
let duck: DuckDbModule | null = null;

/** The DuckDB binding, or the one-line error saying why `db` cannot run here (`load`: tests make it fail). */
export async function duckdb(load: () => Promise<DuckDbModule> = () => import('@duckdb/node-api')): Promise<DuckDbModule> {
  if (duck) return duck;
  try {
    duck = await load();
  } catch (err) {
    const why = String((err as Error)?.message ?? err).split('\n')[0];
    throw new BootprofError(
      'E_UNREADABLE',
      `bootprof db needs DuckDB's Node binding (@duckdb/node-api), which is not installed or does not load on this platform (${why}); install it with npm install @duckdb/node-api. Every other command works without it`,
    );
  }
  return duck;
}

export interface Store {
  readonly path: string;
  readonly db: DuckDBInstance;
  readonly conn: DuckDBConnection;
  close(): void;
}

/**
 * Opens STORE: `create` makes a new database when there is none and adds the tables a store lacks;
 * `readOnly` (queries, export) lets several readers share it. A database of another schema version,
 * or one that is not a bootprof store, is refused.
 */
export async function openStore(path: string, mode: 'create' | 'readOnly' | 'readWrite'): Promise<Store> {
  const { DuckDBInstance } = await duckdb();
  if (mode !== 'create' && !existsSync(path)) throw new BootprofError('E_NOT_FOUND', `${path}: no such store (bootprof db add creates one)`);
  let db: DuckDBInstance;
  try {
    db = await DuckDBInstance.create(path, mode === 'readOnly' ? { access_mode: 'READ_ONLY' } : {});
  } catch (err) {
    throw new BootprofError('E_UNREADABLE', `${path}: cannot open the store (${String((err as Error)?.message ?? err).split('\n')[0]})`);
  }
  const conn = await db.connect();
  const store: Store = {
    path,
    db,
    conn,
    close() {
      conn.closeSync();
      db.closeSync();
    },
  };
  try {
    await checkSchema(store, mode === 'create');
  } catch (err) {
    store.close();
    throw err;
  }
  return store;
}

async function checkSchema(store: Store, create: boolean): Promise<void> {
  const { conn, path } = store;
  const tables = new Set(
    (await conn.runAndReadAll(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'`)).getRowsJS().map((r) => String(r[0])),
  );
  if (tables.has('bootprof_store')) {
    const v = (await conn.runAndReadAll(`SELECT value FROM bootprof_store WHERE key = 'schema_version'`)).getRowsJS()[0]?.[0];
    if (String(v) !== String(STORE_SCHEMA_VERSION))
      throw new BootprofError('E_FORMAT', `${path}: a store of schema version ${String(v)}; this bootprof reads version ${STORE_SCHEMA_VERSION}`);
    return;
  }
  if (tables.size > 0 || !create) throw new BootprofError('E_FORMAT', `${path}: a DuckDB database that is not a bootprof store (no bootprof_store table)`);
  await conn.run('BEGIN TRANSACTION');
  await conn.run(`CREATE TABLE bootprof_store (key VARCHAR PRIMARY KEY, value VARCHAR)`);
  await conn.run(`INSERT INTO bootprof_store VALUES ('schema_version', ${sqlString(String(STORE_SCHEMA_VERSION))})`);
  await conn.run(`CREATE TABLE boots (${BOOTS_COLUMNS.map((c) => `${sqlName(c.key)} ${c.sql}`).join(', ')})`);
  for (const spec of STORE_TABLES) await conn.run(createTableSql(spec));
  await conn.run('COMMIT');
}

export async function hasBoot(store: Store, label: string): Promise<boolean> {
  return (await store.conn.runAndReadAll(`SELECT 1 FROM boots WHERE boot = ${sqlString(label)}`)).getRowsJS().length > 0;
}

/** What `db add` puts in the boots row beside the tables. */
export interface BootRecord {
  label: string;
  source: 'trace' | 'report' | 'parquet';
  summary: Record<string, unknown>;
  meta: readonly [string, string][];
}

const num = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? String(Math.round(v)) : 'NULL');
const str = (v: unknown): string => (typeof v === 'string' ? sqlString(v) : 'NULL');

function bootsRowSql(b: BootRecord): string {
  const s = b.summary;
  const meta = b.meta.length ? `MAP {${b.meta.map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`).join(', ')}}` : 'MAP {}::MAP(VARCHAR, VARCHAR)';
  const values = [
    sqlString(b.label),
    `now()::TIMESTAMP`,
    sqlString(b.source),
    str(s.input),
    str(s.format),
    str(s.unit),
    str(s.symbols),
    num(s.events),
    num(s.threads),
    num(s.span_ns),
    num(s.total_self_ns),
    num(s.total_insns),
    meta,
    `${sqlString(JSON.stringify(s))}::JSON`,
  ];
  return `INSERT INTO boots VALUES (${values.join(', ')})`;
}

/**
 * Adds one boot from a directory of Parquet files (DIR/TABLE.parquet as `--format parquet -o DIR/`
 * writes them; a table without its file adds no rows), in one transaction: either every table gets
 * the boot's rows or none does. `replace` first deletes the boot's rows everywhere (in the same
 * transaction). Returns the rows added per table.
 */
export async function addBoot(store: Store, dir: string, boot: BootRecord, replace: boolean): Promise<Record<string, number>> {
  const { conn } = store;
  const added: Record<string, number> = {};
  const files = new Set(readdirSync(dir));
  await conn.run('BEGIN TRANSACTION');
  try {
    const exists = await hasBoot(store, boot.label);
    if (exists && !replace) throw new BootprofError('E_USAGE', `${store.path}: boot '${boot.label}' is already in the store: --replace to replace it`);
    if (exists) {
      await conn.run(`DELETE FROM boots WHERE boot = ${sqlString(boot.label)}`);
      for (const spec of STORE_TABLES) await conn.run(`DELETE FROM ${sqlName(spec.name)} WHERE boot = ${sqlString(boot.label)}`);
    }
    await conn.run(bootsRowSql(boot));
    for (const spec of STORE_TABLES) {
      const file = parquetFileName(spec.name);
      if (!files.has(file)) {
        added[spec.name] = 0;
        continue;
      }
      const r = await conn.run(
        `INSERT INTO ${sqlName(spec.name)} BY NAME SELECT * REPLACE (${sqlString(boot.label)} AS boot) FROM read_parquet(${sqlString(join(dir, file))})`,
      );
      added[spec.name] = Number(r.rowsChanged);
      // a test hook: a crash in the middle of an add (the store must stay as it was)
      if (process.env.BOOTPROF_DB_CRASH_AFTER === spec.name) process.kill(process.pid, 'SIGKILL');
    }
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => {});
    if (err instanceof BootprofError) throw err;
    throw new BootprofError(
      'E_FORMAT',
      `${store.path}: adding '${boot.label}' failed, the store is unchanged (${String((err as Error)?.message ?? err).split('\n')[0]})`,
    );
  }
  return added;
}

/** The tables `db export` writes: boots, then the per-boot tables. */
export function exportTables(): string[] {
  return ['boots', ...STORE_TABLES.map((s) => s.name)];
}

/**
 * Writes every table of the store to DIR/TABLE.parquet with DuckDB's own writer (the same names and
 * columns as `--format parquet -o DIR/`), rows in the order they were added; each file is written to a
 * temp name and renamed into place when complete.
 */
export async function exportStore(store: Store, dir: string): Promise<Record<string, number>> {
  const rows: Record<string, number> = {};
  for (const t of exportTables()) {
    const target = join(dir, parquetFileName(t));
    const temp = join(dir, `.${parquetFileName(t)}.${process.pid}.tmp`);
    try {
      const r = await store.conn.run(
        `COPY (SELECT * FROM ${sqlName(t)} ORDER BY rowid) TO ${sqlString(temp)} (FORMAT parquet, KV_METADATA {'bootprof.table': ${sqlString(t)}, 'bootprof.store_schema': '${STORE_SCHEMA_VERSION}'})`,
      );
      rows[t] = Number(r.rowsChanged);
      renameSync(temp, target);
    } catch (err) {
      try {
        unlinkSync(temp);
      } catch {
        /* not written */
      }
      throw new BootprofError('E_OUTPUT', `${target}: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
    }
  }
  return rows;
}
