import { pureCrc32, type Crc32Function } from "../crc32.ts";
import type { CodecHooks } from "../hooks.ts";
import { Compression, compressionCodec, compressionId, type CompressionName } from "../compression.ts";
import { encodeUtf8 } from "../primitives/text.ts";
import { describe } from "../primitives/validate.ts";
import { Writer } from "../primitives/writer.ts";

/** Bytes a message-set entry adds around a payload: length(4) + magic(1) + crc(4), plus attributes(1) for magic 1. */
export const ENTRY_OVERHEAD_MAGIC0 = 9;
export const ENTRY_OVERHEAD_MAGIC1 = 10;

/**
 * A message to produce: immutable. The payload is referenced, not copied; it is hashed and written
 * once, when the request is encoded. Build with `createMessage` / `createMessageFromString`.
 */
export interface Message {
  readonly magic: 0 | 1;
  /** Magic-1 attributes byte; `attributes & 3` is the compression codec. Always 0 for magic 0. */
  readonly attributes: number;
  readonly payload: Uint8Array;
}

export interface CreateMessageOptions {
  /** 1 (default, what Java writes) or 0 (pre-0.7 format, no attributes byte). */
  readonly magic?: 0 | 1;
}

/** A plain (uncompressed) message from bytes or a string (UTF-8). */
export function createMessage(payload: Uint8Array | string, options: CreateMessageOptions = {}): Message {
  const magic = options.magic ?? 1;
  if (magic !== 0 && magic !== 1) throw new RangeError(`magic must be 0 or 1, got ${String(magic)}`);
  let bytes: Uint8Array;
  if (typeof payload === "string") bytes = encodeUtf8(payload);
  else if (payload instanceof Uint8Array) bytes = payload;
  else throw new TypeError(`a message payload must be a string or a Uint8Array, got ${describe(payload)}`);
  return Object.freeze({ magic, attributes: 0, payload: bytes });
}

/** A plain magic-1 message holding the UTF-8 bytes of `text` (kafka-python's `create_message`). */
export function createMessageFromString(text: string): Message {
  if (typeof text !== "string") throw new TypeError(`expected a string, got ${describe(text)}`);
  return createMessage(text);
}

/**
 * A magic-1 wrapper message whose payload is `messages`, encoded as a message set and compressed
 * (protocol §5.5): what the Java producer sends for one (topic, partition) batch. `hooks` hash and
 * allocate the inner set.
 */
export function createCompressedMessage(messages: readonly Message[], compression: CompressionName | Compression, hooks?: CodecHooks): Message {
  const id = compressionId(compression);
  if (id === Compression.None) throw new RangeError("a compressed message needs gzip or snappy");
  const inner = encodeMessages(messages, hooks);
  const payload = compressionCodec(id).compress(inner);
  return Object.freeze({ magic: 1 as const, attributes: id, payload });
}

/** kafka-python's `create_gzip_message`. */
export function createGzipMessage(messages: readonly Message[], hooks?: CodecHooks): Message {
  return createCompressedMessage(messages, Compression.Gzip, hooks);
}

/** kafka-python's `create_snappy_message`. */
export function createSnappyMessage(messages: readonly Message[], hooks?: CodecHooks): Message {
  return createCompressedMessage(messages, Compression.Snappy, hooks);
}

/** Wire size of one message-set entry (length prefix included). */
export function entrySize(message: Message): number {
  return (message.magic === 0 ? ENTRY_OVERHEAD_MAGIC0 : ENTRY_OVERHEAD_MAGIC1) + message.payload.length;
}

/** Writes one message-set entry; the CRC (by `crc32`, default the pure one) is computed over the payload in place. */
export function writeEntry(writer: Writer, message: Message, crc32: Crc32Function = pureCrc32): void {
  const payload = message.payload;
  if (message.magic === 0) {
    writer.int32(5 + payload.length).int8(0);
  } else {
    writer
      .int32(6 + payload.length)
      .int8(1)
      .int8(message.attributes);
  }
  writer.uint32(crc32(payload)).raw(payload);
}

/** Total wire size of a list of messages as a message set. */
export function messagesSize(messages: readonly Message[]): number {
  let size = 0;
  for (let i = 0; i < messages.length; i++) size += entrySize(messages[i]!);
  return size;
}

/** Encodes messages as a message set into a fresh, exactly sized buffer (from `hooks.allocate`, hashed by `hooks.crc32`). */
export function encodeMessages(messages: readonly Message[], hooks?: CodecHooks): Uint8Array {
  const writer = Writer.ofSize(messagesSize(messages), hooks?.allocate);
  const crc32 = hooks?.crc32;
  for (let i = 0; i < messages.length; i++) writeEntry(writer, messages[i]!, crc32);
  return writer.finish();
}
