import { K07Error, decodeMessageSet } from "@k07/codec";

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
}

/**
 * Validates a produced message set as 0.7.2 does: every top-level payload within the size limit
 * (shallow pass), then every message, inner ones included, with a valid magic, codec and CRC (deep
 * pass). A trailing partial entry is trimmed silently; a truncated or impossible first entry is an error.
 */
export function validateProducedSet(messageSet: Uint8Array, options: ProduceValidationOptions): ProduceVerdict {
  const set = decodeMessageSet(messageSet, { maxDecompressedBytes: options.maxDecompressedBytes });
  if (set.malformed !== undefined && set.entryCount === 0) return { kind: "reject", reason: set.malformed.message };
  if (messageSet.length > 0 && set.entryCount === 0) return { kind: "reject", reason: "the first message of the set is truncated" };
  // Shallow pass first, as 0.7.2 does: an oversize payload drops the part even if a later CRC is bad.
  const oversize = largestPayload(messageSet, set.validBytes);
  if (oversize > options.maxMessageSize) {
    return { kind: "drop", reason: `a payload of ${oversize} bytes exceeds maxMessageSize ${options.maxMessageSize}` };
  }
  try {
    let messageCount = 0;
    for (const _ of set) messageCount++;
    return { kind: "append", bytes: messageSet.subarray(0, set.validBytes), messageCount };
  } catch (error) {
    if (error instanceof K07Error) return { kind: "reject", reason: error.message };
    throw error;
  }
}

/** The largest top-level payload among the complete entries (a walk over lengths and magic bytes, no decoding). */
function largestPayload(bytes: Uint8Array, validBytes: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let largest = 0;
  for (let position = 0; position < validBytes; ) {
    const size = view.getInt32(position);
    const payload = size - (bytes[position + 4] === 1 ? 6 : 5);
    if (payload > largest) largest = payload;
    position += 4 + size;
  }
  return largest;
}
