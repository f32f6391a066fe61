import type { Crc32Function } from "../crc32.ts";
import type { CodecHooks } from "../hooks.ts";
import { Compression, compressionCodec, compressionId, type CompressionName } from "../compression.ts";
import { encodeUtf8 } from "../primitives/text.ts";
import { describe } from "../primitives/validate.ts";
import { Writer } from "../primitives/writer.ts";
import { messageSetSize, writeMessageSet, type MessageEntries } from "./message-set.ts";

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
export function createMessage(payload: Uint8Array | string, options?: CreateMessageOptions): Message {
  const magic = options?.magic ?? 1;
  if (magic !== 0 && magic !== 1) throw new RangeError(`magic must be 0 or 1, got ${String(magic)}`);
  let bytes: Uint8Array;
  if (typeof payload === "string") bytes = encodeUtf8(payload);
  else if (payload instanceof Uint8Array) bytes = payload;
  else throw new TypeError(`a message payload must be a string or a Uint8Array, got ${describe(payload)}`);
  return Object.freeze({ magic, attributes: 0, payload: bytes });
}

/** Whether `value` has a message's shape (what `createMessage` returns, or an equivalent plain object). */
export function isMessage(value: unknown): value is Message {
  if (value === null || typeof value !== "object") return false;
  const m = value as Message;
  return (m.magic === 0 || m.magic === 1) && m.payload instanceof Uint8Array;
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
export function createCompressedMessage(messages: MessageEntries, compression: CompressionName | Compression, hooks?: CodecHooks): Message {
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

/**
 * Writes one message-set entry's header (its length, magic and attributes) and its payload (by `set`)
 * into `bytes` at `at`, and returns the position after it; the CRC field is left as it is, for
 * `writeMessageSet` to fill (in a batch, or by the caller's `crc32`).
 * @throws RangeError when the entry does not fit, before anything is written.
 */
export function writeEntryAt(bytes: Uint8Array, at: number, magic: number, attributes: number, payload: Uint8Array): number {
  // Magic 1 adds the attributes byte before the CRC.
  const start = magic === 0 ? at + 9 : at + 10;
  const end = start + payload.length;
  if (end > bytes.length) throw new RangeError(`a ${end - at}-byte entry at ${at} overruns a ${bytes.length}-byte buffer`);
  const length = end - at - 4;
  bytes[at] = length >>> 24;
  bytes[at + 1] = length >>> 16;
  bytes[at + 2] = length >>> 8;
  bytes[at + 3] = length;
  bytes[at + 4] = magic;
  if (magic !== 0) bytes[at + 5] = attributes;
  bytes.set(payload, start);
  return end;
}

/**
 * Writes one message-set entry; the CRC is computed by `crc32`, by default the codec's own
 * (WebAssembly where the runtime has it).
 * @throws RangeError when the entry does not fit in the writer's buffer.
 */
export function writeEntry(writer: Writer, message: Message, crc32?: Crc32Function): void {
  writeMessageSet(writer, [message], crc32);
}

/** Total wire size of a list of messages as a message set. */
export function messagesSize(messages: readonly Message[]): number {
  let size = 0;
  for (let i = 0; i < messages.length; i++) size += entrySize(messages[i]!);
  return size;
}

/**
 * Encodes messages (and payloads, as plain magic-1 messages) as a message set into a fresh, exactly
 * sized buffer (from `hooks.allocate`, hashed by `hooks.crc32`).
 */
export function encodeMessages(messages: MessageEntries, hooks?: CodecHooks): Uint8Array {
  const writer = Writer.ofSize(messageSetSize(messages), hooks?.allocate);
  writeMessageSet(writer, messages, hooks?.crc32);
  return writer.finish();
}
