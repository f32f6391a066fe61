import CRC32 from "crc-32";

/** Computes the standard CRC-32 (IEEE, as zlib and java.util.zip.CRC32) of `bytes`, unsigned. */
export interface Crc32Function {
  (bytes: Uint8Array): number;
  /**
   * The size from which this function beats the codec's own CRC code (a native CRC whose call costs
   * more than it saves on short inputs). When set, the codec hashes shorter payloads with its own
   * code (an encoder fills the runs of such entries in batches, and a checking decoder may check
   * runs of entries with its own batch checker); the answers are the same. Absent: the function
   * hashes every payload.
   */
  readonly minBytes?: number;
}

/**
 * Whether a payload of `length` bytes is hashed by the `crc32` hook rather than the codec's own
 * code: never for the pure default (the codec's loops give its answers faster), from the hook's
 * `minBytes` up for any other.
 */
export function hashesWithHook(crc32: Crc32Function | undefined, length: number): crc32 is Crc32Function {
  return crc32 !== undefined && crc32 !== pureCrc32 && length >= (crc32.minBytes ?? 0);
}

/**
 * The codec's CRC-32: the pure-JS `crc-32` package, made unsigned. It stands for the codec's default
 * CRC: given as (or left out of) the `crc32` option, encoders fill the CRCs of their entries in
 * batches and checking decoders check them in batches, with the codec's own slicing-by-16 in
 * WebAssembly (in JavaScript where WebAssembly is unavailable) — the same answers, faster. Another
 * `crc32` option (the Node transport passes one that uses `node:zlib`'s native crc32 for large
 * payloads) is called for each payload from its `minBytes` up.
 */
export const pureCrc32: Crc32Function = (bytes) => CRC32.buf(bytes) >>> 0;

/** The standard CRC-32 of `bytes`, unsigned (the pure implementation: the same function as `pureCrc32`). */
export const crc32: Crc32Function = pureCrc32;
