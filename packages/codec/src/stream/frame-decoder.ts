import { FrameTooLargeError, MalformedError, type K07Error } from "../errors.ts";
import { hookOption } from "../hooks.ts";
import { allocate, type Allocator } from "../primitives/allocate.ts";
import { concatBytes } from "../primitives/bytes.ts";
import { SizePrefixSplitter } from "./size-prefix.ts";

/** The broker's default `max.socket.request.bytes`, used as the default frame limit. */
export const DEFAULT_MAX_FRAME_BYTES = 104_857_600;

export interface FrameDecoderOptions {
  /** Largest frame (size prefix value) accepted. Default 104857600. */
  readonly maxFrameBytes?: number;
  /** Supplies the buffers frames that span chunks are assembled into (filled completely). Default: zero-filled ones. */
  readonly allocate?: Allocator;
}

/**
 * Splits a byte stream into frames (`size:int32` then `size` bytes), as in tokio-util's codec:
 * `push` chunks of any size, then call `next` until it returns undefined ("need more bytes").
 *
 * A frame that lies inside one chunk is returned as a `subarray` of it (no copy). A frame that
 * spans chunks is assembled into one buffer of exactly its size (one copy), allocated only once all
 * of its bytes have arrived: a peer that announces a large frame and stalls holds no more memory
 * than it sent. A size prefix that is
 * not positive or is above the limit is refused before any of its bytes are buffered; the decoder
 * then stays failed, since the stream cannot be resynchronised. Frames before the bad prefix are
 * still returned first.
 *
 * Chunks are kept by reference: the caller must not reuse a pushed chunk's memory.
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  private readonly chunks: Uint8Array[] = [];
  private chunkIndex = 0;
  private chunkPosition = 0;
  private readonly prefix = new SizePrefixSplitter();
  /** Size of the frame being gathered across chunks, or −1 when none is. */
  private partialSize = -1;
  /** Views of its bytes received so far: it is copied once, when complete, into a buffer of its size. */
  private partialPieces: Uint8Array[] = [];
  private partialFill = 0;
  private failure: K07Error | undefined;
  private readonly allocate: Allocator;
  /** Stream position of the next unread byte, for error messages. */
  private streamPosition = 0;

  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isSafeInteger(max) || max < 1 || max > 0x7fff_ffff) {
      throw new RangeError(`maxFrameBytes must be an integer in [1, 2147483647], got ${String(max)}`);
    }
    this.maxFrameBytes = max;
    this.allocate = hookOption("allocate", options.allocate, allocate);
  }

  /** Adds received bytes. Frames become available through `next`. */
  push(chunk: Uint8Array): void {
    if (!(chunk instanceof Uint8Array)) throw new TypeError("FrameDecoder.push needs a Uint8Array");
    if (this.failure !== undefined || chunk.length === 0) return;
    this.chunks.push(chunk);
  }

  /** The next complete frame (the bytes after its size prefix), or undefined when more bytes are needed. */
  next(): Uint8Array | undefined {
    if (this.failure !== undefined) throw this.failure;
    for (;;) {
      const chunk = this.currentChunk();
      if (chunk === undefined) return undefined;
      const position = this.chunkPosition;
      const available = chunk.length - position;
      if (this.partialSize >= 0) {
        const n = Math.min(this.partialSize - this.partialFill, available);
        this.partialPieces.push(chunk.subarray(position, position + n));
        this.partialFill += n;
        this.consume(n);
        if (this.partialFill < this.partialSize) continue;
        return this.assemblePartial();
      }
      this.consume(this.prefix.read(chunk, position) - position);
      const size = this.prefix.size;
      if (size === undefined) continue;
      this.checkSize(size);
      const body = this.currentChunk();
      if (body !== undefined && body.length - this.chunkPosition >= size) {
        const at = this.chunkPosition;
        this.consume(size);
        return body.subarray(at, at + size);
      }
      // The frame spans chunks: its bytes are gathered as views and copied once, when all have come.
      // Nothing of its announced size is allocated before its bytes arrive.
      this.partialSize = size;
    }
  }

  /** The gathered frame in one buffer of exactly its size (the single copy of a frame that spans chunks). */
  private assemblePartial(): Uint8Array {
    const frame = concatBytes(this.partialPieces, this.allocate);
    this.partialSize = -1;
    this.partialPieces = [];
    this.partialFill = 0;
    return frame;
  }

  private currentChunk(): Uint8Array | undefined {
    while (this.chunkIndex < this.chunks.length) {
      const chunk = this.chunks[this.chunkIndex]!;
      if (this.chunkPosition < chunk.length) return chunk;
      this.advanceChunk();
    }
    return undefined;
  }

  /** Bytes received but not yet returned as frames (including a partly assembled frame). */
  get bufferedBytes(): number {
    // A partly assembled frame counts its (already consumed) 4-byte size prefix too.
    let n = this.prefix.buffered + (this.partialSize >= 0 ? 4 + this.partialFill : 0);
    for (let i = this.chunkIndex; i < this.chunks.length; i++) n += this.chunks[i]!.length;
    return n - this.chunkPosition;
  }

  /** True when no partial frame is pending: the stream is at a frame boundary. */
  get atBoundary(): boolean {
    return this.prefix.buffered === 0 && this.partialSize < 0 && this.bufferedBytes === 0;
  }

  private checkSize(size: number): void {
    if (size <= 0) {
      this.failure = new MalformedError(`Frame size prefix ${size} is not positive`, this.streamPosition - 4);
    } else if (size > this.maxFrameBytes) {
      this.failure = new FrameTooLargeError(size, this.maxFrameBytes);
    } else {
      return;
    }
    this.chunks.length = 0;
    this.chunkIndex = 0;
    this.chunkPosition = 0;
    throw this.failure;
  }

  private consume(n: number): void {
    this.chunkPosition += n;
    this.streamPosition += n;
  }

  private advanceChunk(): void {
    this.chunkIndex++;
    this.chunkPosition = 0;
    if (this.chunkIndex === this.chunks.length) {
      this.chunks.length = 0;
      this.chunkIndex = 0;
    }
  }
}
