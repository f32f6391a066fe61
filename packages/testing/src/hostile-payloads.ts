/**
 * Message sets built to hurt a decoder: decompression bombs, object amplification and nested
 * wrappers, each small on the wire and huge once inflated. Built once per process and cached.
 */
import { Compression, createGzipMessage, createMessage, encodeMessages, gzipCodec, type Message } from "@k07/transport-node";
import { emptyMessageSet } from "./hostile.ts";

const MiB = 1024 * 1024;

/** `build`, remembering its result per argument. */
function cachedBy<T>(build: (n: number) => T): (n: number) => T {
  const built = new Map<number, T>();
  return (n) => {
    if (!built.has(n)) built.set(n, build(n));
    return built.get(n)!;
  };
}

/** A gzip wrapper around any payload (already compressed, possibly hostile). */
const gzipWrapper = (payload: Uint8Array): Message => ({ magic: 1, attributes: Compression.Gzip, payload });

/**
 * One gzip wrapper inflating to `members` × 4 MiB of zeros, as concatenated members of about 4 KB
 * each: 256 make 1 GiB in 1 MB on the wire, 128 make 512 MiB in 0.5 MB.
 */
export const gzipBombSet = cachedBy((members) => {
  const member = gzipCodec.compress(new Uint8Array(4 * MiB));
  const payload = new Uint8Array(member.length * members);
  for (let i = 0; i < members; i++) payload.set(member, i * member.length);
  return encodeMessages([gzipWrapper(payload)]);
});

/**
 * Object amplification within the cap: one gzip wrapper (117 KB) of 6,000,000 empty messages,
 * 60 MB inflated, under the 64 MiB per-wrapper cap: six million message objects.
 */
export const emptyMessagesBombSet = cachedBy((count) => encodeMessages([gzipWrapper(gzipCodec.compress(emptyMessageSet(count)))]));

const wrapperOf60MiB = cachedBy(() => createGzipMessage([createMessage(new Uint8Array(60 * MiB))]));

/**
 * Wrappers inside a wrapper: an outer gzip wrapper holding `inner` gzip wrappers that each inflate
 * to one message of 60 MiB. Every level is under the 64 MiB per-wrapper cap; together they are
 * `inner` × 60 MiB. 10 inner wrappers make a 2.4 KB produce, 1,000 a 216 KB fetch answer.
 */
export const nestedGzipSet = cachedBy((inner) => encodeMessages([createGzipMessage(Array.from({ length: inner }, () => wrapperOf60MiB(0)))]));
