/**
 * Where output goes: stdout, or `-o FILE` written to a temporary file beside it and renamed into
 * place only when complete (an interrupted run leaves no half-written file). A closed stdout
 * (`| head`) ends the process quietly with status 0.
 */
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BootprofError } from '../io/errors.js';

export interface OutputSink {
  write(text: string): Promise<void>;
  /** Completes the output (renames -o into place). */
  close(): Promise<void>;
  /** Abandons the output after an error: the -o temp file is removed, nothing replaces the target. */
  discard(): void;
  readonly isTTY: boolean;
  readonly path: string | null;
}

let epipeHooked = false;
/** Makes EPIPE on stdout end the process with status 0, without a stack trace. */
export function quietOnClosedStdout(): void {
  if (epipeHooked) return;
  epipeHooked = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(0);
    throw err;
  });
}

const pendingTemps = new Set<string>();
let signalsHooked = false;
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  const cleanup = (): void => {
    for (const t of pendingTemps) {
      try {
        unlinkSync(t);
      } catch {
        /* already gone */
      }
    }
    pendingTemps.clear();
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      cleanup();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Opens the output early, so a bad -o path fails before the long read starts. */
export function openOutput(path: string | undefined): OutputSink {
  if (!path || path === '-') {
    quietOnClosedStdout();
    const out = process.stdout;
    return {
      isTTY: !!out.isTTY,
      path: null,
      write(text) {
        return new Promise<void>((resolve) => {
          if (out.write(text)) resolve();
          else out.once('drain', resolve);
        });
      },
      async close() {},
      discard() {},
    };
  }
  hookSignals();
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, 'w');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'directory does not exist' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new BootprofError('E_OUTPUT', `${path}: cannot write output (${why})`);
  }
  pendingTemps.add(temp);
  return {
    isTTY: false,
    path,
    async write(text) {
      writeSync(fd, text);
    },
    async close() {
      closeSync(fd);
      renameSync(temp, path);
      pendingTemps.delete(temp);
    },
    discard() {
      if (!pendingTemps.delete(temp)) return;
      try {
        closeSync(fd);
        unlinkSync(temp);
      } catch {
        /* already gone */
      }
    },
  };
}
