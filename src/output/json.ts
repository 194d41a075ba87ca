/** A result document as JSON: `$schema`, the format version, the summary, then each table's rows as objects. */
import { columnsOf, type ResultDocument, type Table } from '../model/table.js';

/** Version of every command's JSON document shape; bumped when a shape changes incompatibly. */
export const FORMAT_VERSION = 1;

/** The `$schema` of a command's JSON: the schema file shipped in the package (schema/KIND.v1.json). */
export function schemaId(kind: string): string {
  return `bootprof/schema/${kind}.v${FORMAT_VERSION}.json`;
}

/** A row's JSON object: the table's columns of this run, in order, null for a missing value. */
export function rowObject(t: Table, row: unknown): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const c of columnsOf(t)) o[c.key] = c.get(row) ?? null;
  return o;
}

export function tableObjects(t: Table): Record<string, unknown>[] {
  return t.rows.map((r) => rowObject(t, r));
}

export function documentObject(doc: ResultDocument): Record<string, unknown> {
  const o: Record<string, unknown> = { $schema: schemaId(doc.kind), format_version: FORMAT_VERSION, summary: doc.summary };
  for (const t of doc.tables) o[t.spec.name] = tableObjects(t);
  return o;
}

export function documentJson(doc: ResultDocument): string {
  return JSON.stringify(documentObject(doc), null, 1) + '\n';
}

/** `JSON.stringify(value, null, 1)` as it reads nested `depth` levels deep. */
function nested(value: unknown, depth: number): string {
  const s = JSON.stringify(value, null, 1);
  return depth === 0 || !s.includes('\n') ? s : s.replace(/\n/g, '\n' + ' '.repeat(depth));
}

/**
 * The same text as documentJson, written in pieces of about `chunk` characters: a table of millions of
 * rows (a report's call tree) is never one string nor one array of objects.
 */
export async function writeDocumentJson(doc: ResultDocument, write: (s: string) => Promise<void>, chunk = 1 << 20): Promise<void> {
  let buf = `{\n "$schema": ${JSON.stringify(schemaId(doc.kind))},\n "format_version": ${FORMAT_VERSION},\n "summary": ${nested(doc.summary, 1)}`;
  for (const t of doc.tables) {
    buf += `,\n ${JSON.stringify(t.spec.name)}: `;
    if (t.rows.length === 0) {
      buf += '[]';
      continue;
    }
    buf += '[\n';
    for (let i = 0; i < t.rows.length; i++) {
      buf += (i > 0 ? ',\n  ' : '  ') + nested(rowObject(t, t.rows[i]), 2);
      if (buf.length >= chunk) {
        await write(buf);
        buf = '';
      }
    }
    buf += '\n ]';
  }
  await write(buf + '\n}\n');
}
