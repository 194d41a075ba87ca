/**
 * Byte sources: a file, stdin, or either of them gzip-compressed (detected by the magic bytes
 * 1f 8b, never by the name). A source is pull-based: `read(buf, off, len)` fills at most `len`
 * bytes and returns how many, 0 at the end. The chunker (chunks.ts) owns the buffer.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { constants as zlibConstants, createGunzip, type Gunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { BootprofError, fsError } from './errors.js';
import { refuseOutputAsInput } from './outputs.js';

/** A compressed input that ends inside a gzip member (a recording cut short, a copy still being written). */
export interface GzipCut {
  /** Compressed bytes read: the data stops there (for a file, its size). */
  compressed: number;
  /** Bytes decompressed from them, all handed to the reader. */
  decompressed: number;
}

export interface ByteSource {
  /** Display name for messages: the path, or "stdin". */
  readonly name: string;
  /** Total bytes when known (a plain file), for progress; compressed sources report their on-disk size. */
  readonly size: number | undefined;
  readonly gzip: boolean;
  read(buf: Uint8Array, off: number, len: number): Promise<number>;
  close(): Promise<void>;
  /**
   * Once read() has returned 0: where gzip data ended inside a member, else null. Wrapping sources
   * forward it. Absent: the source cannot be cut (plain bytes).
   */
  cut?(): GzipCut | null;
}

/** gzip data starts with the magic bytes 1f 8b (RFC 1952): what every reader sniffs, never the name. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * What the two stream-backed sources share: the chunk being handed out, a copy of it into the
 * caller's buffer, and the one waiting read woken by stream events.
 */
abstract class PullSource {
  protected pending: Uint8Array | null = null;
  protected pendingOff = 0;
  private waiter: (() => void) | null = null;

  protected wake(): void {
    const w = this.waiter;
    this.waiter = null;
    if (w) w();
  }

  /** Waits for the next stream event. */
  protected sleep(): Promise<void> {
    return new Promise<void>((resolve) => (this.waiter = resolve));
  }

  /** Copies what is left of the pending chunk (at most len bytes); -1 when none is pending. */
  protected takePending(buf: Uint8Array, off: number, len: number): number {
    const p = this.pending;
    if (!p) return -1;
    const n = Math.min(len, p.length - this.pendingOff);
    buf.set(p.subarray(this.pendingOff, this.pendingOff + n), off);
    this.pendingOff += n;
    if (this.pendingOff >= p.length) {
      this.pending = null;
      this.pendingOff = 0;
    }
    return n;
  }
}

/** Adapts a Node Readable into a pull source, copying its chunks into the caller's buffer. */
class StreamSource extends PullSource implements ByteSource {
  private ended = false;
  private error: unknown = null;

  constructor(
    readonly name: string,
    private readonly stream: Readable,
    readonly size: number | undefined,
    readonly gzip: boolean,
    prefix: Uint8Array | null,
  ) {
    super();
    if (prefix && prefix.length > 0) this.pending = prefix;
    stream.on('readable', () => this.wake());
    stream.on('end', () => {
      this.ended = true;
      this.wake();
    });
    stream.on('error', (err) => {
      this.error = err;
      this.wake();
    });
  }

  async read(buf: Uint8Array, off: number, len: number): Promise<number> {
    for (;;) {
      const n = this.takePending(buf, off, len);
      if (n >= 0) return n;
      if (this.error) throw fsError(this.error, this.name);
      const chunk = this.stream.read() as Buffer | null;
      if (chunk) {
        this.pending = chunk;
        this.pendingOff = 0;
        continue;
      }
      if (this.ended) return 0;
      await this.sleep();
    }
  }

  async close(): Promise<void> {
    this.stream.destroy();
  }
}

const GZIP_READ = 1 << 16;

/**
 * Inflates a compressed Readable (a file's or stdin's bytes), pull-based like StreamSource. A stream
 * that stops inside a member is not an error: when the compressed bytes end, a Z_SYNC_FLUSH hands out
 * everything inflatable; only once the reader has taken all of it is the inflater ended (Z_FINISH),
 * and its "unexpected end of file" then means "cut here" (`cut()`), with nothing lost. Any other
 * inflate error (bad data, a CRC or length mismatch, garbage after a member) is corrupt data: a
 * BootprofError naming the compressed byte range it lies in. Concatenated members are inflated one
 * after another by zlib itself.
 */
class GzipSource extends PullSource implements ByteSource {
  readonly gzip = true;
  private readonly gunzip: Gunzip;
  /** Compressed bytes handed to the inflater. */
  private fed = 0;
  /** Decompressed bytes handed to the reader. */
  private out = 0;
  /** All compressed bytes were fed and flushed through. */
  private flushed = false;
  /** end() was called on the inflater: its "unexpected end of file" now means a cut. */
  private finishing = false;
  private ended = false;
  private truncated: GzipCut | null = null;
  private error: BootprofError | null = null;

