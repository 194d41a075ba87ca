/** Plain-text aligned tables for terminals. */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
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
