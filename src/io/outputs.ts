/**
 * The files this run writes (`-o`, or stdout redirected to a file), by device and inode, so that an
 * input is never also the output: every input (the trace, stdin, each --map / --vmlinux file, the
 * System.map found beside the trace) is checked here when it is named and again when it is opened,
 * before a byte of it is read. output/sink.ts registers its targets; io/source.ts and
 * symbols/sources.ts check.
 */
import { fstatSync, statSync, type BigIntStats } from 'node:fs';
import { BootprofError } from './errors.js';

interface Written {
  /** How the user named it: the -o path, or "standard output". */
  readonly name: string;
  readonly dev: bigint;
  readonly ino: bigint;
}

const written = new Set<Written>();

/** Registers an output file; returns the function that forgets it (the output closed or was discarded). */
export function registerOutput(name: string, st: BigIntStats): () => void {
  const w: Written = { name, dev: st.dev, ino: st.ino };
  written.add(w);
  return () => void written.delete(w);
}

/**
 * Throws (usage error, exit 1) when the input `path` (or the open descriptor `fd` of it) is a file
 * this run writes. A path that cannot be stat'ed is let through: opening it reports the error.
 */
export function refuseOutputAsInput(path: string, fd?: number): void {
  if (written.size === 0) return;
  let st: BigIntStats;
  try {
    st = fd === undefined ? statSync(path, { bigint: true }) : fstatSync(fd, { bigint: true });
  } catch {
    return;
  }
  for (const w of written) {
    if (w.dev === st.dev && w.ino === st.ino) {
      const what = w.name === 'standard output' ? 'standard output is' : `-o ${w.name} is`;
      throw new BootprofError('E_USAGE', `${what} the input trace (or map); choose another output file`);
    }
  }
}
