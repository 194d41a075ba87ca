/**
 * The JSON documents against their schemas: the committed schema/*.json is what the commented types of
 * src/output/format-spec.ts generate, every command's JSON on the samples validates against its schema,
 * and every table's declared columns (model/table.ts) are the schema's row properties, in order and type.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { DIFF_TABLES } from '../src/analyze/diff.js';
import { KIND_JSON_TYPES, type TableSpec } from '../src/model/table.js';
import { SINGLE_BOOT_TABLES } from './tables.js';
// @ts-expect-error a plain .mjs script without types
import { DOCUMENTS, generateSchemas, schemaPath } from '../scripts/schema.mjs';
// @ts-expect-error a plain .mjs script without types
import { renderDoc } from '../scripts/output-doc.mjs';
import { cli } from './helpers.js';

const SAMPLES = 'samples/';
const MAP = SAMPLES + 'System.map-6.1.0-47-cloud-amd64.gz';
/** The tables of a command's document (the diff's share names with the single-boot ones). */
const tablesOf = (command: string): TableSpec<unknown>[] => (command === 'diff' ? (DIFF_TABLES as TableSpec<unknown>[]) : SINGLE_BOOT_TABLES);
type Prop = { type?: string | string[]; anyOf?: { type: string }[] };
/** A property's JSON types: `type`, or the types of an anyOf (integer or null). */
const typesOf = (p: Prop): string | string[] | undefined => p.type ?? p.anyOf?.map((a) => a.type);
const schemas: Record<string, { properties: Record<string, { type?: string; items?: { properties: Record<string, Prop>; required?: string[] } }> }> =
  Object.fromEntries(Object.keys(DOCUMENTS as object).map((c) => [c, JSON.parse(readFileSync(schemaPath(c), 'utf8'))]));

describe('JSON schemas', () => {
  it('the committed schema files are what src/output/format-spec.ts generates', () => {
    const fresh = generateSchemas() as Record<string, string>;
    for (const [command, text] of Object.entries(fresh)) expect(readFileSync(schemaPath(command), 'utf8'), `${command}: npm run schema`).toBe(text);
  }, 60_000);

  it('docs/OUTPUT.md lists every table column as declared', async () => {
    const have = readFileSync('docs/OUTPUT.md', 'utf8');
    expect(have, 'npm run docs:output').toBe(await renderDoc(have));
  });

  it('every declared table is its schema rows: the same keys in the same order, types and optionality', () => {
    let checked = 0;
    for (const [command, schema] of Object.entries(schemas)) {
      for (const [key, prop] of Object.entries(schema.properties)) {
        if (prop.type !== 'array' || !prop.items?.properties) continue;
        const spec = tablesOf(command).find((t) => t.name === key);
        expect(spec, `${command}.${key}: no table declares it`).toBeDefined();
        const props = prop.items.properties;
        expect(
          spec!.columns.map((c) => c.key),
          `${command}.${key}`,
        ).toEqual(Object.keys(props));
        for (const c of spec!.columns) {
          const want = c.nullable ? [KIND_JSON_TYPES[c.kind], 'null'] : KIND_JSON_TYPES[c.kind];
          expect(typesOf(props[c.key]), `${command}.${key}.${c.key}`).toEqual(want);
          expect((prop.items.required ?? []).includes(c.key), `${command}.${key}.${c.key} required`).toBe(!c.optional);
        }
        checked++;
      }
    }
    expect(checked).toBe(22);
  });

  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  const validators = Object.fromEntries(Object.entries(schemas).map(([c, s]) => [c, ajv.compile(s)]));
  const RUNS: [string, string[]][] = [
    ['self-time', ['--stacks']],
    ['self-time', []],
    ['timeline', []],
    ['syscalls', []],
    ['syscalls', ['--summary']],
    ['initcalls', []],
    ['report', []],
    ['report', ['--stacks']],
    ['info', []],
    ['callers', []],
    ['callees', ['--regex']],
  ];
  /** FUNC, before the trace. */
  const LEADING: Record<string, string[]> = { callers: ['__x86_return_thunk'], callees: ['^(start_kernel|do_one_initcall)$'] };
  for (const sample of ['userspace-500k.log.gz', 'start-kernel-120k.log.gz', 'kernel-entry-20k.log.gz', 'initcalls-400k.log.gz']) {
    it(`every command's JSON on ${sample} validates against its schema`, async () => {
      for (const [command, extra] of RUNS) {
        if (sample === 'initcalls-400k.log.gz' && command !== 'initcalls' && command !== 'report') continue;
        const r = await cli(command, ...(LEADING[command] ?? []), SAMPLES + sample, '--map', MAP, '-f', 'json', '-q', ...extra);
        expect(r.code, r.err).toBe(0);
        const doc = JSON.parse(r.out);
        expect(doc.$schema).toBe(`bootprof/schema/${command}.v1.json`);
        const ok = validators[command](doc);
        expect(ok, `${command} ${extra.join(' ')}: ${JSON.stringify(validators[command].errors?.slice(0, 3))}`).toBe(true);
      }
    });
  }

  it('diff: trace against trace, with and without instruction counts, validates', async () => {
    for (const [a, b] of [
      ['start-kernel-120k.log.gz', 'userspace-500k.log.gz'],
      ['inasm-start-kernel-200k.log.gz', 'inasm-start-kernel-200k.log.gz'],
    ]) {
      const r = await cli('diff', SAMPLES + a, SAMPLES + b, '--map', MAP, '-f', 'json', '-q');
      expect(r.code, r.err).toBe(0);
      const doc = JSON.parse(r.out);
      expect(doc.$schema).toBe('bootprof/schema/diff.v1.json');
      expect(validators.diff(doc), JSON.stringify(validators.diff.errors?.slice(0, 3))).toBe(true);
    }
  });

  it('an untimed trace (-d exec) and one without symbols validate too', async () => {
    const dexec = join('test/fixtures/qemu-dexec/qemu-7.2-seabios.log');
    for (const [command, args] of [
      ['report', [dexec, '--map', MAP]],
      ['timeline', [dexec, '--map', MAP]],
      ['self-time', [dexec]],
      ['info', [dexec]],
    ] as [string, string[]][]) {
      const r = await cli(command, ...args, '-f', 'json', '-q');
      expect(r.code, r.err).toBe(0);
      expect(validators[command](JSON.parse(r.out)), `${command}: ${JSON.stringify(validators[command].errors?.slice(0, 3))}`).toBe(true);
    }
  });
});
