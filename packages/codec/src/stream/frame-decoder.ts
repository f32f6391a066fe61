import { FrameTooLargeError, MalformedError, type K07Error } from "../errors.ts";
import { hookOption } from "../hooks.ts";
import { allocate, type Allocator } from "../primitives/allocate.ts";
import { concatBytes } from "../primitives/bytes.ts";
import { SizePrefixSplitter } from "./size-prefix.ts";

const EMPTY = new Uint8Array(0);

/** The broker's default `max.socket.request.bytes`, used as the default frame limit. */
export const DEFAULT_MAX_FRAME_BYTES = 104_857_600;

/** Size of the buffer `readBuffer` offers between frames (a socket read's usual size). */
const SCRATCH_BYTES = 64 * 1024;
/** Default `eagerFrameBytes`. */
export const DEFAULT_EAGER_FRAME_BYTES = 4 * 1024 * 1024;

export interface FrameDecoderOptions {
  /** Largest frame (size prefix value) accepted. Default 104857600. */
  readonly maxFrameBytes?: number;
  /**
   * With `readBuffer`: a frame up to this size gets its buffer as soon as its size prefix arrives,
   * so the rest of it is read straight into place; a larger one only once half of it has arrived
   * (until then its reads are kept as they came, a small one copied out of the 64 KiB buffer it went
   * into, and copied into the frame's buffer when that is made). So a peer that announces a large
   * frame and stalls holds at most this much, or about twice what it sent. Default 4 MiB.
   */
  readonly eagerFrameBytes?: number;
  /**
   * Supplies the buffers frames that span chunks are assembled into (filled completely before they
   * are returned), and in read-in-place mode the 64 KiB buffers read into between frames and the
   * copies of small reads into a frame too large to allocate yet (only the bytes read are used).
   * Default: zero-filled ones.
   */
  readonly allocate?: Allocator;
}

