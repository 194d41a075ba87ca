/** Plain-text aligned tables for terminals. */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
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
