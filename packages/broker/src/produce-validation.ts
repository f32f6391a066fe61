import { K07Error, decodeMessageSet, type Crc32Function, type MessageSetIterator } from "@k07/codec";

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
  private readonly messages: MessageSetIterator | undefined;
  private readonly bytes: Uint8Array;
  private readonly validBytes: number;
  private messageCount = 0;
  private readonly count = (): void => {
    this.messageCount++;
  };

  constructor(messageSet: Uint8Array, options: ProduceValidationOptions) {
    const set = decodeMessageSet(messageSet, { maxDecompressedBytes: options.maxDecompressedBytes, crc32: options.crc32 });
    this.bytes = messageSet;
    this.validBytes = set.validBytes;
    if (set.malformed !== undefined && set.entryCount === 0) {
      this.verdict = { kind: "reject", reason: set.malformed.message };
    } else if (messageSet.length > 0 && set.entryCount === 0) {
      this.verdict = { kind: "reject", reason: "the first message of the set is truncated" };
    } else {
      // Shallow pass first, as 0.7.2 does: an oversize payload drops the part even if a later CRC is bad.
      const oversize = largestPayload(messageSet, set.validBytes);
      if (oversize > options.maxMessageSize) {
        this.verdict = { kind: "drop", reason: `a payload of ${oversize} bytes exceeds maxMessageSize ${options.maxMessageSize}` };
      } else {
        this.messages = set[Symbol.iterator]();
      }
    }
  }

  /** About `allowance` bytes of validation: the verdict once known, undefined while more steps are needed. */
  step(allowance: number): ProduceVerdict | undefined {
    if (this.verdict !== undefined) return this.verdict;
    try {
      if (!this.messages!.step(allowance, this.count)) return undefined;
      this.verdict = { kind: "append", bytes: this.bytes.subarray(0, this.validBytes), messageCount: this.messageCount };
    } catch (error) {
      if (!(error instanceof K07Error)) throw error;
      this.verdict = { kind: "reject", reason: error.message };
    }
    return this.verdict;
  }
}

/** The largest top-level payload among the complete entries (a walk over lengths and magic bytes, no decoding). */
function largestPayload(bytes: Uint8Array, validBytes: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let largest = 0;
  for (let position = 0; position < validBytes;) {
    const size = view.getInt32(position);
    const payload = size - (bytes[position + 4] === 1 ? 6 : 5);
    if (payload > largest) largest = payload;
    position += 4 + size;
  }
  return largest;
}
