import { SIZE_PREFIX } from "../protocol/frame.ts";

/**
 * Reads the int32 size prefix that starts every frame (and every part of a MultiFetch response)
 * from a byte stream that arrives in chunks of any size, so a prefix may be split across chunks.
 * The one piece of code that does this for FrameDecoder, the proxy and its multi-fetch meter.
 *
 * Call `read(chunk, position)` where a prefix starts (or continues); it returns the position after
 * the bytes it took, and `size` is then the prefix's value, or undefined when the chunk ended
 * before the prefix did (its bytes are kept: call `read` again with the next chunk). The value is
 * not checked: what a valid size is depends on the caller.
 */
export class SizePrefixSplitter {
  private readonly gathered = new Uint8Array(SIZE_PREFIX);
  private fill = 0;
  private value: number | undefined;

  /** The value of the prefix the last `read` completed, or undefined if it did not complete one. */
  get size(): number | undefined {
    return this.value;
  }

  /** Bytes of an unfinished prefix held from earlier chunks (0 to 3); 0 at a prefix boundary. */
  get buffered(): number {
    return this.fill;
  }

  /** Takes prefix bytes from `chunk` at `position`; returns the position after them (see the class). */
  read(chunk: Uint8Array, position: number): number {
    const available = chunk.length - position;
    if (this.fill === 0 && available >= SIZE_PREFIX) {
      // The usual case: the whole prefix in this chunk, read in place.
      this.value = (chunk[position]! << 24) | (chunk[position + 1]! << 16) | (chunk[position + 2]! << 8) | chunk[position + 3]!;
      return position + SIZE_PREFIX;
    }
    const n = Math.min(SIZE_PREFIX - this.fill, available);
    this.gathered.set(chunk.subarray(position, position + n), this.fill);
    this.fill += n;
    if (this.fill < SIZE_PREFIX) {
      this.value = undefined;
    } else {
      const g = this.gathered;
      this.value = (g[0]! << 24) | (g[1]! << 16) | (g[2]! << 8) | g[3]!;
      this.fill = 0;
    }
    return position + n;
  }
}

/** The 4-byte size prefix for a frame of `size` bytes (what follows the prefix). */
export function encodeSizePrefix(size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 0 || size > 0x7fff_ffff) {
    throw new RangeError(`a frame size must be an integer in [0, 2147483647], got ${String(size)}`);
  }
  const prefix = new Uint8Array(SIZE_PREFIX);
  new DataView(prefix.buffer).setInt32(0, size);
  return prefix;
}
