import { decodeUtf8 } from "../primitives/reader.ts";

/**
 * A message read from a fetch response: a view into the received bytes, never a copy.
 * `offset` is where its entry starts in the partition log (for messages inside a compressed
 * wrapper, the wrapper's start); `nextOffset` is the offset to fetch or commit after handing this
 * message out (protocol §6.2: inside a wrapper, every message but the last reports the wrapper's start).
 *
 * It holds only positions in `source`: the payload view is made when `payload` is first read, and
 * `payloadLength`, `text()` and `crc` read `source` directly, so a consumer that needs no view
 * allocates none.
 */
export class FetchedMessage {
  /** The bytes this message is a view of (the received frame, or a decompressed wrapper payload). */
  readonly source: Uint8Array;
  readonly offset: number;
  readonly nextOffset: number;
  readonly magic: 0 | 1;
  /** Magic-1 attributes byte (0 for magic 0). */
  readonly attributes: number;
  private readonly payloadStart: number;
  private readonly payloadEnd: number;
  private payloadView: Uint8Array | undefined;

  /** @internal Made by the decoder: the payload is `source[payloadStart .. payloadEnd)`, its stored CRC the 4 bytes before. */
  constructor(
    source: Uint8Array,
    offset: number,
    nextOffset: number,
    magic: 0 | 1,
    attributes: number,
    payloadStart: number,
    payloadEnd: number,
    /** The payload view, when the decoder already made one (to check the CRC with a caller's function). */
    payload: Uint8Array | undefined,
  ) {
    this.source = source;
    this.offset = offset;
    this.nextOffset = nextOffset;
    this.magic = magic;
    this.attributes = attributes;
    this.payloadStart = payloadStart;
    this.payloadEnd = payloadEnd;
    this.payloadView = payload;
  }

  /** Compression codec of this message (0 none, 1 gzip, 2 snappy); inner messages of a wrapper are 0. */
  get compression(): number {
    return this.attributes & 3;
  }

  /** The CRC32 stored in the message (unsigned), read from `source`. */
  get crc(): number {
    const bytes = this.source;
    const at = this.payloadStart - 4;
    return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  }

  /** The payload: a `subarray` of `source`, made on first use (shares its buffer; copy it to keep it beyond the source's life). */
  get payload(): Uint8Array {
    return (this.payloadView ??= this.source.subarray(this.payloadStart, this.payloadEnd));
  }

  /** The payload's size in bytes, without making a view. */
  get payloadLength(): number {
    return this.payloadEnd - this.payloadStart;
  }

  /** The payload decoded as UTF-8. */
  text(): string {
    return decodeUtf8(this.source, this.payloadStart, this.payloadEnd);
  }
}
