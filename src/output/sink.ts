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
import { constants as osConstants } from 'node:os';
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  open as fsOpen,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type BigIntStats,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BootprofError } from '../io/errors.js';
import { registerOutput } from '../io/outputs.js';

export interface OutputSink {
  /** Strings are written as UTF-8; bytes as they are. */
  write(data: string | Uint8Array): Promise<void>;
  /** Completes the output (renames -o into place). */
  close(): Promise<void>;
  /** Abandons the output after an error: the -o temp file is removed, nothing replaces the target. */
  discard(): void;
  readonly isTTY: boolean;
  readonly path: string | null;
  /**
   * A directory output (Parquet, one file per table: `-o DIR/`): opens one file in it, written
   * atomically like any -o file. Absent for a file or stdout.
   */
  entry?(name: string): OutputSink;
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
  EBADF: 'bad file descriptor',
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
export function hookStdout(): void {
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
/** On SIGHUP, SIGINT, SIGQUIT or SIGTERM: remove the temp files, exit 128 + the signal's number. */
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  process.on('exit', discardOpenOutputs);
  for (const sig of ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      discardOpenOutputs();
      process.exit(128 + osConstants.signals[sig]);
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

/** /dev/stdout, /dev/fd/N, /proc/self/fd/N (or a symlink chain reaching one): our descriptor N. */
function fdAlias(path: string): number | null {
  const FD_PATH = /^\/(?:dev\/fd|proc\/(?:self|thread-self|(\d+))\/fd)\/(\d+)$/;
  const STD: Record<string, number> = { '/dev/stdin': 0, '/dev/stdout': 1, '/dev/stderr': 2 };
  let p = resolve(path);
  for (let hop = 0; hop < 40; hop++) {
    if (STD[p] !== undefined) return STD[p];
    const m = FD_PATH.exec(p);
    if (m) return m[1] === undefined || Number(m[1]) === process.pid ? Number(m[2]) : null;
    try {
      if (!lstatSync(p).isSymbolicLink()) return null;
      p = resolve(dirname(p), readlinkSync(p));
    } catch {
      return null;
    }
  }
  return null;
}

/** Where a dangling symlink points (the file to create); null when `path` is no symlink. */
function danglingTarget(path: string): string | null {
  let p = path;
  for (let hop = 0; hop < 40; hop++) {
    let link: string;
    try {
      if (!lstatSync(p).isSymbolicLink()) return hop === 0 ? null : p;
      link = readlinkSync(p);
    } catch {
      return hop === 0 ? null : p;
    }
    let base = dirname(p);
    try {
      base = realpathSync(base);
    } catch {
      /* resolved lexically */
    }
    p = resolve(base, link);
  }
  return null;
}

interface FileTarget {
  /** The open descriptor, or its pending open (a FIFO: opening waits for a reader). */
  fd: number | Promise<number>;
  /** The descriptor is ours to close (not an fd alias such as /dev/stdout). */
  ownsFd: boolean;
  /** Temp-and-rename: the temp file and the file it replaces when complete. */
  temp?: string;
  renameTo?: string;
  /** In place (a file with hard links): truncate before the first write, not at open. */
  truncate?: boolean;
  /** The existing file written (device, inode), which no input may be (io/outputs.ts). */
  id?: BigIntStats;
}

/** A file sink over one of the targets openOutput chose. */
function fileSink(path: string, t: FileTarget): OutputSink {
  let fd: number | null = typeof t.fd === 'number' ? t.fd : null;
  let truncate = !!t.truncate;
  let closed = false;
  const forget = t.id ? registerOutput(path, t.id) : (): void => {};
  const ready = async (): Promise<number> => {
    if (fd === null) fd = await (t.fd as Promise<number>);
    if (truncate) {
      ftruncateSync(fd, 0);
      truncate = false;
    }
    return fd;
  };
  const fail = (err: unknown): never => {
    sink.discard();
    // the reader of a FIFO (or the pipe behind /dev/stdout) went away: like `| head`, quietly
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') process.exit(0);
    throw outputError(err, path);
  };
  const sink: OutputSink = {
    isTTY: false,
    path,
    async write(data) {
      if (closed) throw new BootprofError('E_OUTPUT', `${path}: written after it was closed`);
      try {
        writeAll(await ready(), bytesOf(data));
      } catch (err) {
        fail(err);
      }
    },
    async close() {
      if (closed) return;
      try {
        const d = await ready();
        // a file system may report a full disk only when the data is flushed
        if (t.temp) fsyncSync(d);
        closed = true;
        if (t.ownsFd) closeSync(d);
        if (t.temp) renameSync(t.temp, t.renameTo!);
      } catch (err) {
        fail(err);
      }
      open.delete(sink);
      forget();
    },
    discard() {
      if (!open.delete(sink)) return;
      forget();
      if (!closed) {
        closed = true;
        if (fd !== null && t.ownsFd) {
          try {
            closeSync(fd);
          } catch {
            /* already closed */
          }
        } else if (fd === null) {
          // still waiting for a FIFO's reader: close it once open
          (t.fd as Promise<number>).then(closeSync, () => {});
        }
      }
      if (t.temp) {
        try {
          unlinkSync(t.temp);
        } catch {
          /* already gone */
        }
      }
    },
  };
  open.add(sink);
  return sink;
}

/** The stats of a regular file or FIFO (what an input can be), else undefined. */
function fileId(st: BigIntStats): BigIntStats | undefined {
  return st.isFile() || st.isFIFO() ? st : undefined;
}

/** Chooses how to write -o PATH (see openOutput); throws the one-line error for a bad target. */
function fileTarget(path: string): FileTarget {
  const alias = fdAlias(path);
  if (alias !== null) return { fd: alias, ownsFd: false, id: fileId(fstatSync(alias, { bigint: true })) };
  let st: Stats | undefined;
  try {
    st = statSync(path);
  } catch {
    /* a new file (or a path that fails below with its reason) */
  }
  if (st?.isDirectory()) throw new Error('is a directory');
  if (st?.isBlockDevice()) throw new Error('is a block device');
  if (st?.isFIFO()) {
    // opening a FIFO for writing waits for a reader: off the main thread, so the run goes on
    const fd = new Promise<number>((ok, ko) => fsOpen(path, constants.O_WRONLY, (err, d) => (err ? ko(err) : ok(d))));
    fd.catch(() => {});
    return { fd, ownsFd: true, id: statSync(path, { bigint: true }) };
  }
  if (st && !st.isFile()) return { fd: openSync(path, constants.O_WRONLY), ownsFd: true };
  if (st) {
    const target = lstatSync(path).isSymbolicLink() ? realpathSync(path) : path;
    const id = statSync(target, { bigint: true });
    // a rename would break the link to the other names: rewrite the file itself
    if (st.nlink > 1) return { fd: openSync(target, constants.O_WRONLY), ownsFd: true, truncate: true, id };
    const [temp, fd] = createTemp(target);
    try {
      const mine = fstatSync(fd);
      if (mine.uid !== st.uid || mine.gid !== st.gid) {
        try {
          fchownSync(fd, st.uid, st.gid);
        } catch {
          /* not permitted (not root): the new file is ours */
        }
      }
      fchmodSync(fd, st.mode & 0o7777);
    } catch (err) {
      closeSync(fd);
      unlinkSync(temp);
      throw err;
    }
    return { fd, ownsFd: true, temp, renameTo: target, id };
  }
  const target = danglingTarget(path) ?? path;
  const [temp, fd] = createTemp(target);
  return { fd, ownsFd: true, temp, renameTo: target };
}

let stdoutRegistered = false;

/**
 * Opens the output early, so a bad -o path fails before the long read starts. What -o does to what
 * is there:
 * - nothing, or a regular file: a temp file beside it, renamed onto it when complete (the mode and,
 *   when permitted, the owner of the old file are kept); through a symlink, the link's target is
 *   replaced and the link stays a link;
 * - a regular file with other hard links: rewritten in place (truncated at the first write), since a
 *   rename would break the links; an interrupted run leaves it partly written;
 * - a character device, a FIFO, /dev/stdout, /dev/fd/N: written through, never replaced;
 * - a directory or a block device: refused.
 */
export function openOutput(path: string | undefined, format?: string): OutputSink {
  if (format === 'parquet' && path && path !== '-' && isDirectoryTarget(path)) return openDirectory(path);
  if (!path || path === '-') {
    hookStdout();
    // stdout redirected to a file (`>> trace.log`): no input may be that file either
    if (!stdoutRegistered) {
      stdoutRegistered = true;
      try {
        const id = fileId(fstatSync(1, { bigint: true }));
        if (id) registerOutput('standard output', id);
      } catch {
        /* no stdout */
      }
    }
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
  let target: FileTarget;
  try {
    target = fileTarget(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'directory does not exist' : why(err);
    throw new BootprofError('E_OUTPUT', `${path}: cannot write output (${reason})`);
  }
  return fileSink(path, target);
}

/** `-o DIR/` (a trailing slash) or an existing directory: a directory output. */
export function isDirectoryTarget(path: string): boolean {
  if (path.endsWith('/')) return true;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A directory output: created when missing (with its parents), then each entry is a file sink of its
 * own (a temp file renamed into place when that file is complete). Closing the directory closes the
 * entries in the order they were opened; an error discards those not yet closed.
 */
function openDirectory(path: string): OutputSink {
  try {
    mkdirSync(path, { recursive: true });
    if (!statSync(path).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (err) {
    throw new BootprofError('E_OUTPUT', `${path}: cannot write output (${why(err)})`);
  }
  const entries: OutputSink[] = [];
  return {
    isTTY: false,
    path,
    entry(name) {
      const s = openOutput(join(path, name));
      entries.push(s);
      return s;
    },
    async write() {
      throw new BootprofError('E_OUTPUT', `${path}: is a directory (it takes one file per table)`);
    },
    async close() {
      for (const s of entries) await s.close();
    },
    discard() {
      for (const s of entries) s.discard();
    },
  };
}
