import type { Writer } from "../primitives/writer.ts";
import { describe } from "../primitives/validate.ts";
import type { Crc32Function } from "../crc32.ts";
import { entrySize, writeEntry, type Message } from "./message.ts";

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

export function messageSetSize(input: MessageSetInput): number {
  if (input instanceof EncodedMessageSet) return input.bytes.length;
  let size = 0;
  for (let i = 0; i < input.length; i++) size += entrySize(input[i]!);
  return size;
}

/** Writes a message set: pre-encoded bytes as they are, messages as entries hashed by `crc32` (default the pure one). */
export function writeMessageSet(writer: Writer, input: MessageSetInput, crc32?: Crc32Function): void {
  if (input instanceof EncodedMessageSet) {
    writer.raw(input.bytes);
    return;
  }
  for (let i = 0; i < input.length; i++) writeEntry(writer, input[i]!, crc32);
}
