import { Buffer } from "node:buffer";
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";

/**
 * One segment of a partition log: raw message-set bytes starting at log offset `start`. A segment
 * knows its size and how much of it is flushed (visible to fetches, spec §7.1); it never parses.
 */
export interface Segment {
  /** Log offset of the segment's first byte (its file name on disk). */
  readonly start: number;
  /** Bytes appended. */
  readonly size: number;
  /** Bytes visible to readers. */
  readonly flushedSize: number;
  /** Last append (or load) time in epoch ms: what 0.7 reads as the file's last-modified time (spec §6.4). */
  readonly lastModified: number;
  /** Time of the first append, for time-based rolling; undefined while empty. */
  readonly firstAppendTime: number | undefined;
  append(bytes: Uint8Array, now: number): void;
  /** Makes everything appended visible (and durable, for files). */
  flush(): void;
  /** `length` bytes from segment position `position`. In memory this is a view, not a copy. */
  read(position: number, length: number): Uint8Array;
  /** Releases resources; a file segment's file stays on disk unless `remove` is true. */
  close(remove?: boolean): void;
}

/** Chunk sizes: the first is small (many logs hold little), each next one doubles, up to 16 MiB. */
const FIRST_CHUNK_BYTES = 64 * 1024;
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

/**
 * A segment held in memory, in chunks that double from 64 KiB up to 16 MiB (an append larger than
 * a chunk gets one of its own size). An append is never split, bytes are written once and never moved, and a read inside one
 * chunk is a view, not a copy; only a read across a chunk boundary is copied.
 */
export class MemorySegment implements Segment {
  readonly start: number;
  size = 0;
  flushedSize = 0;
  lastModified: number;
  firstAppendTime: number | undefined;
  /** Chunks in order; `starts[i]` is the segment position of `chunks[i]`'s first byte, `used[i]` its filled length. */
  private chunks: Uint8Array[] = [];
  private starts: number[] = [];
  private used: number[] = [];

  constructor(start: number, now: number) {
    this.start = start;
    this.lastModified = now;
  }

  append(bytes: Uint8Array, now: number): void {
    const last = this.chunks.length - 1;
    if (last < 0 || this.chunks[last]!.length - this.used[last]! < bytes.length) {
      // Uninitialised memory is fine: every byte handed out is written first.
      const next = last < 0 ? FIRST_CHUNK_BYTES : Math.min(MAX_CHUNK_BYTES, this.chunks[last]!.length * 2);
      const chunk = allocateChunk(Math.max(next, bytes.length));
      this.chunks.push(chunk);
      this.starts.push(this.size);
      this.used.push(0);
    }
    const i = this.chunks.length - 1;
    this.chunks[i]!.set(bytes, this.used[i]!);
    this.used[i]! += bytes.length;
    this.size += bytes.length;
    this.lastModified = now;
    this.firstAppendTime ??= now;
  }

  flush(): void {
    this.flushedSize = this.size;
  }

  read(position: number, length: number): Uint8Array {
    let i = this.chunkAt(position);
    const offset = position - this.starts[i]!;
    if (offset + length <= this.used[i]!) return this.chunks[i]!.subarray(offset, offset + length);
    const out = new Uint8Array(length);
    let done = 0;
    for (let from = offset; done < length; i++, from = 0) {
      const n = Math.min(this.used[i]! - from, length - done);
      out.set(this.chunks[i]!.subarray(from, from + n), done);
      done += n;
    }
    return out;
  }

  private chunkAt(position: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.starts[mid]! <= position) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  close(): void {
    this.chunks = [];
    this.starts = [];
    this.used = [];
  }
}

function allocateChunk(size: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(size);
  // A plain Uint8Array view: subarray on it is cheaper than on a Buffer, and readers see plain views.
  return new Uint8Array(buffer.buffer, buffer.byteOffset, size);
}

/** A segment stored as a 0.7 log file (`<20-digit start>.kafka`), appended with positional writes. */
export class FileSegment implements Segment {
  readonly start: number;
  readonly path: string;
  size: number;
  flushedSize: number;
  lastModified: number;
  firstAppendTime: number | undefined;
  private fd: number;
  private readonly fsync: boolean;
  private readonly unlink: (path: string) => void;

  /** Opens (creating if absent) the file; `size` is how much of it is valid (recovery may have cut it). */
  constructor(path: string, start: number, options: { fsync: boolean; unlink: (path: string) => void; now: number }) {
    this.path = path;
    this.start = start;
    this.fd = openSync(path, "a+");
    const stat = fstatSync(this.fd);
    this.size = stat.size;
    this.flushedSize = stat.size;
    this.lastModified = stat.size > 0 ? stat.mtimeMs : options.now;
    this.firstAppendTime = stat.size > 0 ? stat.mtimeMs : undefined;
    this.fsync = options.fsync;
    this.unlink = options.unlink;
  }

  append(bytes: Uint8Array, now: number): void {
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written, this.size + written);
    this.size += bytes.length;
    this.lastModified = now;
    this.firstAppendTime ??= now;
  }

  flush(): void {
    if (this.fsync && this.flushedSize !== this.size) fsyncSync(this.fd);
    this.flushedSize = this.size;
  }

  read(position: number, length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, bytes, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? bytes : bytes.subarray(0, done);
  }

  close(remove = false): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
    if (remove) this.unlink(this.path);
  }
}

/** A segment's file name: its start offset as 20 digits (0.7's `%020d.kafka`). */
export function segmentFileName(start: number): string {
  return `${String(start).padStart(20, "0")}.kafka`;
}

/** The start offset a segment file name encodes, or undefined for other files. */
export function parseSegmentFileName(name: string): number | undefined {
  const match = /^(\d{20})\.kafka$/.exec(name);
  if (match === null) return undefined;
  const start = Number(match[1]);
  return Number.isSafeInteger(start) ? start : undefined;
}
