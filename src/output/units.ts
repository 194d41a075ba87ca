/** Human-readable quantities for tables. CSV and JSON always carry raw integers. */
export function formatDuration(ns: number, unit: 'ns' | 'events' = 'ns'): string {
  if (unit === 'events') return formatCount(ns);
  const a = Math.abs(ns);
  if (a >= 1e9) return (ns / 1e9).toFixed(a >= 100e9 ? 1 : 3) + ' s';
  if (a >= 1e6) return (ns / 1e6).toFixed(a >= 100e6 ? 1 : 3) + ' ms';
  if (a >= 1e3) return (ns / 1e3).toFixed(a >= 100e3 ? 1 : 3) + ' µs';
  return ns.toFixed(0) + ' ns';
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Percent with 4 decimals, the form CSV and JSON use. */
export function sharePercent(part: number, total: number): number {
  return total > 0 ? Number(((part / total) * 100).toFixed(4)) : 0;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return (n / (1 << 30)).toFixed(2) + ' GiB';
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + ' MiB';
  if (n >= 1 << 10) return (n / (1 << 10)).toFixed(1) + ' KiB';
  return n + ' B';
}
