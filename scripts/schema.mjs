#!/usr/bin/env node
/**
 * The JSON Schemas of bootprof's JSON documents, generated from the commented TypeScript types in
 * src/output/format-spec.ts (ts-json-schema-generator), one file per command: schema/COMMAND.v1.json.
 *
 *   node scripts/schema.mjs          write schema/*.json
 *   node scripts/schema.mjs --check  exit 1 when a committed file differs from what the types give
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGenerator } from 'ts-json-schema-generator';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FORMAT_VERSION = 1;
/** Command -> its document type in format-spec.ts. */
export const DOCUMENTS = {
  'self-time': 'SelfTimeDocument',
  timeline: 'TimelineDocument',
  syscalls: 'SyscallsDocument',
  initcalls: 'InitcallsDocument',
  report: 'ReportDocument',
  callers: 'CallersDocument',
  callees: 'CalleesDocument',
  info: 'InfoDocument',
  diff: 'DiffDocument',
  query: 'QueryDocument',
};

export function schemaPath(command) {
  return join(root, 'schema', `${command}.v${FORMAT_VERSION}.json`);
}

/** Every schema as the text a file holds. */
export function generateSchemas() {
  const gen = createGenerator({
    path: join(root, 'src/output/format-spec.ts'),
    tsconfig: join(root, 'tsconfig.json'),
    additionalProperties: false,
    expose: 'none',
    topRef: false,
    skipTypeCheck: true,
    type: '*',
  });
  const out = {};
  for (const [command, type] of Object.entries(DOCUMENTS)) {
    const s = gen.createSchema(type);
    const schema = {
      $schema: s.$schema,
      $id: `bootprof/schema/${command}.v${FORMAT_VERSION}.json`,
      title: `bootprof ${command} --format json (format_version ${FORMAT_VERSION})`,
      ...s,
    };
    delete schema.$schema;
    out[command] = JSON.stringify({ $schema: s.$schema, ...schema }, null, 2) + '\n';
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [command, text] of Object.entries(generateSchemas())) {
    const path = schemaPath(command);
    if (check) {
      let have = '';
      try {
        have = readFileSync(path, 'utf8');
      } catch {
        /* missing */
      }
      if (have !== text) {
        console.error(`${path}: out of date with src/output/format-spec.ts (run npm run schema)`);
        stale++;
      }
    } else writeFileSync(path, text);
  }
  process.exit(stale ? 1 : 0);
}
