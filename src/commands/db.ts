/**
 * `bootprof db add|query|export`: many boots in one embedded DuckDB store (src/store/). A boot comes
 * from a trace (analysed like `report --stacks`), a saved report JSON or a directory of Parquet files
 * (`--format parquet -o DIR/`); every source becomes DIR/TABLE.parquet files that one transaction
 * inserts.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { BootprofError } from '../io/errors.js';
import { readSavedReport, sniffJson } from '../io/profile-json.js';
import { MAX_PROFILE_ROWS } from '../analyze/diff.js';
import { makeTable, tableOf, type Column, type ResultDocument, type Table, type TableSpec } from '../model/table.js';
import { writeDocument } from '../output/document.js';
import { parquetFileName, parquetMetadata, writeParquetTable } from '../output/parquet.js';
import { openOutput } from '../output/sink.js';
import { countOf } from '../output/units.js';
import { loadSymbols } from '../pipeline.js';
import { addBoot, exportStore, hasBoot, openStore, sqlString, STORE_TABLES, type BootRecord, type Store } from '../store/store.js';
import { queryTable } from '../store/query.js';
import { chooseFormat, inputOptions, parseWeight, type CommonOptions } from './common.js';
import { analyzeReport } from './report.js';

export interface DbAddOptions extends CommonOptions {
  meta?: string[];
  replace?: boolean;
  /** --no-stacks: false. */
  stacks?: boolean;
}

