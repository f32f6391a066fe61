import { OffsetNotAtMessageBoundaryError, type FetchRequest } from "@k07/codec";

/** An entry's 4-byte length prefix. */
const LENGTH_BYTES = 4;
/** The shortest message: magic 0, a CRC, an empty payload. */
const SHORTEST_MESSAGE = 5;

/**
 * Checks the first entry of a fetch response, where a fetch from an offset that is not the start of
 * a message shows itself (the broker does not check: protocol §7.3). Throws an
 * OffsetNotAtMessageBoundaryError for what no 0.7 broker stores at a message's start:
 * - a length below the shortest message;
 * - a magic byte other than 0 or 1, a magic-1 message without room for its attributes, or
 *   compression codec 3 (the broker refuses these on produce);
 * - an incomplete entry in a response shorter than the fetch size: the broker returned everything
 *   the segment holds (protocol §7.1), and it never splits a message across segments or flushes part
 *   of one.
 * What stays possible is left alone: an incomplete entry in a response as long as the fetch size
 * may be a big message (the client grows the fetch, protocol §7.4), however long it claims to be, since
 * the client cannot know the broker's `max.message.size` (and brokers before 0.7.2 have none); a
 * plausible entry with a bad CRC may as well be a corrupt log (iteration's CrcError).
 */
export function checkFirstEntry(bytes: Uint8Array, fetch: FetchRequest): void {
  if (bytes.length === 0) return;
  const context = { topic: fetch.topic, partition: fetch.partition, offset: fetch.offset };
  const cut = bytes.length < fetch.maxSize;
  if (bytes.length < LENGTH_BYTES) {
    if (cut) throw new OffsetNotAtMessageBoundaryError(`only ${bytes.length} byte(s) left in the segment, less than a length prefix`, context);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getInt32(0);
  let reason: string | undefined;
  if (length < SHORTEST_MESSAGE) reason = `a message length of ${length}`;
  else if (cut && LENGTH_BYTES + length > bytes.length)
    reason = `a message of ${length} bytes where the segment holds only ${bytes.length - LENGTH_BYTES} more`;
  else if (bytes.length > LENGTH_BYTES) {
    const magic = bytes[LENGTH_BYTES]!;
    if (magic > 1) reason = `magic byte ${magic}`;
    else if (magic === 1 && length < SHORTEST_MESSAGE + 1) reason = `a magic-1 message of ${length} bytes`;
    else if (magic === 1 && bytes.length > LENGTH_BYTES + 1 && (bytes[LENGTH_BYTES + 1]! & 3) === 3) reason = "compression codec 3";
  }
  if (reason !== undefined) throw new OffsetNotAtMessageBoundaryError(reason, context);
}
