/** Points in time for tables: seconds since the trace's first event, to the microsecond. */
import { formatCount } from './units.js';

/** `ns` (an exact integer) as seconds with six decimals, e.g. 12.345678; event ordinals as counts. */
export function formatSeconds(ns: number, unit: 'ns' | 'events' = 'ns'): string {
  if (unit === 'events') return formatCount(ns);
  const us = Math.round(Math.abs(ns) / 1000);
  const sec = Math.floor(us / 1e6);
  const frac = String(us - sec * 1e6).padStart(6, '0');
  return `${ns < 0 && us > 0 ? '-' : ''}${sec}.${frac}`;
}
