/** Chooses the symbol map: --map, else the one System.map* beside the trace, else none. */
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface MapChoice {
  path: string | null;
  /** Why no map (or which was picked automatically), for stderr. */
  note: string | null;
}

export function chooseMap(explicit: string | undefined, trace: string | undefined): MapChoice {
  if (explicit) return { path: explicit, note: null };
  if (!trace || trace === '-') return { path: null, note: 'no --map given (reading stdin): running without symbols' };
  const dir = dirname(trace);
  let candidates: string[] = [];
  try {
    candidates = readdirSync(dir).filter((f) => f.startsWith('System.map') && f !== basename(trace));
  } catch {
    /* unreadable directory: no map */
  }
  if (candidates.length === 1) {
    const path = join(dir, candidates[0]);
    return { path, note: `using ${path} (the one System.map beside the trace)` };
  }
  if (candidates.length === 0) return { path: null, note: 'no --map given and no System.map* beside the trace: running without symbols' };
  return {
    path: null,
    note: `no --map given and ${candidates.length} System.map* files beside the trace (${candidates.join(', ')}): running without symbols; pick one with --map`,
  };
}
