/**
 * Byte sources: a file, stdin, or either of them gzip-compressed (detected by the magic bytes
 * 1f 8b, never by the name). A source is pull-based: `read(buf, off, len)` fills at most `len`
 * bytes and returns how many, 0 at the end. The chunker (chunks.ts) owns the buffer.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { BootprofError, fsError } from './errors.js';
import { refuseOutputAsInput } from './outputs.js';

export interface ByteSource {
  /** Display name for messages: the path, or "stdin". */
  readonly name: string;
  /** Total bytes when known (a plain file), for progress; compressed sources report their on-disk size. */
  readonly size: number | undefined;
  readonly gzip: boolean;
  read(buf: Uint8Array, off: number, len: number): Promise<number>;
  close(): Promise<void>;
}

const GZIP_MAGIC0 = 0x1f;
const GZIP_MAGIC1 = 0x8b;

/** Adapts a Node Readable into a pull source, copying its chunks into the caller's buffer. */
class StreamSource implements ByteSource {
  private pending: Uint8Array | null = null;
  private pendingOff = 0;
  private ended = false;
  private error: unknown = null;
  private waiter: (() => void) | null = null;

  constructor(
    readonly name: string,
    private readonly stream: Readable,
    readonly size: number | undefined,
    readonly gzip: boolean,
    prefix: Uint8Array | null,
  ) {
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

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    if (w) w();
  }

  async read(buf: Uint8Array, off: number, len: number): Promise<number> {
    for (;;) {
      if (this.pending) {
        const n = Math.min(len, this.pending.length - this.pendingOff);
        buf.set(this.pending.subarray(this.pendingOff, this.pendingOff + n), off);
        this.pendingOff += n;
        if (this.pendingOff >= this.pending.length) {
          this.pending = null;
          this.pendingOff = 0;
        }
        return n;
      }
      if (this.error) throw fsError(this.error, this.name);
      const chunk = this.stream.read() as Buffer | null;
      if (chunk) {
        this.pending = chunk;
        this.pendingOff = 0;
        continue;
      }
      if (this.ended) return 0;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  async close(): Promise<void> {
    this.stream.destroy();
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

/** Opens `path` ('-' or undefined: stdin), sniffing gzip by magic bytes. */
export async function openSource(path: string | undefined): Promise<ByteSource> {
  if (path === undefined || path === '-') return openStdin();
  let fh: fsp.FileHandle;
  let size: number;
  try {
    fh = await fsp.open(path, 'r');
    const st = await fh.stat();
    if (st.isDirectory()) {
      await fh.close();
      throw new BootprofError('E_UNREADABLE', `${path}: is a directory`);
    }
    size = st.size;
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
  const magic = new Uint8Array(2);
  const { bytesRead } = await fh.read(magic, 0, 2, 0).catch((err: unknown) => {
    throw fsError(err, path);
  });
  if (bytesRead === 2 && magic[0] === GZIP_MAGIC0 && magic[1] === GZIP_MAGIC1) {
    await fh.close();
    const raw = createReadStream(path, { highWaterMark: 1 << 20 });
    const gunzip = createGunzip({ chunkSize: 1 << 18 });
    raw.on('error', (err) => gunzip.destroy(err));
    raw.pipe(gunzip);
    return new StreamSource(path, gunzip, size, true, null);
  }
  return new FileSource(path, fh, size);
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
  if (first.length >= 2 && first[0] === GZIP_MAGIC0 && first[1] === GZIP_MAGIC1) {
    const gunzip = createGunzip({ chunkSize: 1 << 18 });
    gunzip.write(first);
    stdin.pipe(gunzip);
    return new StreamSource('stdin', gunzip, undefined, true, null);
  }
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
  const source: ByteSource = {
    name: src.name,
    size: src.size,
    gzip: src.gzip,
    async read(buf, off, len) {
      if (pos < bytes.length) {
        const k = Math.min(len, bytes.length - pos);
        buf.set(bytes.subarray(pos, pos + k), off);
        pos += k;
        return k;
      }
      return src.read(buf, off, len);
    },
    close: () => src.close(),
  };
  return { head: bytes, source };
}
