/** Small byte builders for broker tests: frames the codec would refuse to encode. */
import type { LogPiece } from "@k07/broker";
import { createMessageFromString, encodeMessages, type Message } from "@k07/codec";

export { concat } from "@k07/testing/bytes.ts";
import { concat } from "@k07/testing/bytes.ts";

export function int32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n);
  return b;
}

export function int16(n: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setInt16(0, n);
  return b;
}

export function int64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(n));
  return b;
}

export function shortString(s: string): Uint8Array {
  const bytes = new TextEncoder().encode(s);
  return concat(int16(bytes.length), bytes);
}

/** A request frame: size, type, body. */
export function requestFrame(type: number, body: Uint8Array): Uint8Array {
  return concat(int32(2 + body.length), int16(type), body);
}

/** A Produce frame with any message-set bytes, any topic and partition (no validation). */
export function rawProduce(topic: string, partition: number, messageSet: Uint8Array): Uint8Array {
  return requestFrame(0, concat(shortString(topic), int32(partition), int32(messageSet.length), messageSet));
}

/** A Fetch frame with any fields (no validation). */
export function rawFetch(topic: string, partition: number, offset: number, maxSize: number): Uint8Array {
  return requestFrame(1, concat(shortString(topic), int32(partition), int64(offset), int32(maxSize)));
}

/** An Offsets frame with any fields (no validation). */
export function rawOffsets(topic: string, partition: number, time: number, max: number): Uint8Array {
  return requestFrame(4, concat(shortString(topic), int32(partition), int64(time), int32(max)));
}

/** A message set of plain magic-1 text messages. */
export function textSet(...texts: string[]): Uint8Array {
  return encodeMessages(texts.map((t): Message => createMessageFromString(t)));
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** A log piece's bytes: a memory view as it is, a file range read whole (only tests do; the broker reads one a slice at a time). */
export function pieceBytes(piece: LogPiece): Uint8Array {
  return piece instanceof Uint8Array ? piece : piece.read(0, piece.length);
}
