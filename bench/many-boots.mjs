#!/usr/bin/env node
/**
 * A store of many boots, timed: N boots (default 1,000) derived from two committed samples (their
 * `report --stacks` JSON, every time and instruction count scaled per boot: a drift per "kernel
 * version", a few functions that regress from version to version, and noise), each added with the
 * real `db add` path (the saved report read as a stream, Parquet files written, one transaction),
 * then the recipe queries of docs/MANY-BOOTS.md, each timed in-process (DuckDB only) and as a whole
 * `bootprof db query` run (a new process: Node, the binding, opening the store), medians of RUNS.
 *
 *   npm run build && node bench/many-boots.mjs [N] [RUNS]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 1000);
const RUNS = Number(process.argv[3] ?? 5);
const MAP = join(root, 'samples/System.map-6.1.0-47-cloud-amd64.gz');
const BIN = join(root, 'bin/bootprof.js');
const VERSIONS = 10;

const { dbAddCommand } = await import(join(root, 'dist/commands/db.js'));
const { DuckDBInstance } = await import('@duckdb/node-api');

const dir = mkdtempSync(join(tmpdir(), 'bootprof-many-'));
const store = join(dir, 'boots.duckdb');
const bases = ['initcalls-400k', 'inasm-start-kernel-200k'].map((s) => {
  const json = execFileSync(process.execPath, [BIN, 'report', join(root, 'samples', s + '.log.gz'), '--map', MAP, '--stacks', '-f', 'json', '-q'], {
    maxBuffer: 1 << 30,
  }).toString();
  const doc = JSON.parse(json);
  delete doc.call_tree; // not stored; keeps the derived files small
  return { name: s, doc };
});

/** mulberry32 */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const hash = (s) => [...s].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261);

/** Boot i: base i % 2, kernel version floor(i * VERSIONS / N); 1 in 50 functions regresses 4% per version. */
function derive(i) {
  const base = bases[i % bases.length];
  const version = Math.floor((i * VERSIONS) / N);
  const r = rng(i + 1);
  const drift = 1 + 0.01 * version;
  const scale = (v, name) => {
    const regress = name !== undefined && hash(name) % 50 === 0 ? 1 + 0.04 * version : 1;
    return Math.round(v * drift * regress * (0.95 + 0.1 * r()));
  };
  const doc = structuredClone(base.doc);
  for (const f of doc.functions) {
    f.self_ns = scale(f.self_ns, f.function);
    if (f.total_ns !== undefined) f.total_ns = Math.max(f.self_ns, scale(f.total_ns, f.function));
    if (f.self_insns !== undefined) f.self_insns = scale(f.self_insns, f.function);
    if (f.total_insns !== undefined) f.total_insns = Math.max(f.self_insns, scale(f.total_insns, f.function));
  }
  for (const p of doc.phases) p.duration_ns = scale(p.duration_ns);
  for (const c of doc.initcalls ?? []) c.duration_ns = scale(c.duration_ns, c.initcall);
  doc.summary.total_self_ns = doc.functions.reduce((s, f) => s + f.self_ns, 0);
  return { doc, version, base: base.name };
}

const label = (i) => `boot-${String(i).padStart(4, '0')}`;
const addTimes = [];
const t0 = performance.now();
const file = join(dir, 'boot.json');
for (let i = 0; i < N; i++) {
  const { doc, version, base } = derive(i);
  writeFileSync(file, JSON.stringify(doc));
  const t = performance.now();
  await dbAddCommand(store, file, { label: label(i), meta: [`kernel=6.1.${version}`, `sample=${base}`], quiet: true });
  addTimes.push(performance.now() - t);
}
const loadSecs = (performance.now() - t0) / 1000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const db = await DuckDBInstance.create(store, { access_mode: 'READ_ONLY' });
const conn = await db.connect();
const count = async (t) => Number((await conn.runAndReadAll(`SELECT count(*) FROM ${t}`)).getRowsJS()[0][0]);
const rows = { boots: await count('boots'), functions: await count('functions'), phases: await count('phases'), initcalls: await count('initcalls') };

const a = label(0);
const b = label(N - 2);
const QUERIES = {
  'top regressions between two boots': `SELECT function, a.self_ns AS a_ns, b.self_ns AS b_ns, b.self_ns - a.self_ns AS delta_ns
FROM functions a JOIN functions b USING (function)
WHERE a.boot = '${a}' AND b.boot = '${b}'
ORDER BY delta_ns DESC LIMIT 10`,
  "a phase's trend across kernel versions": `SELECT meta['kernel'] AS kernel, count(*) AS boots, median(duration_ns)::BIGINT AS median_ns, max(duration_ns) AS max_ns
FROM phases JOIN boots USING (boot)
WHERE phase = 'start_kernel'
GROUP BY kernel ORDER BY kernel`,
  'functions whose instruction count changed most': `WITH v AS (
  SELECT meta['kernel'] AS kernel, function, avg(self_insns) AS insns
  FROM functions JOIN boots USING (boot)
  WHERE self_insns IS NOT NULL
  GROUP BY ALL)
SELECT function, o.insns::BIGINT AS old_insns, n.insns::BIGINT AS new_insns, (n.insns - o.insns)::BIGINT AS delta_insns
FROM v o JOIN v n USING (function)
WHERE o.kernel = '6.1.0' AND n.kernel = '6.1.${VERSIONS - 1}'
ORDER BY abs(n.insns - o.insns) DESC LIMIT 10`,
  'slowest initcalls over every boot': `SELECT initcall, count(*) AS boots, avg(duration_ns)::BIGINT AS mean_ns, max(duration_ns) AS max_ns
FROM initcalls GROUP BY initcall ORDER BY mean_ns DESC LIMIT 10`,
};

const results = [];
for (const [name, sql] of Object.entries(QUERIES)) {
  const inProc = [];
  for (let k = 0; k < RUNS; k++) {
    const t = performance.now();
    await conn.runAndReadAll(sql);
    inProc.push(performance.now() - t);
  }
  results.push({ name, sql, inProc: median(inProc) });
}
conn.closeSync();
db.closeSync();
for (const r of results) {
  const wall = [];
  let out = '';
  for (let k = 0; k < RUNS; k++) {
    const t = performance.now();
    const p = spawnSync(process.execPath, [BIN, 'db', 'query', store, r.sql, '-f', 'table', '-q'], { encoding: 'utf8' });
    wall.push(performance.now() - t);
    if (p.status !== 0) throw new Error(p.stderr);
    out = p.stdout;
  }
  r.wall = median(wall);
  r.out = out;
}

console.log(`node ${process.version}, ${N} boots derived from ${bases.map((b) => b.name).join(' and ')}, ${VERSIONS} kernel versions`);
console.log(
  `store: ${(statSync(store).size / 1e6).toFixed(1)} MB; rows: ${Object.entries(rows)
    .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
    .join(', ')}`,
);
console.log(
  `db add: ${N} boots in ${loadSecs.toFixed(1)} s, median ${median(addTimes).toFixed(0)} ms per boot (in-process: a saved report read as a stream, Parquet, one transaction)`,
);
console.log('');
console.log('| query | DuckDB (in-process) | `bootprof db query` (whole process) |');
console.log('|---|---:|---:|');
for (const r of results) console.log(`| ${r.name} | ${r.inProc.toFixed(0)} ms | ${r.wall.toFixed(0)} ms |`);
console.log(`\n(medians of ${RUNS} runs)`);
for (const r of results) console.log(`\n${r.name}:\n${r.sql}\n\n${r.out.split('\n').slice(0, 6).join('\n')}`);
if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
else console.log(`\nstore kept: ${store}`);
