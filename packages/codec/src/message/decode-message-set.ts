import { crc32 } from "../crc32.ts";
import { Compression, compressionCodec } from "../compression.ts";
import { CompressionError, CrcError, DecompressionLimitError, K07Error, MalformedError, type ErrorContext } from "../errors.ts";
import { FetchedMessage } from "./fetched-message.ts";

/** Default cap on the bytes one compressed wrapper may inflate to. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export interface DecodeMessageSetOptions {
  /** Log offset of the first byte (the fetch offset). Default 0. */
  readonly baseOffset?: number;
  /** Check every message's CRC32 while iterating. Default true. */
  readonly verifyCrc?: boolean;
  /** What a CRC mismatch does: throw a CrcError (default) or skip the message and count it in `corruptSkipped`. */
  readonly onCorrupt?: "throw" | "skip";
  /** Iterate into compressed wrappers (default true); false yields the wrappers themselves. */
  readonly decompress?: boolean;
  /** Cap on what one wrapper may decompress to. Default 64 MiB. */
  readonly maxDecompressedBytes?: number;
  /** Topic and partition, named in errors. */
  readonly context?: ErrorContext;
}

/**
 * A received message set, decoded lazily. Construction scans only the entry lengths (to learn
 * `validBytes` and how the set ends); iterating decodes each message as a view, checks its CRC and
 * expands compressed wrappers (protocol §5, §6.2, §7.1).
 */
export class MessageSetView implements Iterable<FetchedMessage> {
  readonly bytes: Uint8Array;
  readonly baseOffset: number;
  /** Size of the complete top-level entries at the start: how far a consumer advances (protocol §6.2). */
  readonly validBytes: number;
  /** Number of complete top-level entries (a compressed wrapper counts once). */
  readonly entryCount: number;
  /**
   * When the bytes hold no complete entry but are not empty: the fetch size the first entry needs
   * (its length + 4), or 4 when not even its length arrived. The client grows its fetch size to this.
   * 0 otherwise.
   */
  readonly requiredBytes: number;
  /** Set when the entry at `validBytes` has an impossible length; iteration throws it after the entries before it. */
  readonly malformed: MalformedError | undefined;
  /** Messages skipped for a bad CRC so far (only with `onCorrupt: "skip"`). */
  corruptSkipped = 0;
  /** @internal */ readonly options: Required<Omit<DecodeMessageSetOptions, "context">> & { context: ErrorContext | undefined };
  /** @internal */ readonly lastEntryStart: number;

  constructor(bytes: Uint8Array, options: DecodeMessageSetOptions = {}) {
    // A Node Buffer's subarray goes through its species constructor (about a third slower per view):
    // view the same memory as a plain Uint8Array instead. No bytes are copied.
    if (bytes.constructor !== Uint8Array && bytes instanceof Uint8Array) {
      bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    this.bytes = bytes;
    this.baseOffset = options.baseOffset ?? 0;
    this.options = {
      baseOffset: this.baseOffset,
      verifyCrc: options.verifyCrc ?? true,
      onCorrupt: options.onCorrupt ?? "throw",
      decompress: options.decompress ?? true,
      maxDecompressedBytes: options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
      context: options.context,
    };
    const length = bytes.length;
    const view = new DataView(bytes.buffer, bytes.byteOffset, length);
    let position = 0;
    let count = 0;
    let lastStart = -1;
    let malformed: MalformedError | undefined;
    while (length - position >= 4) {
      const size = view.getInt32(position);
      if (size < 5) {
        malformed = new MalformedError(`Impossible message length ${size}`, position, {
          ...options.context,
          offset: this.baseOffset + position,
        });
        break;
      }
      if (size > length - position - 4) break;
      lastStart = position;
      position += 4 + size;
      count++;
    }
    this.validBytes = position;
    this.entryCount = count;
    this.lastEntryStart = lastStart;
    this.malformed = malformed;
    this.requiredBytes =
      count === 0 && malformed === undefined && length > 0
        ? length >= 4
          ? 4 + view.getInt32(0)
          : 4
        : 0;
  }

  /** Offset to fetch next: `baseOffset + validBytes`. */
  get nextOffset(): number {
    return this.baseOffset + this.validBytes;
  }

  /** Bytes after the complete entries (a truncated tail), ignored. */
  get truncatedBytes(): number {
    return this.bytes.length - this.validBytes;
  }

  [Symbol.iterator](): MessageSetIterator {
    return new MessageSetIterator(this, this.baseOffset, -1, -1);
  }

  /** Every message as an array (deep iteration). */
  toArray(): FetchedMessage[] {
    return Array.from(this);
  }
}

/** Decodes a message set lazily (see MessageSetView). */
export function decodeMessageSet(bytes: Uint8Array, options?: DecodeMessageSetOptions): MessageSetView {
  return new MessageSetView(bytes, options);
}

/**
 * Walks the entries of a MessageSetView. For the inner set of a wrapper, `wrapperStart`/`wrapperEnd`
 * are the wrapper's log offsets, which inner messages report instead of their own (protocol §6.2).
 */
export class MessageSetIterator implements Iterator<FetchedMessage> {
  private position = 0;
  private inner: MessageSetIterator | undefined;
  private readonly view: DataView;
  private readonly set: MessageSetView;
  private readonly logBase: number;
  private readonly wrapperStart: number;
  private readonly wrapperEnd: number;

