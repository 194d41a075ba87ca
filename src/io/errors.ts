/**
 * Errors bootprof reports to the user as one line on stderr. `exitCode` follows the CLI contract:
 * 1 usage, 2 input (missing, unreadable, corrupt or empty files, malformed input under --strict).
 */
export type ErrorCode = 'E_USAGE' | 'E_NOT_FOUND' | 'E_UNREADABLE' | 'E_EMPTY' | 'E_GZIP' | 'E_FORMAT' | 'E_MALFORMED' | 'E_SYMBOLS' | 'E_OUTPUT';

export class BootprofError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'BootprofError';
    this.code = code;
    this.exitCode = code === 'E_USAGE' ? 1 : 2;
  }
}

/** Turns a Node fs error on `path` into a one-line BootprofError. */
export function fsError(err: unknown, path: string): BootprofError {
  const e = err as NodeJS.ErrnoException;
  if (e && e.code === 'ENOENT') return new BootprofError('E_NOT_FOUND', `${path}: no such file`);
  if (e && e.code === 'EISDIR') return new BootprofError('E_UNREADABLE', `${path}: is a directory`);
  if (e && e.code === 'EACCES') return new BootprofError('E_UNREADABLE', `${path}: permission denied`);
  if (e && (e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR' || e.code === 'ERR_ZLIB'))
    return new BootprofError('E_GZIP', `${path}: corrupt or truncated gzip data (${e.message})`);
  return new BootprofError('E_UNREADABLE', `${path}: ${e && e.message ? e.message : String(err)}`);
}
