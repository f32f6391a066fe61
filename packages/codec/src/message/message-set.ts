import type { Writer } from "../primitives/writer.ts";
import { describe } from "../primitives/validate.ts";
import type { Crc32Function } from "../crc32.ts";
import { ENTRY_OVERHEAD_MAGIC1, entrySize, writeEntryAt, type Message } from "./message.ts";

/**
 * Message-set bytes that are already encoded (for example received from a client) and are written
 * as they are: a proxy or broker forwards them without re-encoding.
 */
export class EncodedMessageSet {
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`EncodedMessageSet needs a Uint8Array, got ${describe(bytes)}`);
    this.bytes = bytes;
    Object.freeze(this);
  }
}

/** What a produce takes: messages to encode, or pre-encoded message-set bytes to pass through. */
export type MessageSetInput = readonly Message[] | EncodedMessageSet;

/**
 * Entries to encode: messages, and payloads standing for plain magic-1 messages (what
 * `createMessage(payload)` would make) so that a produce from payloads needs no object per message.
 */
export type MessageEntries = readonly (Message | Uint8Array)[];

/** Wire size of one entry: a message's, or a payload's as a plain magic-1 message. */
function entryBytes(entry: Message | Uint8Array): number {
  return entry instanceof Uint8Array ? ENTRY_OVERHEAD_MAGIC1 + entry.length : entrySize(entry);
}

export function messageSetSize(input: MessageSetInput | MessageEntries): number {
  if (input instanceof EncodedMessageSet) return input.bytes.length;
  let size = 0;
  for (let i = 0; i < input.length; i++) size += entryBytes(input[i]!);
  return size;
}

/**
 * Writes a message set: pre-encoded bytes as they are, messages (and payloads, as plain magic-1
 * messages) as entries hashed by `crc32` (by default the pure one; a short payload over its copy in the frame).
 * @throws RangeError when the set does not fit in the writer's buffer.
 */
export function writeMessageSet(writer: Writer, input: MessageSetInput | MessageEntries, crc32?: Crc32Function): void {
  if (input instanceof EncodedMessageSet) {
    writer.raw(input.bytes);
    return;
  }
  const bytes = writer.bytes;
  let at = writer.position;
  for (let i = 0; i < input.length; i++) {
    const entry = input[i]!;
    at =
      entry instanceof Uint8Array
        ? writeEntryAt(bytes, at, 1, 0, entry, crc32)
        : writeEntryAt(bytes, at, entry.magic, entry.attributes, entry.payload, crc32);
  }
  writer.position = at;
}
