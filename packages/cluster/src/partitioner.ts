import { K07Error } from "@k07/codec";

/** Picks a partition index in `[0, partitionCount)` for a message key. */
export type Partitioner = (key: string, partitionCount: number) => number;

/** A key whose partition cannot be computed, or a partitioner that returned an index out of range. */
export class InvalidPartitionError extends K07Error {
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
  }
}

/** Java's `String.hashCode()`: `s[0]·31^(n−1) + … + s[n−1]` over UTF-16 code units, in int32 arithmetic. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * 0.7's DefaultPartitioner: `abs(key.hashCode) % n` with Java's String hash, so k07 and Java
 * producers send a key to the same partition (protocol §9.1, §9.3). `abs(Int.MinValue)` is negative in
 * Java and the 0.7 producer fails with InvalidPartitionException; so does this one (for example
 * for the key "polygenelubricants") rather than send it somewhere Java never would.
 */
export const javaCompatiblePartitioner: Partitioner = (key, partitionCount) => {
  const hash = javaStringHashCode(key);
  if (hash === -0x8000_0000) {
    throw new InvalidPartitionError(`the key ${JSON.stringify(key)} hashes to Integer.MIN_VALUE; 0.7's DefaultPartitioner cannot place it`, key);
  }
  return Math.abs(hash) % partitionCount;
};
