/**
 * Writes a result document in the chosen format. Each format is one writer here; every command that
 * returns a ResultDocument gets every format.
 */
import { tableOf, type ResultDocument, type Section } from '../model/table.js';
import { writeCsvTable } from './csv.js';
import { humanFormat } from './human.js';
import { htmlPage } from './html.js';
import { writeDocumentJson } from './json.js';
import type { OutputSink } from './sink.js';
import { renderModelTable } from './table.js';

export interface WriteContext {
  /** --quiet: nothing on stderr beside CSV. */
  quiet?: boolean;
  /** Where notes beside the data go (stderr). */
  stderr?: (text: string) => void;
  /** --label: the `boot` column of Parquet output (default: the input's file name). */
  label?: string;
}

type DocumentWriter = (doc: ResultDocument, out: OutputSink, ctx: WriteContext) => Promise<void>;

function unitOf(doc: ResultDocument): 'ns' | 'events' {
  return (doc.summary as { unit?: string }).unit === 'events' ? 'events' : 'ns';
}

/** The terminal form: each section (heading, table or its empty line, notes), then the summary lines. */
export function documentText(doc: ResultDocument): string {
  const f = humanFormat(unitOf(doc));
  const layout: readonly Section[] = doc.layout ?? doc.tables.map((t) => ({ table: t.spec.name }));
  let text = '';
  layout.forEach((s, i) => {
    if (i > 0) text += '\n';
    if (s.title !== undefined) text += s.title + '\n';
    if (s.table !== undefined) {
      const t = tableOf(doc, s.table);
      text += t.rows.length === 0 && s.empty !== undefined ? s.empty + '\n' : renderModelTable(t, f);
    }
    for (const n of s.notes ?? []) text += n + '\n';
  });
  if (doc.lines.length) text += (text ? '\n' : '') + doc.lines.join('\n') + '\n';
  return text;
}

const writeText: DocumentWriter = async (doc, out) => {
  await out.write(documentText(doc));
};

const writeCsv: DocumentWriter = async (doc, out, ctx) => {
  await writeCsvTable(tableOf(doc, doc.csv ?? doc.tables[0].spec.name), (s) => out.write(s));
  besideData(doc, ctx);
};

const writeJson: DocumentWriter = async (doc, out) => {
  await writeDocumentJson(doc, (s) => out.write(s));
};

/** Summary lines (and the tables drawn beside CSV) on stderr, unless --quiet: what CSV and Parquet print beside the data. */
function besideData(doc: ResultDocument, ctx: WriteContext): void {
  if (ctx.quiet) return;
  const f = humanFormat(unitOf(doc));
  let text = doc.lines.length ? doc.lines.join('\n') + '\n' : '';
  for (const name of doc.besideCsv ?? []) text += renderModelTable(tableOf(doc, name), f);
  if (text) (ctx.stderr ?? ((s: string) => process.stderr.write(s)))(text);
}

const writeParquet: DocumentWriter = async (doc, out, ctx) => {
  // loaded only when a run writes Parquet (the library is not needed by any other run)
  const { writeParquetDocument } = await import('./parquet.js');
  await writeParquetDocument(doc, out, ctx.label);
  besideData(doc, ctx);
};

const writeHtml: DocumentWriter = async (doc, out) => {
  for (const piece of htmlPage(doc)) await out.write(piece);
};

export const DOCUMENT_WRITERS: Readonly<Record<string, DocumentWriter>> = {
  table: writeText,
  csv: writeCsv,
  json: writeJson,
  html: writeHtml,
  parquet: writeParquet,
};

/** What a command that returns a document writes: every writer's format. */
export const DOCUMENT_FORMATS: readonly string[] = Object.keys(DOCUMENT_WRITERS);
/** The same without CSV, for commands whose result has several tables and no main one (report, info). */
export const MULTI_TABLE_FORMATS: readonly string[] = DOCUMENT_FORMATS.filter((f) => f !== 'csv');
/** A document without tables (info): neither CSV nor Parquet. */
export const TABLELESS_FORMATS: readonly string[] = MULTI_TABLE_FORMATS.filter((f) => f !== 'parquet');

/** Writes `doc` as `format` (one of DOCUMENT_WRITERS) to `out`, and closes it. */
export async function writeDocument(format: string, doc: ResultDocument, out: OutputSink, ctx: WriteContext = {}): Promise<void> {
  const w = DOCUMENT_WRITERS[format];
  if (!w) throw new Error(`no writer for format ${format}`);
  await w(doc, out, ctx);
  await out.close();
}
