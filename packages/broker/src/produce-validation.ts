import {
  DECOMPRESSED_MESSAGE_COST,
  K07Error,
  crc32Range,
  decodeMessageSet,
  hashesWithHook,
  type Crc32Function,
  type MessageSetIterator,
  type MessageSetView,
} from "@k07/codec";

/** What the broker does with one produced (topic, partition) message set (protocol §8.3). */
export type ProduceVerdict =
  | { readonly kind: "append"; readonly bytes: Uint8Array; readonly messageCount: number }
  /** A payload over `max.message.size`: the part is dropped, the connection kept (0.7.2). */
  | { readonly kind: "drop"; readonly reason: string }
  /** Anything else wrong: the broker closes the connection and appends nothing of this part. */
  | { readonly kind: "reject"; readonly reason: string };

export interface ProduceValidationOptions {
  readonly maxMessageSize: number;
  readonly maxDecompressedBytes: number;
  /** The CRC-32 that checks every message (default the codec's pure one). */
  readonly crc32?: Crc32Function;
}

/**
 * Validates a produced message set as 0.7.2 does: every top-level payload within the size limit
 * (shallow pass), then every message, inner ones included, with a valid magic, codec and CRC (deep
 * pass). A trailing partial entry is trimmed silently; a truncated or impossible first entry is an
 * error. Decompression counts against one `maxDecompressedBytes` budget for the whole set, and a
 * compressed message inside a compressed one is refused (0.7 producers never nest them).
 */
export function validateProducedSet(messageSet: Uint8Array, options: ProduceValidationOptions): ProduceVerdict {
  return new ProducedSetValidation(messageSet, options).step(Number.POSITIVE_INFINITY)!;
}

/**
 * The validation of `validateProducedSet`, done in steps the caller drives, so that a set with
 * big compressed wrappers never holds the thread for long: each `step` does about `allowance`
 * bytes of work (bytes inflated, message bytes checked) and returns the verdict once there is one.
 */
export class ProducedSetValidation {
  private verdict: ProduceVerdict | undefined;
  private readonly set: MessageSetView;
  /** The codec's deep iteration: for sets with compressed wrappers, and to name what is wrong with any set the plain walk doubts. */
  private messages: MessageSetIterator | undefined;
  /** Set while the plain walk checks the set in place: the position of the next entry. */
  private plainPosition = -1;
  private readonly crc32: Crc32Function;
  private readonly bytes: Uint8Array;
  private readonly validBytes: number;
  private messageCount = 0;
  private readonly count = (): void => {
    this.messageCount++;
  };

  constructor(messageSet: Uint8Array, options: ProduceValidationOptions) {
    const set = decodeMessageSet(messageSet, { maxDecompressedBytes: options.maxDecompressedBytes, crc32: options.crc32 });
    this.set = set;
    this.crc32 = set.options.crc32;
    this.bytes = messageSet;
    this.validBytes = set.validBytes;
    if (set.malformed !== undefined && set.entryCount === 0) {
      this.verdict = { kind: "reject", reason: set.malformed.message };
    } else if (messageSet.length > 0 && set.entryCount === 0) {
      this.verdict = { kind: "reject", reason: "the first message of the set is truncated" };
    } else {
      // Shallow pass first, as 0.7.2 does: an oversize payload drops the part even if a later CRC is bad.
      const shallow = shallowPass(messageSet, set.validBytes);
      if (shallow.largestPayload > options.maxMessageSize) {
        this.verdict = { kind: "drop", reason: `a payload of ${shallow.largestPayload} bytes exceeds maxMessageSize ${options.maxMessageSize}` };
      } else if (shallow.plain && set.malformed === undefined) {
        this.plainPosition = 0;
      } else {
        this.messages = set[Symbol.iterator]();
      }
    }
  }

  /** About `allowance` bytes of validation: the verdict once known, undefined while more steps are needed. */
  step(allowance: number): ProduceVerdict | undefined {
    if (this.verdict !== undefined) return this.verdict;
    if (this.plainPosition >= 0) {
      const done = this.stepPlain(allowance);
      if (done === undefined) return undefined;
      if (done) return (this.verdict = { kind: "append", bytes: this.bytes.subarray(0, this.validBytes), messageCount: this.messageCount });
      // Something is wrong: the codec's iteration, from the start, finds the same fault and names it.
      this.plainPosition = -1;
      this.messageCount = 0;
      this.messages = this.set[Symbol.iterator]();
    }
    try {
      if (!this.messages!.step(allowance, this.count)) return undefined;
      this.verdict = { kind: "append", bytes: this.bytes.subarray(0, this.validBytes), messageCount: this.messageCount };
    } catch (error) {
      if (!(error instanceof K07Error)) throw error;
      this.verdict = { kind: "reject", reason: error.message };
    }
    return this.verdict;
  }

  /**
   * The hot path for a set of plain messages (no compressed wrapper, no malformed tail; the shallow
   * pass saw to that): each entry's CRC checked where it lies, without the message objects and
   * views the codec's iteration makes (their garbage cost more than the CRCs). True when every entry
   * is sound, false at the first that is not (its length, magic or CRC), undefined when `allowance`
   * ran out first (the walk continues where it stopped). Work is counted as the codec counts it.
   */
  private stepPlain(allowance: number): boolean | undefined {
    const bytes = this.bytes;
    const end = this.validBytes;
    const crc32 = this.crc32;
    let position = this.plainPosition;
    let spent = 0;
    let count = 0;
    while (position < end) {
      if (spent >= allowance) break;
      const size = ((bytes[position]! << 24) | (bytes[position + 1]! << 16) | (bytes[position + 2]! << 8) | bytes[position + 3]!) >>> 0;
      const next = position + 4 + size;
      // Magic 1: length(4) magic(1) attributes(1) crc(4); magic 0: no attributes. The shallow pass saw no compression.
      const crcAt = bytes[position + 4] === 1 ? position + 6 : position + 5;
      if (crcAt + 4 > next) return false;
      const stored = ((bytes[crcAt]! << 24) | (bytes[crcAt + 1]! << 16) | (bytes[crcAt + 2]! << 8) | bytes[crcAt + 3]!) >>> 0;
      const actual = hashesWithHook(crc32, next - crcAt - 4) ? crc32(bytes.subarray(crcAt + 4, next)) : crc32Range(bytes, crcAt + 4, next);
      if (actual !== stored) {
        this.plainPosition = position;
        return false;
      }
      spent += DECOMPRESSED_MESSAGE_COST + next - crcAt - 4;
      count++;
      position = next;
    }
    this.messageCount += count;
    this.plainPosition = position;
    return position < end ? undefined : true;
  }
}

/**
 * The shallow pass over the complete entries (lengths, magic and attribute bytes; no decoding): the
 * largest top-level payload, and whether every entry is a plain message (magic 0, or magic 1 without
 * a compression codec), which the plain walk can check in place.
 */
function shallowPass(bytes: Uint8Array, validBytes: number): { largestPayload: number; plain: boolean } {
  let largestPayload = 0;
  let plain = true;
  for (let position = 0; position < validBytes;) {
    const size = (bytes[position]! << 24) | (bytes[position + 1]! << 16) | (bytes[position + 2]! << 8) | bytes[position + 3]! | 0;
    const magic = bytes[position + 4];
    const payload = size - (magic === 1 ? 6 : 5);
    if (payload > largestPayload) largestPayload = payload;
    if (magic === 1 ? (bytes[position + 5]! & 3) !== 0 : magic !== 0) plain = false;
    position += 4 + size;
  }
  return { largestPayload, plain };
}
