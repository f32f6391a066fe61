import { nodeAllocator } from "@k07/node-hooks";
import { indexHolding } from "./search.ts";
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from "node:fs";

/**
 * Bytes of a segment file handed to a fetch unread: the connection reads them a slice at a time as
 * it writes them, so serving a fetch holds one slice in memory whatever its size (0.7.2 uses sendfile).
 */
export interface FileRange {
  readonly length: number;
  /**
   * `length` bytes from `offset` within the range, in a fresh buffer. Throws when the file can no
   * longer give them all (its segment was deleted by retention, the file was cut short): never fewer
   * or other bytes.
   */
  read(offset: number, length: number): Uint8Array;
}

/** What a segment read gives: views of memory, or a range of a file to read when it is sent. */
export type LogPiece = Uint8Array | FileRange;

/**
 * One segment of a partition log: raw message-set bytes starting at log offset `start`. A segment
 * knows its size and how much of it is flushed (visible to fetches, protocol §7.1); it never parses.
 */
export interface Segment {
  /** Log offset of the segment's first byte (its file name on disk). */
  readonly start: number;
  /** Bytes appended. */
  readonly size: number;
  /** Bytes visible to readers. */
  readonly flushedSize: number;
  /** Last append (or load) time in epoch ms: what 0.7 reads as the file's last-modified time (protocol §6.4). */
  readonly lastModified: number;
  /** Time of the first append, for time-based rolling; undefined while empty. */
  readonly firstAppendTime: number | undefined;
  /**
   * Appends bytes. A memory segment may keep a large `bytes` by reference rather than copy it, so
   * the caller must not change them afterwards (received frames never are).
   */
  append(bytes: Uint8Array, now: number): void;
  /** Makes everything appended visible (and durable, for files). */
  flush(): void;
  /** `length` bytes from segment position `position`, as one or more pieces: in memory views, not copies; on disk a range read later. */
  read(position: number, length: number): LogPiece[];
  /** Releases resources; a file segment's file stays on disk unless `remove` is true. */
  close(remove?: boolean): void;
}

/** Appends at least this large are kept by reference; smaller ones are packed into chunks of the segment's own. */
const KEEP_BY_REFERENCE_BYTES = 4096;
/** Packing chunks double from 64 KiB up to 1 MiB. */
const FIRST_CHUNK_BYTES = 64 * 1024;
const MAX_CHUNK_BYTES = 1024 * 1024;

/**
 * A segment held in memory as a list of pieces. A large append (a produce of many messages) is
 * kept as it arrived, a view of the received frame: no copy, and no fresh memory to touch, which
 * on a virtual machine costs more than the copy. Small appends are packed into chunks, so a log of
 * single-message produces is not a million tiny pieces. A read returns views of the pieces it
 * covers, which the broker writes out as they are.
 */
export class MemorySegment implements Segment {
  readonly start: number;
  size = 0;
  flushedSize = 0;
  lastModified: number;
  firstAppendTime: number | undefined;
  private pieces: Uint8Array[] = [];
  /** Segment position of each piece's first byte. */
  private starts: number[] = [];
  /** The packing chunk the last piece views, while small appends go on filling it. */
  private chunk: Uint8Array | undefined;
  private chunkUsed = 0;
  private lastChunkSize = 0;

  constructor(start: number, now: number) {
    this.start = start;
    this.lastModified = now;
  }

  append(bytes: Uint8Array, now: number): void {
    if (bytes.length >= KEEP_BY_REFERENCE_BYTES) {
      this.chunk = undefined;
      this.pieces.push(bytes);
      this.starts.push(this.size);
    } else {
      let chunk = this.chunk;
      if (chunk === undefined || chunk.length - this.chunkUsed < bytes.length) {
        this.lastChunkSize = Math.min(MAX_CHUNK_BYTES, Math.max(FIRST_CHUNK_BYTES, this.lastChunkSize * 2));
        chunk = this.chunk = new Uint8Array(this.lastChunkSize);
        this.chunkUsed = 0;
        this.pieces.push(chunk.subarray(0, 0));
        this.starts.push(this.size);
      }
      chunk.set(bytes, this.chunkUsed);
      this.chunkUsed += bytes.length;
      this.pieces[this.pieces.length - 1] = chunk.subarray(0, this.chunkUsed);
    }
    this.size += bytes.length;
    this.lastModified = now;
    this.firstAppendTime ??= now;
  }

  flush(): void {
    this.flushedSize = this.size;
  }

  read(position: number, length: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const starts = this.starts;
    let i = indexHolding(starts.length, (k) => starts[k]!, position);
    let from = position - this.starts[i]!;
    for (let remaining = length; remaining > 0 && i < this.pieces.length; i++, from = 0) {
      const piece = this.pieces[i]!;
      const n = Math.min(piece.length - from, remaining);
      out.push(from === 0 && n === piece.length ? piece : piece.subarray(from, from + n));
      remaining -= n;
    }
    return out;
  }

  close(): void {
    this.pieces = [];
    this.starts = [];
    this.chunk = undefined;
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

  read(position: number, length: number): LogPiece[] {
    return [{ length, read: (offset, n) => this.readExactly(position + offset, n) }];
  }

  /** Exactly `length` bytes at `position`, or an Error saying why the file no longer holds them. */
  private readExactly(position: number, length: number): Uint8Array {
    // A closed segment's descriptor number may already belong to another file: never read through it.
    if (this.fd < 0)
      throw new Error(`segment ${this.path} was closed (deleted by retention, or the broker is closing) while its bytes were being sent`);
    const bytes = this.readBytes(position, length);
    if (bytes.length < length) throw new Error(`segment ${this.path} was cut short: ${bytes.length} of ${length} bytes at position ${position}`);
    return bytes;
  }

  /**
   * `length` bytes from the file (fewer at its end), in one fresh buffer. The buffer is not
   * zero-filled first (a fetch's megabyte of memset is wasted work): only the bytes read are in the view returned.
   */
  readBytes(position: number, length: number): Uint8Array {
    const bytes = nodeAllocator(length);
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