/**
 * Splits a byte stream into frames (`size:int32` then `size` bytes), as in tokio-util's codec:
 * `push` chunks of any size, then call `next` until it returns undefined ("need more bytes").
 *
 * A frame that lies inside one chunk is returned as a `subarray` of it (no copy). A frame that
 * spans pushed chunks is assembled into one buffer of exactly its size (one copy), allocated only once all
 * of its bytes have arrived: a peer that announces a large frame and stalls holds no more memory
 * than it sent. A size prefix that is
 * not positive or is above the limit is refused before any of its bytes are buffered; the decoder
 * then stays failed, since the stream cannot be resynchronised. Frames before the bad prefix are
 * still returned first.
 *
 * Chunks are kept by reference: the caller must not reuse a pushed chunk's memory.
 *
 * A transport that can read into a buffer it is given (Node's `onread`) can skip the chunks: ask
 * `readBuffer()` where the next bytes go, read into it, then `commitRead(n)` and call `next` as
 * usual. Between frames that is a 64 KiB buffer: frames that lie within one read are returned as
 * views of it (a new one is then made for the next read, as a socket does per chunk), and the start
 * of a longer frame is copied once, into that frame's own buffer. Inside a frame whose buffer
 * exists, it is the rest of that frame, so its bytes land where they stay, with no chunk allocated
 * and no copy (see `eagerFrameBytes` for when that buffer is made).
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
  private readonly eagerFrameBytes: number;
  /** The partial frame's own buffer, once made: reads go straight into it (see `readBuffer`). */
  private partialTarget: Uint8Array | undefined;
  private scratch: Uint8Array | undefined;
  /** A frame returned is a view of the scratch buffer: the next read needs a new one. */
  private scratchViewed = false;
  /** What the last `readBuffer` returned, so that `commitRead` knows where the bytes went. */
  private lent: Uint8Array | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isSafeInteger(max) || max < 1 || max > 0x7fff_ffff) {
      throw new RangeError(`maxFrameBytes must be an integer in [1, 2147483647], got ${String(max)}`);
    }
    this.maxFrameBytes = max;
    const eager = options.eagerFrameBytes ?? DEFAULT_EAGER_FRAME_BYTES;
    if (!Number.isSafeInteger(eager) || eager < 0) throw new RangeError(`eagerFrameBytes must be a non-negative integer, got ${String(eager)}`);
    this.eagerFrameBytes = eager;
    this.allocate = hookOption("allocate", options.allocate, allocate);
  }

  /**
   * Where the next bytes read from the stream should go; after reading `n` bytes into its start,
   * call `commitRead(n)`. Call it when `next` has returned undefined (everything given so far is
   * consumed): then, inside a frame whose buffer exists, it is the rest of that frame. The buffer
   * is only valid until the next `readBuffer`, `push` or `commitRead`.
   */
  readBuffer(): Uint8Array {
    const size = this.partialSize;
    // Only when every byte given so far is consumed and the frame still needs some: else the next
    // bytes are not this frame's, and go through the scratch buffer like any chunk.
    if (size >= 0 && this.partialFill < size && this.failure === undefined && this.currentChunk() === undefined) {
      if (this.partialTarget === undefined && (size <= this.eagerFrameBytes || size <= 2 * this.partialFill)) this.makePartialTarget();
      if (this.partialTarget !== undefined) {
        this.lent = this.partialTarget.subarray(this.partialFill);
        return this.lent;
      }
      // A frame too large to allocate yet goes through the scratch buffer too: a buffer of a read's
      // size kept per read would hold 64 KiB for each read, however few bytes it brought.
    }
    this.releaseScratch();
    this.scratch ??= this.allocate(SCRATCH_BYTES);
    this.lent = this.scratch;
    return this.scratch;
  }

  /**
   * Before the scratch buffer is read into again, whatever still needs bytes of it keeps them: a
   * frame returned as a view of it, or bytes not consumed yet, make it theirs (a new scratch buffer
   * is made, as a socket allocates a chunk per read); the piece of a frame too large to allocate yet
   * is copied out if it is small (so that a trickle of small reads holds what it brought, not 64 KiB
   * each), else the scratch buffer becomes that piece's.
   */
  private releaseScratch(): void {
    const scratch = this.scratch;
    if (scratch === undefined) return;
    if (this.scratchViewed) {
      this.retireScratch();
      return;
    }
    for (let i = this.chunkIndex; i < this.chunks.length; i++) {
      if (this.chunks[i]!.buffer === scratch.buffer) return this.retireScratch();
    }
    const pieces = this.partialPieces;
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (piece.buffer !== scratch.buffer) continue;
      if (piece.length >= SCRATCH_BYTES / 2) return this.retireScratch();
      const copy = this.allocate(piece.length);
      copy.set(piece);
      pieces[i] = copy;
    }
  }

  private retireScratch(): void {
    this.scratch = undefined;
    this.scratchViewed = false;
  }

  /**
   * Records that `n` bytes were read into the start of the last `readBuffer()` (each buffer counts
   * once: a second `commitRead`, or one after `push`, needs a new `readBuffer`). Frames become
   * available through `next`.
   */
  commitRead(n: number): void {
    const lent = this.lent;
    if (!Number.isSafeInteger(n) || n < 0 || n > (lent ?? EMPTY).length) {
      throw new RangeError(`commitRead(n) needs n within the last readBuffer(), got ${String(n)}`);
    }
    this.lent = undefined;
    if (lent === undefined || this.failure !== undefined || n === 0) return;
    if (lent === this.scratch) {
      // Taken as a chunk, in place: releaseScratch sees to it before the buffer is read into again.
      this.chunks.push(lent.subarray(0, n));
    } else {
      this.partialFill += n;
      this.streamPosition += n;
    }
  }

  /** Gives the partial frame its buffer of exactly its size, with what was gathered of it so far. */
  private makePartialTarget(): void {
    const target = this.allocate(this.partialSize);
    let at = 0;
    for (const piece of this.partialPieces) {
      target.set(piece, at);
      at += piece.length;
    }
    this.partialPieces = [];
    this.partialTarget = target;
  }

  /** Adds received bytes. Frames become available through `next`. */
  push(chunk: Uint8Array): void {
    if (!(chunk instanceof Uint8Array)) throw new TypeError("FrameDecoder.push needs a Uint8Array");
    this.lent = undefined;
    if (this.failure !== undefined || chunk.length === 0) return;
    this.chunks.push(chunk);
  }

  /** The next complete frame (the bytes after its size prefix), or undefined when more bytes are needed. */
  next(): Uint8Array | undefined {
    if (this.failure !== undefined) throw this.failure;
    for (;;) {
      if (this.partialSize >= 0 && this.partialFill === this.partialSize) return this.assemblePartial();
      const chunk = this.currentChunk();
      if (chunk === undefined) return undefined;
      const position = this.chunkPosition;
      const available = chunk.length - position;
      if (this.partialSize >= 0) {
        const n = Math.min(this.partialSize - this.partialFill, available);
        const piece = chunk.subarray(position, position + n);
        if (this.partialTarget === undefined) this.partialPieces.push(piece);
        else this.partialTarget.set(piece, this.partialFill);
        this.partialFill += n;
        this.consume(n);
        continue;
      }
      this.consume(this.prefix.read(chunk, position) - position);
      const size = this.prefix.size;
      if (size === undefined) continue;
      this.checkSize(size);
      const body = this.currentChunk();
      if (body !== undefined && body.length - this.chunkPosition >= size) {
        const at = this.chunkPosition;
        this.consume(size);
        return this.handOut(body.subarray(at, at + size));
      }
      // The frame spans chunks: its bytes are gathered as views and copied once, when all have come.
      // Nothing of its announced size is allocated before its bytes arrive.
      this.partialSize = size;
    }
  }

  /** The gathered frame in one buffer of exactly its size (the single copy of a frame that spans chunks). */
  private assemblePartial(): Uint8Array {
    // (concatBytes returns a single piece as it is: then the frame may be a view of the scratch buffer.)
    const frame = this.partialTarget ?? this.handOut(concatBytes(this.partialPieces, this.allocate));
    this.partialTarget = undefined;
    this.partialSize = -1;
    this.partialPieces = [];
    this.partialFill = 0;
    return frame;
  }

  /** Returns `frame`, noting when it is a view of the scratch buffer (which must then never be read into again). */
  private handOut(frame: Uint8Array): Uint8Array {
    if (frame.buffer === this.scratch?.buffer) this.scratchViewed = true;
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