/** --meta key=value pairs (repeatable); a key given twice keeps the last value. */
export function parseMeta(list: readonly string[] | undefined): [string, string][] {
  const m = new Map<string, string>();
  for (const kv of list ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new BootprofError('E_USAGE', `--meta takes key=value (got '${kv}')`);
    m.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return [...m];
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A table of rows read back from JSON: the spec's columns, each reading its key of the row object. */
function jsonTable(spec: TableSpec<unknown>, rows: Record<string, unknown>[]): Table {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  const columns: Column<Record<string, unknown>>[] = spec.columns.map((c) => ({
    ...(c as unknown as Column<Record<string, unknown>>),
    get: (r) => (r[c.key] ?? null) as never,
  }));
  return makeTable({ ...spec, columns } as TableSpec<Record<string, unknown>>, rows, {
    include: spec.columns.filter((c) => c.optional && seen.has(c.key)).map((c) => c.key),
  });
}

/** The store's tables of a saved report, read as a stream (the call tree is skipped). */
async function reportJsonTables(path: string): Promise<{ summary: Record<string, unknown>; tables: Table[] }> {
  const rows = new Map<string, Record<string, unknown>[]>(STORE_TABLES.map((s) => [s.name, []]));
  let summary: Record<string, unknown> = {};
  await readSavedReport(
    path,
    {
      setSummary: (s) => (summary = s),
      row: (table, r) => {
        const list = rows.get(table)!;
        if (list.length >= MAX_PROFILE_ROWS)
          throw new BootprofError('E_FORMAT', `${path}: more than ${MAX_PROFILE_ROWS} ${table} rows: not a report bootprof wrote`);
        list.push(r);
      },
    },
    new Set(rows.keys()),
  );
  return { summary, tables: STORE_TABLES.map((s) => jsonTable(s as TableSpec<unknown>, rows.get(s.name)!)) };
}

/** The summary a Parquet directory's files carry (key bootprof.summary), read with the store's DuckDB. */
async function parquetSummary(store: Store, dir: string): Promise<Record<string, unknown>> {
  for (const spec of STORE_TABLES) {
    const file = join(dir, parquetFileName(spec.name));
    try {
      statSync(file);
    } catch {
      continue;
    }
    const r = await store.conn.runAndReadAll(`SELECT decode(value) FROM parquet_kv_metadata(${sqlString(file)}) WHERE decode(key) = 'bootprof.summary'`);
    const v = r.getRowsJS()[0]?.[0];
    if (typeof v === 'string') return JSON.parse(v) as Record<string, unknown>;
  }
  throw new BootprofError('E_FORMAT', `${dir}: no Parquet file bootprof wrote (${STORE_TABLES.map((s) => parquetFileName(s.name)).join(', ')})`);
}

export async function dbAddCommand(storePath: string, source: string, o: DbAddOptions): Promise<void> {
  const meta = parseMeta(o.meta);
  if (o.output !== undefined) throw new BootprofError('E_USAGE', `db add writes to the store, not to -o ${o.output}`);
  const sniffed = sniffJson(source); // null for stdin, a directory, a pipe or a trace
  const kind: BootRecord['source'] = isDirectory(source) ? 'parquet' : sniffed === 'report' ? 'report' : 'trace';
  if (sniffed === 'json') throw new BootprofError('E_FORMAT', `${source}: JSON that is not a saved bootprof report (bootprof report --format json writes one)`);
  const label = o.label ?? (source === '-' ? 'stdin' : basename(source.replace(/\/+$/, '')));
  // the store is checked (and created) before the long read; it is not held open meanwhile
  const check = await openStore(storePath, 'create');
  try {
    if (!o.replace && (await hasBoot(check, label)))
      throw new BootprofError('E_USAGE', `${storePath}: boot '${label}' is already in the store: --replace to replace it, or another --label`);
  } finally {
    check.close();
  }
  let dir = source;
  let temp: string | null = null;
  let summary: Record<string, unknown> | null = null;
  try {
    if (kind !== 'parquet') {
      let doc: ResultDocument;
      let tables: Table[];
      if (kind === 'report') {
        const r = await reportJsonTables(source);
        summary = r.summary;
        tables = r.tables;
        doc = { kind: 'report', summary, tables, lines: [] };
      } else {
        const input = inputOptions(source, o);
        const symbols = await loadSymbols(input);
        ({ doc } = await analyzeReport(input, symbols, { weight: parseWeight(o.weight), stacks: o.stacks !== false }));
        summary = doc.summary as Record<string, unknown>;
        tables = STORE_TABLES.filter((s) => doc.tables.some((t) => t.spec.name === s.name)).map((s) => tableOf(doc, s.name));
      }
      temp = mkdtempSync(join(tmpdir(), 'bootprof-db-'));
      dir = temp;
      for (const t of tables) {
        const out = openOutput(join(temp, parquetFileName(t.spec.name)));
        await writeParquetTable(t, parquetMetadata(doc, t.spec.name, label), label, out);
        await out.close();
      }
    }
    const store = await openStore(storePath, 'readWrite');
    try {
      summary ??= await parquetSummary(store, source);
      const added = await addBoot(store, dir, { label, source: kind, summary, meta }, !!o.replace);
      if (!o.quiet) {
        const parts = STORE_TABLES.map((s) => countOf(added[s.name] ?? 0, s.name.replace(/s$/, '')));
        process.stderr.write(`added boot '${label}' (${kind}) to ${storePath}: ${parts.join(', ')}\n`);
      }
    } finally {
      store.close();
    }
  } finally {
    if (temp) rmSync(temp, { recursive: true, force: true });
  }
}

export interface DbQueryOptions {
  format?: string;
  output?: string;
  quiet?: boolean;
  label?: string;
}

export async function dbQueryCommand(storePath: string, sql: string, o: DbQueryOptions): Promise<void> {
  const format = chooseFormat(o.format, o.output, undefined, 'db query');
  const out = openOutput(o.output, format);
  const store = await openStore(storePath, 'readOnly');
  let result;
  try {
    result = queryTable(await store.conn.runAndReadAll(sql));
  } catch (err) {
    if (err instanceof BootprofError) throw err;
    throw new BootprofError('E_USAGE', `query failed: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
  } finally {
    store.close();
  }
  const n = result.table.rows.length;
  await writeDocument(
    format,
    {
      kind: 'query',
      summary: { store: storePath, sql, rows: n, columns: result.columns },
      tables: [result.table],
      lines: [`${countOf(n, 'row')}`],
      layout: [{ table: 'rows', empty: '(no rows)' }],
    },
    out,
    { quiet: o.quiet, label: o.label ?? basename(storePath) },
  );
}

export async function dbExportCommand(storePath: string, dir: string, o: { quiet?: boolean }): Promise<void> {
  const store = await openStore(storePath, 'readOnly');
  try {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new BootprofError('E_OUTPUT', `${dir}: cannot write output (${String((err as Error)?.message ?? err)})`);
    }
    const rows = await exportStore(store, dir);
    if (!o.quiet)
      process.stderr.write(
        `wrote ${Object.entries(rows)
          .map(([t, n]) => `${join(dir, parquetFileName(t))} (${countOf(n, 'row')})`)
          .join(', ')}\n`,
      );
  } finally {
    store.close();
  }
}
