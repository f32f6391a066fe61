import { MalformedError } from "../errors.ts";

const textDecoder = new TextDecoder("utf-8");

/**
 * A reader over a byte view with a sticky error, in the style of franz-go's kbin: a read past the
 * end (or of an impossible value) records the position and returns a zero value, every later read
 * is a no-op, and `check()` throws one MalformedError at the end. Decoders read all their fields
 * without a bounds test at each one.
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

  private take(n: number, what: string): number {
    const at = this.position;
    if (this.failure !== undefined) return -1;
    if (n > this.end - at) {
      this.fail(`truncated ${what}: needs ${n} bytes, ${this.end - at} left`, at);
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

  /** A view (no copy) of the next `n` bytes. */
  bytesView(n: number): Uint8Array {
    if (n < 0) {
      this.fail(`negative length ${n}`);
      return EMPTY;
    }
    const at = this.take(n, "bytes");
    return at < 0 ? EMPTY : this.bytes.subarray(at, at + n);
  }

  /** A 0.7 short string (int16 length, UTF-8 bytes). Length −1 (null) is refused: requests never use it. */
  shortString(): string {
    const lengthAt = this.position;
    const n = this.int16();
    if (n < 0) {
      this.fail(`string length ${n}`, lengthAt);
      return "";
    }
    const at = this.take(n, "string");
    return at < 0 ? "" : decodeUtf8(this.bytes, at, at + n);
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
