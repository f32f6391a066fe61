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

/** A segment held in memory: one buffer that grows by doubling; reads are views into it. */
export class MemorySegment implements Segment {
  readonly start: number;
  size = 0;
  flushedSize = 0;
  lastModified: number;
  firstAppendTime: number | undefined;
  private buffer = new Uint8Array(0);

  constructor(start: number, now: number) {
    this.start = start;
    this.lastModified = now;
  }

  append(bytes: Uint8Array, now: number): void {
    const needed = this.size + bytes.length;
    if (needed > this.buffer.length) {
      // Views handed out keep the old buffer alive; its bytes never change, so they stay valid.
      const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2, 64 * 1024));
      grown.set(this.buffer.subarray(0, this.size));
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.size);
    this.size = needed;
    this.lastModified = now;
    this.firstAppendTime ??= now;
  }

  flush(): void {
    this.flushedSize = this.size;
  }

  read(position: number, length: number): Uint8Array {
    return this.buffer.subarray(position, position + length);
  }

  close(): void {
    this.buffer = new Uint8Array(0);
  }
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
