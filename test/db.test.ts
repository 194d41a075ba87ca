/**
 * The many-boots store: db add from a trace, a saved report and a Parquet directory; db query gives
 * back what the commands' CSV and JSON say; same-label refusal and --replace; a crash in the middle of
 * an add leaves the store as it was; db export writes the Parquet files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { csvField } from '../src/output/csv.js';
import { duckdb, STORE_SCHEMA_VERSION } from '../src/store/store.js';
import { cli } from './helpers.js';

const MAP = 'samples/System.map-6.1.0-47-cloud-amd64.gz';
const dir = mkdtempSync(join(tmpdir(), 'bootprof-db-'));
const store = join(dir, 'boots.duckdb');
const TRACE = 'samples/initcalls-400k.log.gz';

async function ok(...args: string[]): Promise<string> {
  const r = await cli(...args);
  expect(r.code, r.err).toBe(0);
  return r.out;
}

/** A CSV header as a SQL column list (quoted: `from` is a keyword). */
const cols = (csv: string): string =>
  csv
    .split('\n')[0]
    .split(',')
    .map((c) => `"${c}"`)
    .join(', ');

/** The store's rows of a query as CSV. */
const query = (sql: string): Promise<string> => ok('db', 'query', store, sql, '-f', 'csv', '-q');

/** A JSON table as CSV (flags 0/1, null empty), the columns of its first row. */
function jsonCsv(rows: Record<string, unknown>[]): string {
  const cell = (v: unknown): string => (v === null ? '' : typeof v === 'boolean' ? (v ? '1' : '0') : csvField(String(v)));
  return [Object.keys(rows[0]).join(','), ...rows.map((r) => Object.values(r).map(cell).join(','))].join('\n') + '\n';
}