  /** Where messages skipped for a bad CRC are counted: the top-level set. */
  private readonly counter: MessageSetView;

  constructor(set: MessageSetView, logBase: number, wrapperStart: number, wrapperEnd: number, counter = set) {
    this.set = set;
    this.counter = counter;
    this.logBase = logBase;
    this.wrapperStart = wrapperStart;
    this.wrapperEnd = wrapperEnd;
    const bytes = set.bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<FetchedMessage> {
    for (;;) {
      if (this.inner !== undefined) {
        const r = this.inner.next();
        if (!r.done) return r;
        this.inner = undefined;
      }
      const message = this.readEntry();
      if (message === undefined) return { done: true, value: undefined };
      if (message !== null) return { done: false, value: message };
      // null: skipped (corrupt) or expanded into this.inner; loop.
    }
  }

  /** The next top-level message, null when it was skipped or became `inner`, undefined at the end. */
  private readEntry(): FetchedMessage | null | undefined {
    const set = this.set;
    const start = this.position;
    if (start >= set.validBytes) {
      if (set.malformed !== undefined) {
        this.position = Number.POSITIVE_INFINITY;
        throw set.malformed;
      }
      return undefined;
    }
    const view = this.view;
    const size = view.getInt32(start);
    const end = start + 4 + size;
    this.position = end;
    const magic = view.getInt8(start + 4);
    let attributes = 0;
    let payloadStart: number;
    if (magic === 1) {
      if (size < 6) throw this.malformed(`Magic-1 message too short (${size} bytes)`, start);
      attributes = view.getInt8(start + 5) & 0xff;
      payloadStart = start + 10;
    } else if (magic === 0) {
      payloadStart = start + 9;
    } else {
      throw this.malformed(`Unknown magic byte ${magic}`, start + 4);
    }
    const storedCrc = view.getUint32(payloadStart - 4);
    const options = set.options;
    const bytes = set.bytes;
    // The view the CRC is computed over becomes the message's payload: one view per message.
    let payload: Uint8Array | undefined;
    if (options.verifyCrc) {
      payload = bytes.subarray(payloadStart, end);
      const actual = crc32(payload);
      if (actual !== storedCrc) {
        if (options.onCorrupt === "skip") {
          this.counter.corruptSkipped++;
          return null;
        }
        throw new CrcError(storedCrc, actual, { ...options.context, offset: this.offsetOf(start) });
      }
    }
    const isLast = start === set.lastEntryStart;
    const codec = attributes & 3;
    if (codec !== Compression.None && options.decompress) {
      this.inner = this.expand(bytes.subarray(payloadStart, end), codec, start, end, isLast);
      return null;
    }
    const offset = this.offsetOf(start);
    const nextOffset = this.wrapperStart < 0 ? this.logBase + end : isLast ? this.wrapperEnd : this.wrapperStart;
    return new FetchedMessage(bytes, offset, nextOffset, magic, attributes, storedCrc, payloadStart, end, payload);
  }

  private offsetOf(position: number): number {
    return this.wrapperStart < 0 ? this.logBase + position : this.wrapperStart;
  }

  private expand(payload: Uint8Array, codec: number, start: number, end: number, isLast: boolean): MessageSetIterator {
    const set = this.set;
    const options = set.options;
    const wrapperOffset = this.offsetOf(start);
    const context = { ...options.context, offset: wrapperOffset };
    let inflated: Uint8Array;
    try {
      inflated = compressionCodec(codec).decompress(payload, options.maxDecompressedBytes);
    } catch (error) {
      // Name where the wrapper is: the codecs know nothing of topics and offsets.
      if (error instanceof DecompressionLimitError) throw new DecompressionLimitError(error.limit, context);
      if (error instanceof K07Error && !(error instanceof CompressionError)) throw error;
      throw new CompressionError(
        `Cannot decompress ${codec === Compression.Gzip ? "gzip" : codec === Compression.Snappy ? "snappy" : `codec ${codec}`} message: ${(error as Error).message}`,
        context,
        { cause: error },
      );
    }
    const innerSet = new MessageSetView(inflated, { ...options, baseOffset: 0, context: options.context });
    if (innerSet.malformed !== undefined || innerSet.validBytes !== inflated.length) {
      throw new MalformedError("Compressed message holds an incomplete message set", innerSet.validBytes, context);
    }
    // Inner messages report the outermost wrapper's start; the very last reports its end.
    const wrapperStart = this.wrapperStart < 0 ? this.logBase + start : this.wrapperStart;
    const wrapperEnd = this.wrapperStart < 0 ? this.logBase + end : isLast ? this.wrapperEnd : this.wrapperStart;
    return new MessageSetIterator(innerSet, 0, wrapperStart, wrapperEnd, this.counter);
  }

  private malformed(reason: string, position: number): MalformedError {
    this.position = Number.POSITIVE_INFINITY;
    return new MalformedError(reason, position, { ...this.set.options.context, offset: this.offsetOf(position) });
  }
}
