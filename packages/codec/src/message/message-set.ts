import type { Writer } from "../primitives/writer.ts";
import { describe } from "../primitives/validate.ts";
import { hashesWithHook, type Crc32Function } from "../crc32.ts";
import { fillEntryCrcs } from "./entry-crcs.ts";
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
 * messages) as entries. Their CRCs are computed after the entries are written, a run of entries at a
 * time by the codec's batch filler (WebAssembly where the runtime has it, one call per up to 48 KiB
 * of entries), except that a `crc32` hook other than the pure default hashes each payload from its
 * `minBytes` up itself, as it did before there was a batch.
 * @throws RangeError when the set does not fit in the writer's buffer.
 */
export function writeMessageSet(writer: Writer, input: MessageSetInput | MessageEntries, crc32?: Crc32Function): void {
  if (input instanceof EncodedMessageSet) {
    writer.raw(input.bytes);
    return;
  }
  const bytes = writer.bytes;
  let at = writer.position;
  /** Where the entries start whose CRCs are left to the batch filler. */
  let run = at;
  for (let i = 0; i < input.length; i++) {
    const entry = input[i]!;
    const payload = entry instanceof Uint8Array ? entry : entry.payload;
    const entryStart = at;
    at = entry instanceof Uint8Array ? writeEntryAt(bytes, at, 1, 0, entry) : writeEntryAt(bytes, at, entry.magic, entry.attributes, entry.payload);
    if (hashesWithHook(crc32, payload.length)) {
      fillEntryCrcs(bytes, run, entryStart);
      storeCrc(bytes, at - payload.length - 4, crc32(payload));
      run = at;
    }
  }
  fillEntryCrcs(bytes, run, at);
  writer.position = at;
}

/** A CRC's 32 bits, big-endian, at `at`. */
function storeCrc(bytes: Uint8Array, at: number, crc: number): void {
  bytes[at] = crc >>> 24;
  bytes[at + 1] = crc >>> 16;
  bytes[at + 2] = crc >>> 8;
  bytes[at + 3] = crc;
}
