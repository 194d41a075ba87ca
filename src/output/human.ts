/** The terminal's number forms for one trace unit (ns, or events for an untimed trace). */
import type { HumanFormat } from '../model/table.js';
import { formatSeconds } from './timestamp.js';
import { formatCount, formatDuration } from './units.js';

export function humanFormat(unit: 'ns' | 'events'): HumanFormat {
  return {
    unit,
    duration: (v) => formatDuration(v, unit),
    time: (v) => formatSeconds(v, unit),
    count: formatCount,
    percent: (v, digits = 2) => v.toFixed(digits) + '%',
  };
}
