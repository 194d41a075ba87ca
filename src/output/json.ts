/** A result document as JSON: `$schema`, the format version, the summary, then each table's rows as objects. */
import { columnsOf, type ResultDocument, type Table } from '../model/table.js';

/** Version of every command's JSON document shape; bumped when a shape changes incompatibly. */
export const FORMAT_VERSION = 1;

/** The `$schema` of a command's JSON: the schema file shipped in the package (schema/KIND.v1.json). */
export function schemaId(kind: string): string {
  return `bootprof/schema/${kind}.v${FORMAT_VERSION}.json`;
}

export function tableObjects(t: Table): Record<string, unknown>[] {
  const cols = columnsOf(t);
  return t.rows.map((r) => {
    const o: Record<string, unknown> = {};
    for (const c of cols) o[c.key] = c.get(r) ?? null;
    return o;
  });
}

export function documentObject(doc: ResultDocument): Record<string, unknown> {
  const o: Record<string, unknown> = { $schema: schemaId(doc.kind), format_version: FORMAT_VERSION, summary: doc.summary };
  for (const t of doc.tables) o[t.spec.name] = tableObjects(t);
  return o;
}

export function documentJson(doc: ResultDocument): string {
  return JSON.stringify(documentObject(doc), null, 1) + '\n';
}
