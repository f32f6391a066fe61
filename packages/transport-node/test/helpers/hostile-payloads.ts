/**
 * Message sets built to hurt a decoder: decompression bombs, object amplification and nested
 * wrappers, each small on the wire and huge once inflated. Built once per process and cached.
 */
import { Compression, createGzipMessage, createMessage, encodeMessages, gzipCodec, type Message } from "@k07/transport-node";

const MiB = 1024 * 1024;

function cached<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

/** A gzip wrapper around any payload (already compressed, possibly hostile). */
const gzipWrapper = (payload: Uint8Array): Message => ({ magic: 1, attributes: Compression.Gzip, payload });

/** One gzip wrapper inflating to 1 GiB of zeros: 256 concatenated 4 MiB members, about 1 MB on the wire. */
export const gzipBombSet = cached(() => {
  const member = gzipCodec.compress(new Uint8Array(4 * MiB));
  const payload = new Uint8Array(member.length * 256);
  for (let i = 0; i < 256; i++) payload.set(member, i * member.length);
  return encodeMessages([gzipWrapper(payload)]);
});

/**
 * Object amplification within the cap: one gzip wrapper (about 116 KB) of 6,000,000 empty
 * messages, 60 MB inflated, under the 64 MiB per-wrapper cap: six million message objects.
 */
export const emptyMessagesBombSet = cached(() => {
  const count = 6_000_000;
  const entry = encodeMessages([createMessage(new Uint8Array(0))]);
  const inflated = Buffer.alloc(count * entry.length, entry);
  return encodeMessages([gzipWrapper(gzipCodec.compress(inflated))]);
});

/**
 * Wrappers inside a wrapper: an outer gzip wrapper holding `inner` gzip wrappers that each inflate
 * to one message of 60 MiB. Every level is under the 64 MiB per-wrapper cap; together they are
 * `inner` × 60 MiB. 10 inner wrappers make a 2.4 KB produce, 1,000 a 216 KB fetch answer.
 */
export const nestedGzipSet = (() => {
  const innerWrapper = cached(() => createGzipMessage([createMessage(new Uint8Array(60 * MiB))]));
  const sets = new Map<number, Uint8Array>();
  return (inner: number): Uint8Array => {
    let set = sets.get(inner);
    if (set === undefined) {
      set = encodeMessages([createGzipMessage(Array.from({ length: inner }, innerWrapper))]);
      sets.set(inner, set);
    }
    return set;
  };
})();
