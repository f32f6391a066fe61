import { K07Error, decodeMessageSet } from "@k07/codec";

/** What the broker does with one produced (topic, partition) message set (spec §8.3). */
export type ProduceVerdict =
  | { readonly kind: "append"; readonly bytes: Uint8Array; readonly messageCount: number }
  /** A payload over `max.message.size`: the part is dropped, the connection kept (0.7.2). */
  | { readonly kind: "drop"; readonly reason: string }
  /** Anything else wrong: the broker closes the connection and appends nothing of this part. */
  | { readonly kind: "reject"; readonly reason: string };

export interface ProduceValidationOptions {
  readonly maxMessageSize: number;
  readonly maxDecompressedBytes: number;
}

/**
 * Validates a produced message set as 0.7.2 does: every top-level payload within the size limit
 * (shallow pass), then every message, inner ones included, with a valid magic, codec and CRC (deep
 * pass). A trailing partial entry is trimmed silently; a truncated or impossible first entry is an error.
 */
export function validateProducedSet(messageSet: Uint8Array, options: ProduceValidationOptions): ProduceVerdict {
  const shallow = decodeMessageSet(messageSet, { decompress: false, verifyCrc: false });
  if (shallow.malformed !== undefined && shallow.entryCount === 0) return { kind: "reject", reason: shallow.malformed.message };
  if (messageSet.length > 0 && shallow.entryCount === 0) {
    return { kind: "reject", reason: "the first message of the set is truncated" };
  }
  try {
    for (const message of shallow) {
      if (message.payloadLength > options.maxMessageSize) {
        return { kind: "drop", reason: `a payload of ${message.payloadLength} bytes exceeds maxMessageSize ${options.maxMessageSize}` };
      }
    }
    const bytes = messageSet.subarray(0, shallow.validBytes);
    let messageCount = 0;
    for (const _ of decodeMessageSet(bytes, { maxDecompressedBytes: options.maxDecompressedBytes })) messageCount++;
    return { kind: "append", bytes, messageCount };
  } catch (error) {
    if (error instanceof K07Error) return { kind: "reject", reason: error.message };
    throw error;
  }
}
