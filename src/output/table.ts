/** Plain-text aligned tables for terminals, and the terminal form of a model table. */
import { columnsOf, type Column, type HumanFormat, type Table, type ViewColumn } from '../model/table.js';

export interface TextColumn {
  header: string;
  align?: 'left' | 'right';
}

export function renderTable(columns: readonly TextColumn[], rows: readonly (readonly string[])[]): string {
  // a loop, not Math.max(...rows): hundreds of thousands of rows exceed the engine's argument limit
  const widths = columns.map((c) => c.header.length);
  for (const r of rows) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i], (r[i] ?? '').length);
  const fmt = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (columns[i].align === 'right' ? cell.padStart(widths[i]) : i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd() + '\n';
  let out = fmt(columns.map((c) => c.header));
  out += fmt(widths.map((w) => '-'.repeat(w)));
  for (const r of rows) out += fmt(r);
  return out;
}

/** A cell of a declared column in human units, by its kind. */
function humanCell<R>(c: Column<R>, row: R, f: HumanFormat): string {
  const v = c.get(row);
  if (v === null || v === undefined) return '';
  switch (c.kind) {
    case 'count':
      return f.count(v as number);
    case 'duration':
      return f.duration(v as number);
    case 'time':
      return f.time(v as number);
    case 'percent':
      return f.percent(v as number);
    case 'flag':
      return v ? 'yes' : '';
    default:
      return String(v);
  }
}

/** The table's view as view columns: declared columns by their kind, view-only ones as they are. */
function viewColumns<R>(t: Table<R>): ViewColumn<R>[] {
  const present = columnsOf(t);
  const byKey = new Map(present.map((c) => [c.key, c]));
  const view = t.spec.view ?? present.map((c) => c.key);
  const out: ViewColumn<R>[] = [];
  for (const v of view) {
    if (typeof v !== 'string') {
      out.push(v);
      continue;
    }
    const c = byKey.get(v);
    if (!c) continue; // an optional column this run does not fill
    out.push({
      key: c.key,
      title: c.title ?? c.key,
      titleEvents: c.titleEvents,
      align: c.kind === 'text' ? 'left' : 'right',
      cell: (row, f) => humanCell(c, row, f),
    });
  }
  return out;
}

/** A model table as a terminal table (its view, human units, the footer row last). */
export function renderModelTable<R>(t: Table<R>, f: HumanFormat): string {
  const cols = viewColumns(t);
  const rows = t.rows.map((r) => cols.map((c) => c.cell(r, f)));
  if (t.footer) rows.push([...t.footer]);
  const header = (c: ViewColumn<R>): string =>
    (c.key !== undefined ? t.titles?.[c.key] : undefined) ?? (f.unit === 'events' && c.titleEvents !== undefined ? c.titleEvents : c.title);
  return renderTable(
    cols.map((c) => ({ header: header(c), align: c.align })),
    rows,
  );
}
