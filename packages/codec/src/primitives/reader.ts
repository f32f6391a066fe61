import { MalformedError } from "../errors.ts";

const textDecoder = new TextDecoder("utf-8");

/**
 * A reader over a byte view with a sticky error, in the style of franz-go's kbin: a read past the
 * end (or of an impossible value) records the position and returns a zero value, every later read
 * is a no-op, and `check()` throws one MalformedError at the end. Decoders read all their fields
 * without a bounds test at each one.
 *
 * Decoders are `read…(reader)` functions over one reader that starts at the frame's first byte, so
 * the position of a failure is the position of the bad field in the frame, however deep it lies.
 * A field with a length prefix (a string, a sized byte run) fails at its length prefix.
 */
export class Reader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  /** Next byte index to read, relative to `bytes`. */
  position: number;
  readonly end: number;
  private failure: { position: number; reason: string } | undefined;

  constructor(bytes: Uint8Array, position = 0, end = bytes.length) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.position = position;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  get ok(): boolean {
    return this.failure === undefined;
  }

  /** Records the first failure; later reads return zero values. */
  fail(reason: string, position = this.position): void {
    if (this.failure === undefined) this.failure = { position, reason };
    this.position = this.end;
  }

  /** Advances over `n` bytes; returns where they start, or −1 on failure (reported at `fieldAt`). */
  private take(n: number, what: string, fieldAt = this.position): number {
    const at = this.position;
    if (this.failure !== undefined) return -1;
    if (n > this.end - at) {
      this.fail(`truncated ${what}: needs ${n} bytes, ${this.end - at} left`, fieldAt);
      return -1;
    }
    this.position = at + n;
    return at;
  }

  int8(): number {
    const at = this.take(1, "int8");
    return at < 0 ? 0 : this.view.getInt8(at);
  }

  int16(): number {
    const at = this.take(2, "int16");
    return at < 0 ? 0 : this.view.getInt16(at);
  }

  int32(): number {
    const at = this.take(4, "int32");
    return at < 0 ? 0 : this.view.getInt32(at);
  }

  uint32(): number {
    const at = this.take(4, "uint32");
    return at < 0 ? 0 : this.view.getUint32(at);
  }

  /** A big-endian int64 that must be a safe integer (0.7 offsets and times always are). */
  int64(): number {
    const at = this.take(8, "int64");
    if (at < 0) return 0;
    const hi = this.view.getInt32(at);
    const lo = this.view.getUint32(at + 4);
    // Safe integers are [−(2^53 − 1), 2^53 − 1]: hi may be −2^21 only when lo is non-zero.
    if (hi > 0x1f_ffff || hi < -0x20_0000 || (hi === -0x20_0000 && lo === 0)) {
      this.fail("int64 outside the safe integer range", at);
      return 0;
    }
    return hi * 0x1_0000_0000 + lo;
  }

  /**
   * A view (no copy) of the next `n` bytes. `lengthAt`, when the length was read from the frame,
   * is where: a failure is then reported there, at the field that announced the length.
   */
  bytesView(n: number, lengthAt = this.position): Uint8Array {
    if (n < 0) {
      this.fail(`negative length ${n}`, lengthAt);
      return EMPTY;
    }
    const at = this.take(n, "bytes", lengthAt);
    return at < 0 ? EMPTY : this.bytes.subarray(at, at + n);
  }

  /** An int32 length, then a view (no copy) of that many bytes: a message set inside a request. */
  sizedBytes(): Uint8Array {
    const lengthAt = this.position;
    return this.bytesView(this.int32(), lengthAt);
  }

  /** A view (no copy) of every byte left; the reader is then at its end. */
  rest(): Uint8Array {
    const at = this.take(this.remaining, "bytes");
    return at < 0 ? EMPTY : this.bytes.subarray(at, this.end);
  }

  /** A 0.7 short string (int16 length, UTF-8 bytes). Length −1 (null) is refused: requests never use it. */
  shortString(): string {
    const lengthAt = this.position;
    const n = this.int16();
    if (n < 0) {
      this.fail(`string length ${n}`, lengthAt);
      return "";
    }
    const at = this.take(n, "string", lengthAt);
    return at < 0 ? "" : decodeUtf8(this.bytes, at, at + n);
  }

  /**
   * Reads a count field (int16, or int32 when `width` is 4) of items that take at least
   * `minBytesEach` bytes each, and checks the count against what is left, so that a hostile count
   * is refused before anything is allocated for it. A failure (a zero count) is at the count field.
   */
  count(minBytesEach: number, what: string, width: 2 | 4 = 2): number {
    const at = this.position;
    const n = width === 2 ? this.int16() : this.int32();
    return this.expectItems(n, minBytesEach, what, at);
  }

  /**
   * The check of `count` for a count known from elsewhere (a MultiFetch response has none of its
   * own): `n` items of at least `minBytesEach` bytes must fit in what is left. Returns `n`, or 0
   * after recording a failure at `at`.
   */
  expectItems(n: number, minBytesEach: number, what: string, at = this.position): number {
    if (this.failure !== undefined) return 0;
    if (n < 0 || n * minBytesEach > this.remaining) {
      this.fail(`${what} count ${n} does not fit in ${this.remaining} bytes`, at);
      return 0;
    }
    return n;
  }

  /** Throws the recorded failure, if any, as a MalformedError that names `what` was being decoded. */
  check(what: string): void {
    if (this.failure !== undefined) {
      throw new MalformedError(`Malformed ${what}: ${this.failure.reason}`, this.failure.position);
    }
  }
}

const EMPTY = new Uint8Array(0);

/** Decodes ASCII without TextDecoder's per-call overhead; falls back to it for anything else. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 64) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (bytes[i]! > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  return textDecoder.decode(bytes.subarray(start, end));
}
