import { allocate } from "./allocate.ts";
import { INT32_MAX, INT32_MIN } from "./validate.ts";

/**
 * An append-only writer into a caller-owned buffer, in the style of franz-go's kbin.
 * Encoders compute the exact size first, so encoding a request allocates its output once.
 * Writing past the end is a programming error (the size was computed wrong) and throws RangeError.
 */
export class Writer {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  /** Next byte index to write. */
  position: number;

  constructor(bytes: Uint8Array, position = 0) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.position = position;
  }

  /** A writer over a fresh buffer of exactly `size` bytes. */
  static ofSize(size: number): Writer {
    return new Writer(allocate(size));
  }

  int8(value: number): this {
    this.view.setInt8(this.position, value);
    this.position += 1;
    return this;
  }

  int16(value: number): this {
    this.view.setInt16(this.position, value);
    this.position += 2;
    return this;
  }

  /** Throws RangeError for a value outside int32: DataView would silently wrap it (a size past 2 GiB would go out negative). */
  int32(value: number): this {
    if (value > INT32_MAX || value < INT32_MIN) throw new RangeError(`${value} does not fit an int32 field`);
    this.view.setInt32(this.position, value);
    this.position += 4;
    return this;
  }

  uint32(value: number): this {
    this.view.setUint32(this.position, value >>> 0);
    this.position += 4;
    return this;
  }

  /** A safe integer as a big-endian int64 (callers validate the range). */
  int64(value: number): this {
    // Split without BigInt: hi carries the sign, lo is the unsigned low word.
    const lo = value % 0x1_0000_0000;
    const hi = (value - lo) / 0x1_0000_0000;
    const loWord = lo < 0 ? lo + 0x1_0000_0000 : lo;
    const hiWord = lo < 0 ? hi - 1 : hi;
    this.view.setInt32(this.position, hiWord);
    this.view.setUint32(this.position + 4, loWord);
    this.position += 8;
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.bytes.set(bytes, this.position);
    this.position += bytes.length;
    return this;
  }

  /** A 0.7 "short string": int16 byte length, then the (already UTF-8 encoded) bytes. */
  shortString(encoded: Uint8Array): this {
    return this.int16(encoded.length).raw(encoded);
  }

  /** Asserts every byte of the buffer was written (catches size-computation bugs) and returns it. */
  finish(): Uint8Array {
    if (this.position !== this.bytes.length) {
      throw new RangeError(`encoder wrote ${this.position} bytes into a ${this.bytes.length}-byte buffer`);
    }
    return this.bytes;
  }
}