  constructor(
    readonly name: string,
    private readonly raw: Readable,
    readonly size: number | undefined,
    first: Uint8Array | null,
  ) {
    super();
    const gunzip = (this.gunzip = createGunzip({ chunkSize: 1 << 18 }));
    gunzip.on('readable', () => this.wake());
    gunzip.on('end', () => {
      this.ended = true;
      this.wake();
    });
    gunzip.on('error', (err: NodeJS.ErrnoException) => {
      if (this.finishing && err.code === 'Z_BUF_ERROR') {
        this.truncated = { compressed: this.fed, decompressed: this.out };
        this.ended = true;
      } else if (!this.error) {
        this.error = new BootprofError(
          'E_GZIP',
          `${name}: corrupt gzip data (${err.message}), detected between compressed bytes ${gunzip.bytesWritten} and ${this.fed}`,
        );
        raw.destroy();
      }
      this.wake();
    });
    gunzip.on('drain', () => raw.resume());
    const feed = (c: Uint8Array): void => {
      this.fed += c.length;
      if (!gunzip.write(c)) raw.pause();
    };
    if (first && first.length > 0) feed(first);
    raw.on('data', feed);
    raw.on('end', () =>
      gunzip.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        this.flushed = true;
        this.wake();
      }),
    );
    raw.on('error', (err) => {
      if (!this.error) this.error = fsError(err, name);
      this.wake();
    });
    raw.resume();
  }

  async read(buf: Uint8Array, off: number, len: number): Promise<number> {
    for (;;) {
      const n = this.takePending(buf, off, len);
      if (n >= 0) {
        this.out += n;
        return n;
      }
      if (this.error) throw this.error;
      if (this.ended) return 0;
      const chunk = this.gunzip.read() as Buffer | null;
      if (chunk) {
        this.pending = chunk;
        continue;
      }
      if (this.flushed && !this.finishing) {
        // Everything inflatable has been read: now ask zlib whether the last member was complete.
        this.finishing = true;
        this.gunzip.end();
      }
      await this.sleep();
    }
  }

  cut(): GzipCut | null {
    return this.truncated;
  }

  async close(): Promise<void> {
    this.raw.destroy();
    this.gunzip.destroy();
  }
}

/** A plain file read with positioned reads: no stream, no copies. */
class FileSource implements ByteSource {
  readonly gzip = false;
  private pos = 0;
  constructor(
    readonly name: string,
    private readonly fh: fsp.FileHandle,
    readonly size: number,
  ) {}
  async read(buf: Uint8Array, off: number, len: number): Promise<number> {
    let r;
    try {
      r = await this.fh.read(buf, off, len, this.pos);
    } catch (err) {
      throw fsError(err, this.name);
    }
    this.pos += r.bytesRead;
    return r.bytesRead;
  }
  async close(): Promise<void> {
    await this.fh.close();
  }
}

/**
 * A pipe, FIFO or device read in order straight into the caller's buffer (position null: the
 * handle's own), after `head` (the bytes read to sniff gzip). No stream: a Readable allocates a
 * buffer per read, and a live writer (QEMU's log in a FIFO) makes thousands of small reads a second.
 */
class SequentialSource extends PullSource implements ByteSource {
  readonly gzip = false;
  readonly size = undefined;
  constructor(
    readonly name: string,
    private readonly fh: fsp.FileHandle,
    head: Uint8Array,
  ) {
    super();
    if (head.length > 0) this.pending = head;
  }
  async read(buf: Uint8Array, off: number, len: number): Promise<number> {
    const n = this.takePending(buf, off, len);
    if (n >= 0) return n;
    try {
      return (await this.fh.read(buf, off, len, null)).bytesRead;
    } catch (err) {
      throw fsError(err, this.name);
    }
  }
  async close(): Promise<void> {
    await this.fh.close();
  }
}

/**
 * Opens `path` ('-' or undefined: stdin), sniffing gzip by magic bytes. A regular file is read with
 * positioned reads (and may be cut into parallel work units: its `size` is known); anything else that
 * can be read as a stream (a FIFO, a `<(zcat ...)` /dev/fd/N pipe, /dev/stdin, a character device) is
 * read sequentially from the open handle, never reopened or seeked, and has no `size`. Files on
 * procfs are regular with a stat size of 0: positioned reads work there and read until EOF.
 */
export async function openSource(path: string | undefined): Promise<ByteSource> {
  if (path === undefined || path === '-') return openStdin();
  let fh: fsp.FileHandle;
  let size: number;
  let regular: boolean;
  try {
    fh = await fsp.open(path, 'r');
    const st = await fh.stat();
    if (st.isDirectory()) {
      await fh.close();
      throw new BootprofError('E_UNREADABLE', `${path}: is a directory`);
    }
    size = st.size;
    regular = st.isFile();
  } catch (err) {
    if (err instanceof BootprofError) throw err;
    throw fsError(err, path);
  }
  try {
    refuseOutputAsInput(path, fh.fd);
  } catch (err) {
    await fh.close();
    throw err;
  }
  if (!regular) return openSequential(path, fh);
  const magic = new Uint8Array(2);
  const { bytesRead } = await fh.read(magic, 0, 2, 0).catch((err: unknown) => {
    throw fsError(err, path);
  });
  if (isGzip(magic.subarray(0, bytesRead))) {
    await fh.close();
    // Small reads keep the byte range named in a corrupt-data message short.
    return new GzipSource(path, createReadStream(path, { highWaterMark: GZIP_READ }), size, null);
  }
  return new FileSource(path, fh, size);
}

