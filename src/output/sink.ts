/**
 * Where output goes: stdout, or `-o FILE` written to a temporary file beside it and renamed into
 * place only when complete (an interrupted or failed run leaves no half-written file).
 *
 * Every byte is written or the run fails: a short write is continued, and a write error (a full
 * disk, a quota, EIO) ends the run with one line naming the output ("FILE: no space left on
 * device", "standard output: ..."), exit 2, the temp file removed. A closed stdout (`| head`) ends
 * the process quietly with status 0.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BootprofError } from '../io/errors.js';

export interface OutputSink {
  /** Strings are written as UTF-8; bytes as they are. */
  write(data: string | Uint8Array): Promise<void>;
  /** Completes the output (renames -o into place). */
  close(): Promise<void>;
  /** Abandons the output after an error: the -o temp file is removed, nothing replaces the target. */
  discard(): void;
  readonly isTTY: boolean;
  readonly path: string | null;
}

/** One write(2): bytes written. Tests replace it (setWriteForTesting) to make short writes and errors. */
export type WriteFn = (fd: number, buf: Uint8Array, off: number, len: number) => number;
const systemWrite: WriteFn = (fd, buf, off, len) => writeSync(fd, buf, off, len);
let writeFn: WriteFn = systemWrite;

/** Replaces write(2) for the sink's file writes (null: the real one). For tests only. */
export function setWriteForTesting(fn: WriteFn | null): void {
  writeFn = fn ?? systemWrite;
}

const waitCell = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `buf` to `fd`, continuing after short writes (and EAGAIN on a non-blocking fd). */
function writeAll(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) {
    let n: number;
    try {
      n = writeFn(fd, buf, off, buf.length - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(waitCell, 0, 0, 5);
        continue;
      }
      throw err;
    }
    if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EZEROWRITE' });
    off += n;
  }
}

const bytesOf = (data: string | Uint8Array): Uint8Array => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

const WHY: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EIO: 'input/output error',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EBADF: 'not open for writing',
  ENXIO: 'no such device or address',
  EZEROWRITE: 'write made no progress',
};

/** "no space left on device" for ENOSPC and the like; else the system's text without its code. */
function why(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && WHY[e.code]) return WHY[e.code];
  const m = String(e?.message ?? err);
  return m.replace(/^[A-Z0-9_]+: /, '').replace(/, \w+( '.*')?$/, '');
}

/** A failed write or close of output `name` as a one-line error (exit 2). */
export function outputError(err: unknown, name: string): BootprofError {
  return new BootprofError('E_OUTPUT', `${name}: ${why(err)}`);
}

/** The sinks not yet closed or discarded: discarded after an error, and at exit or on a signal. */
const open = new Set<OutputSink>();

/** Abandons every open output (temp files removed): the CLI calls it when a command fails. */
export function discardOpenOutputs(): void {
  for (const s of [...open]) s.discard();
}

let stdoutHooked = false;
/**
 * stdout: EPIPE (a closed pipe, `| head`) ends the process with status 0, quietly; any other write
 * error ("standard output: no space left on device") with one line and status 2. When stdout is a
 * file or a character device, Node writes it with one write(2) per chunk and ignores short writes:
 * those chunks go through writeAll instead.
 */
export function quietOnClosedStdout(): void {
  if (stdoutHooked) return;
  stdoutHooked = true;
  const out = process.stdout as NodeJS.WriteStream & { _type?: string; fd?: number };
  if (out._type === 'fs' && typeof out.fd === 'number') {
    const fd = out.fd;
    out._write = (chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void => {
      try {
        writeAll(fd, chunk);
      } catch (err) {
        cb(err as Error);
        return;
      }
      cb();
    };
  }
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(0);
    discardOpenOutputs();
    process.stderr.write(`bootprof: ${outputError(err, 'standard output').message}\n`);
    process.exit(2);
  });
}

let signalsHooked = false;
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  process.on('exit', discardOpenOutputs);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      discardOpenOutputs();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

/**
 * Creates the temp file beside `target` (same directory, so the rename is atomic): `.NAME.PID.tmp`,
 * or `.bootprof-PID-RANDOM.tmp` when that name would be too long (or is taken by a leftover).
 */
function createTemp(target: string): [string, number] {
  const dir = dirname(target);
  const named = `.${basename(target)}.${process.pid}.tmp`;
  const names = Buffer.byteLength(named) <= 255 ? [named] : [];
  for (let k = 0; k < 8; k++) names.push(`.bootprof-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let last: unknown;
  for (const name of names) {
    const temp = join(dir, name);
    try {
      return [temp, openSync(temp, 'wx')];
    } catch (err) {
      last = err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENAMETOOLONG') throw err;
    }
  }
  throw last;
}

/** Opens the output early, so a bad -o path fails before the long read starts. */
export function openOutput(path: string | undefined): OutputSink {
  if (!path || path === '-') {
    quietOnClosedStdout();
    const out = process.stdout;
    return {
      isTTY: !!out.isTTY,
      path: null,
      write(data) {
        return new Promise<void>((resolve) => {
          if (out.write(data)) resolve();
          else out.once('drain', resolve);
        });
      },
      async close() {},
      discard() {},
    };
  }
  hookSignals();
  let st: Stats | undefined;
  try {
    st = statSync(path);
  } catch {
    /* a new file (or a path that fails below with its reason) */
  }
  if (st?.isDirectory()) throw new BootprofError('E_OUTPUT', `${path}: cannot write output (is a directory)`);
  let temp: string;
  let fd: number;
  try {
    [temp, fd] = createTemp(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'directory does not exist' : why(err);
    throw new BootprofError('E_OUTPUT', `${path}: cannot write output (${reason})`);
  }
  let closed = false;
  const sink: OutputSink = {
    isTTY: false,
    path,
    async write(data) {
      if (closed) throw new BootprofError('E_OUTPUT', `${path}: written after it was closed`);
      try {
        writeAll(fd, bytesOf(data));
      } catch (err) {
        sink.discard();
        throw outputError(err, path);
      }
    },
    async close() {
      if (closed) return;
      try {
        // a file system may report a full disk only when the data is flushed
        fsyncSync(fd);
        closed = true;
        closeSync(fd);
        renameSync(temp, path);
      } catch (err) {
        sink.discard();
        throw outputError(err, path);
      }
      open.delete(sink);
    },
    discard() {
      if (!open.delete(sink)) return;
      if (!closed) {
        closed = true;
        try {
          closeSync(fd);
        } catch {
          /* already closed */
        }
      }
      try {
        unlinkSync(temp);
      } catch {
        /* already gone */
      }
    },
  };
  open.add(sink);
  return sink;
}