describe('bootprof db', () => {
  it('add from a trace, a saved report and a Parquet directory; query gives back the CSV and JSON rows', async () => {
    await ok('db', 'add', store, TRACE, '--map', MAP, '--label', 'a', '--meta', 'kernel=6.1', '--meta', 'host=ci', '-q');
    // the trace's functions as self-time --stacks writes them
    const csv = await ok('self-time', TRACE, '--map', MAP, '--stacks', '-f', 'csv', '-q');
    expect(await query(`SELECT ${cols(csv)} FROM functions WHERE boot = 'a' ORDER BY rowid`)).toBe(csv);
    const ic = await ok('initcalls', TRACE, '--map', MAP, '-f', 'csv', '-q');
    expect(await query(`SELECT ${cols(ic)} FROM initcalls WHERE boot = 'a' ORDER BY rowid`)).toBe(ic);

    const json = join(dir, 'b.json');
    await ok('report', 'samples/inasm-start-kernel-200k.log.gz', '--map', MAP, '--stacks', '-f', 'json', '-o', json, '-q');
    await ok('db', 'add', store, json, '--label', 'b', '-q');
    const doc = JSON.parse(readFileSync(json, 'utf8')) as Record<string, Record<string, unknown>[]>;
    for (const t of ['functions', 'phases', 'milestones']) {
      const want = jsonCsv(doc[t]);
      expect(await query(`SELECT ${cols(want)} FROM ${t} WHERE boot = 'b' ORDER BY rowid`), t).toBe(want);
    }

    const pq = join(dir, 'c') + '/';
    await ok('report', 'samples/start-kernel-120k.log.gz', '--map', MAP, '-f', 'parquet', '-o', pq, '-q');
    await ok('db', 'add', store, pq, '--label', 'c', '--meta', 'kernel=6.2', '-q');
    const st = await ok('self-time', 'samples/start-kernel-120k.log.gz', '--map', MAP, '-f', 'csv', '-q');
    expect(await query(`SELECT ${cols(st)} FROM functions WHERE boot = 'c' ORDER BY rowid`)).toBe(st);

    expect(await query(`SELECT boot, source, events, meta['kernel'] AS kernel, meta['host'] AS host FROM boots ORDER BY boot`)).toBe(
      'boot,source,events,kernel,host\na,trace,400000,6.1,ci\nb,report,193762,,\nc,parquet,120000,6.2,\n',
    );
    // the summary is kept whole, as JSON
    expect(await query(`SELECT summary->>'$.format' AS f, (summary->>'$.span_ns')::BIGINT = span_ns AS same FROM boots WHERE boot = 'b'`)).toBe(
      'f,same\nqemu-log,1\n',
    );
  });

  it('the same label is refused, --replace replaces it; a crash in the middle of an add leaves the store as it was', async () => {
    const before = await query(
      `SELECT (SELECT count(*) FROM boots) AS boots, (SELECT count(*) FROM functions) AS functions, (SELECT count(*) FROM phases) AS phases`,
    );
    const again = await cli('db', 'add', store, 'samples/kernel-entry-20k.log.gz', '--map', MAP, '--label', 'a', '-q');
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/boot 'a' is already in the store: --replace/);
    expect(await query(`SELECT count(*) AS n FROM functions WHERE boot = 'a'`)).toBe('n\n997\n');

    const crash = spawnSync(
      process.execPath,
      ['bin/bootprof.js', 'db', 'add', store, 'samples/kernel-entry-20k.log.gz', '--map', MAP, '--label', 'a', '--replace', '-q'],
      {
        env: { ...process.env, BOOTPROF_DB_CRASH_AFTER: 'phases' },
        encoding: 'utf8',
      },
    );
    expect(crash.signal, crash.stderr).toBe('SIGKILL');
    expect(
      await query(`SELECT (SELECT count(*) FROM boots) AS boots, (SELECT count(*) FROM functions) AS functions, (SELECT count(*) FROM phases) AS phases`),
    ).toBe(before);
    expect(await query(`SELECT count(*) AS n FROM functions WHERE boot = 'a'`)).toBe('n\n997\n');

    await ok('db', 'add', store, 'samples/kernel-entry-20k.log.gz', '--map', MAP, '--label', 'a', '--replace', '-q');
    const fresh = await ok('self-time', 'samples/kernel-entry-20k.log.gz', '--map', MAP, '--stacks', '-f', 'csv', '-q');
    expect(await query(`SELECT count(*) AS n FROM functions WHERE boot = 'a'`)).toBe(`n\n${fresh.trim().split('\n').length - 1}\n`);
    expect(await query(`SELECT count(*) AS n FROM boots`)).toBe('n\n3\n');
  });

  it('export writes every table as Parquet; query prints tables and JSON of the output model', async () => {
    const out = join(dir, 'export');
    await ok('db', 'export', store, out, '-q');
    expect(readdirSync(out).sort()).toEqual(['boots', 'functions', 'initcalls', 'milestones', 'phases', 'syscalls'].map((t) => `${t}.parquet`));
    expect(await query(`SELECT count(*) AS n FROM read_parquet('${out}/functions.parquet')`)).toBe(await query(`SELECT count(*) AS n FROM functions`));
    expect(await query(`SELECT * FROM read_parquet('${out}/phases.parquet') EXCEPT SELECT * FROM phases`)).toBe(
      'boot,phase,label,from,start_ns,end_ns,duration_ns,share,idle_ns,idle_share,partial,insns,firmware_ns,boot_ns\n',
    );

    const table = await ok(
      'db',
      'query',
      store,
      `SELECT boot, sum(self_ns) AS self_ns, max(share) AS share, avg(events) AS mean FROM functions GROUP BY boot ORDER BY boot`,
      '-f',
      'table',
    );
    expect(table.split('\n')[0]).toMatch(/^boot\s+self_ns\s+share\s+mean$/);
    expect(table).toMatch(/^a\s+[\d.]+ ms\s+[\d.]+%\s+[\d.]+$/m);
    const j = JSON.parse(await ok('db', 'query', store, `SELECT boot, span_ns FROM boots ORDER BY boot`, '-f', 'json')) as {
      $schema: string;
      summary: { rows: number; columns: { name: string; type: string }[] };
      rows: unknown[];
    };
    expect(j.$schema).toBe('bootprof/schema/query.v1.json');
    const validate = new Ajv({ strict: true, allowUnionTypes: true }).compile(JSON.parse(readFileSync('schema/query.v1.json', 'utf8')));
    expect(validate(j), JSON.stringify(validate.errors)).toBe(true);
    expect(j.summary.columns).toEqual([
      { name: 'boot', type: 'VARCHAR' },
      { name: 'span_ns', type: 'BIGINT' },
    ]);
    expect(j.rows.length).toBe(3);
  });

  it('says what is wrong: bad SQL, no store, a database that is not a store', async () => {
    const bad = await cli('db', 'query', store, 'SELEC 1');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^bootprof: query failed: Parser Error/);
    const none = await cli('db', 'query', join(dir, 'none.duckdb'), 'SELECT 1');
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/none\.duckdb: no such store/);
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const other = join(dir, 'other.duckdb');
    const d = await DuckDBInstance.create(other);
    const c = await d.connect();
    await c.run('CREATE TABLE t (x INT)');
    c.closeSync();
    d.closeSync();
    const r = await cli('db', 'add', other, TRACE, '--map', MAP);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a bootprof store/);
    expect(STORE_SCHEMA_VERSION).toBe(1);
  });

  it('without the DuckDB binding, db says so in one line', async () => {
    const failing = (): Promise<never> => Promise.reject(new Error("Cannot find package '@duckdb/node-api'\nmore"));
    // a fresh module state: the binding is cached once loaded, so load the module anew
    const { duckdb: fresh } = (await import('../src/store/store.js?nobinding' as string)) as { duckdb: typeof duckdb };
    await expect(fresh(failing)).rejects.toThrow(
      /^bootprof db needs DuckDB's Node binding \(@duckdb\/node-api\), which is not installed or does not load on this platform \(Cannot find package '@duckdb\/node-api'\); install it with npm install @duckdb\/node-api\. Every other command works without it$/,
    );
  });
});
