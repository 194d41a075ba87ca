/** RFC 4180 CSV: a field is quoted only when it holds a comma, quote, CR or LF. */
export function csvField(v: string | number | boolean): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

export function csvLine(fields: readonly (string | number | boolean)[]): string {
  return fields.map(csvField).join(',') + '\n';
}
