/** Human-readable quantities for tables. CSV and JSON always carry raw integers. */
export function formatDuration(ns: number, unit: 'ns' | 'events' = 'ns'): string {
  if (unit === 'events') return formatCount(ns);
  const a = Math.abs(ns);
  if (a >= 1e9) return scaled(ns / 1e9) + ' s';
  if (a >= 1e6) return scaled(ns / 1e6) + ' ms';
  if (a >= 1e3) return scaled(ns / 1e3) + ' µs';
  return ns.toFixed(0) + ' ns';
}

/** Four significant digits, at most one of them after a three-digit integer part. */
function scaled(v: number): string {
  const a = Math.abs(v);
  return v.toFixed(a < 10 ? 3 : a < 100 ? 2 : 1);
}

export function formatCount(n: number): string {
  // what toLocaleString('en-US') prints for an integer, without its one-off ICU set-up (~50 ms of
  // every run's start, measured)
  const r = Math.round(n);
  if (!(Math.abs(r) < 1e21) || Object.is(r, -0)) return r.toLocaleString('en-US');
  return String(r).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** A count and its noun, singular for 1: `countOf(1, 'line')` is "1 line", `countOf(3, 'line')` "3 lines". */
export function countOf(n: number, singular: string, plural = singular + 's'): string {
  return `${formatCount(n)} ${n === 1 ? singular : plural}`;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return (n / (1 << 30)).toFixed(2) + ' GiB';
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + ' MiB';
  if (n >= 1 << 10) return (n / (1 << 10)).toFixed(1) + ' KiB';
  return n + ' B';
}
