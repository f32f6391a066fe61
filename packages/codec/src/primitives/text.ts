const textEncoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function encodeUtf8(text: string): Uint8Array {
  return textEncoder.encode(text);
}

// Topic names repeat endlessly; encoding each once keeps request encoding allocation-free.
const topicCache = new Map<string, Uint8Array>();
const TOPIC_CACHE_LIMIT = 4096;

/** The UTF-8 bytes of a topic name, cached. Callers must not modify the returned bytes. */
export function encodeTopic(topic: string): Uint8Array {
  let bytes = topicCache.get(topic);
  if (bytes === undefined) {
    bytes = textEncoder.encode(topic);
    if (topicCache.size >= TOPIC_CACHE_LIMIT) topicCache.clear();
    topicCache.set(topic, bytes);
  }
  return bytes;
}

/** An unsigned 32-bit value as 8 hex digits (CRCs in error messages). */
export function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}