/**
 * A file that cannot seek (pipe, FIFO, character device): the first bytes are read in order to sniff
 * gzip and handed back in front of the rest of the stream over the same handle.
 */
async function openSequential(path: string, fh: fsp.FileHandle): Promise<ByteSource> {
  const first = Buffer.alloc(GZIP_READ);
  let got = 0;
  try {
    while (got < 2) {
      const { bytesRead } = await fh.read(first, got, first.length - got, null);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
  } catch (err) {
    await fh.close();
    throw fsError(err, path);
  }
  const head = first.subarray(0, got);
  if (isGzip(head)) {
    return new GzipSource(path, fh.createReadStream({ highWaterMark: GZIP_READ }), undefined, head);
  }
  return new SequentialSource(path, fh, Buffer.from(head));
}

async function openStdin(): Promise<ByteSource> {
  refuseOutputAsInput('stdin', 0);
  const stdin = process.stdin;
  // Read the first bytes to sniff gzip, then hand them back in front of the rest.
  const first = await new Promise<Buffer | null>((resolve, reject) => {
    const onReadable = (): void => {
      const c = stdin.read() as Buffer | null;
      if (c) {
        cleanup();
        resolve(c);
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve(null);
    };
    const onError = (err: unknown): void => {
      cleanup();
      reject(fsError(err, 'stdin'));
    };
    const cleanup = (): void => {
      stdin.off('readable', onReadable);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
    };
    stdin.on('readable', onReadable);
    stdin.on('end', onEnd);
    stdin.on('error', onError);
  });
  // Ended before a byte: stdin's 'end' has fired, so a StreamSource would wait for it forever (the
  // process then exits 0 with no output); hand back an empty source instead.
  if (first === null) return memorySource(new Uint8Array(0), 'stdin');
  if (isGzip(first)) return new GzipSource('stdin', stdin, undefined, first);
  return new StreamSource('stdin', stdin, undefined, false, first);
}

/** A source over bytes in memory (tests, fuzzing); `step` caps each read to force chunk seams. */
export function memorySource(bytes: Uint8Array, name = 'memory'): ByteSource {
  let pos = 0;
  return {
    name,
    size: bytes.length,
    gzip: false,
    async read(buf, off, len) {
      const n = Math.min(len, bytes.length - pos);
      buf.set(bytes.subarray(pos, pos + n), off);
      pos += n;
      return n;
    },
    async close() {},
  };
}

/** `src` with its reads done by `read` (which may call src.read); name, size, close and cut() forwarded. */
export function withRead(src: ByteSource, read: ByteSource['read']): ByteSource {
  return { name: src.name, size: src.size, gzip: src.gzip, read, close: () => src.close(), cut: () => src.cut?.() ?? null };
}

/**
 * `src` with short reads gathered: a live producer (QEMU writing its log into a FIFO a few KiB at a
 * time) would otherwise hand the pipeline one tiny chunk per write, each paying a whole chunk's fixed
 * cost. A read returns once it has `min` bytes (or `len`), or `waitMs` after its first byte, or at
 * the end of the data; after a short read it waits 2 ms for the pipe to fill.
 */
export function coalesced(src: ByteSource, min = 256 << 10, waitMs = 20): ByteSource {
  return withRead(src, async (buf, off, len) => {
    const want = Math.min(len, min);
    let got = 0;
    let first = 0;
    while (got < want) {
      const n = await src.read(buf, off + got, len - got);
      if (n === 0) break;
      if (got === 0) first = Date.now();
      got += n;
      if (Date.now() - first >= waitMs) break;
      // a read well under a pipe's 64 KiB: the writer is slower than we are; let the pipe fill
      // (each read costs the main thread ~0.1 ms; a writer a few KiB at a time would otherwise
      // keep it busy reading)
      if (n < 16 << 10) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return got;
  });
}

/** Reads up to `n` bytes from the front of `src` and returns them with a source that replays them first. */
export async function peekSource(src: ByteSource, n: number): Promise<{ head: Uint8Array; source: ByteSource }> {
  const head = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await src.read(head, got, n - got);
    if (r === 0) break;
    got += r;
  }
  const bytes = head.subarray(0, got);
  let pos = 0;
  const source = withRead(src, async (buf, off, len) => {
    if (pos < bytes.length) {
      const k = Math.min(len, bytes.length - pos);
      buf.set(bytes.subarray(pos, pos + k), off);
      pos += k;
      return k;
    }
    return src.read(buf, off, len);
  });
  return { head: bytes, source };
}
