/** RFC 4180 CSV: a field is quoted only when it holds a comma, quote, CR or LF. */
import { columnsOf, type CellValue, type Table } from '../model/table.js';

export function csvField(v: string | number | boolean): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

export function csvLine(fields: readonly (string | number | boolean)[]): string {
  return fields.map(csvField).join(',') + '\n';
}

/** A cell as CSV text: flags 0/1, null empty, numbers as raw integers. */
function csvCell(v: CellValue, kind: string): string | number {
  if (v === null || v === undefined) return '';
  if (kind === 'flag') return v ? 1 : 0;
  return v as string | number;
}

/** Rows per string handed to the output: a table of a million rows is never one string. */
const ROWS_PER_WRITE = 10_000;

/** A model table as CSV: the header (column keys), then one line per row, in pieces of ROWS_PER_WRITE rows. */
export function* csvPieces(t: Table): Generator<string> {
  const cols = columnsOf(t);
  let text = csvLine(cols.map((c) => c.key));
  for (let i = 0; i < t.rows.length; i++) {
    const r = t.rows[i];
    text += csvLine(cols.map((c) => csvCell(c.get(r), c.kind)));
    if ((i + 1) % ROWS_PER_WRITE === 0) {
      yield text;
      text = '';
    }
  }
  if (text) yield text;
}

export async function writeCsvTable(t: Table, write: (s: string) => Promise<void>): Promise<void> {
  for (const piece of csvPieces(t)) await write(piece);
}

/** A small model table as one CSV string. */
export function csvText(t: Table): string {
  return [...csvPieces(t)].join('');
}
