import CRC32 from "crc-32";

/** Computes the standard CRC-32 (IEEE, as zlib and java.util.zip.CRC32) of `bytes`, unsigned. */
export interface Crc32Function {
  (bytes: Uint8Array): number;
  /**
   * The size from which this function beats the codec's own CRC code (a native CRC whose call costs
   * more than it saves on short inputs). When set, the codec hashes shorter payloads with its own
   * code, and a checking decoder may check runs of entries with its own batch checker; the answers
   * are the same. Absent: the function hashes every payload.
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
 * The codec's CRC-32: the pure-JS `crc-32` package, made unsigned. Encoders and checking decoders
 * use it unless given another through their `crc32` option (the Node transport passes one that
 * uses `node:zlib`'s native crc32 for large payloads); without that option, encoders hash payloads
 * under 512 bytes over their copy in the frame, with the same tables (`IN_FRAME_CRC_MAX_BYTES`).
 */
export const pureCrc32: Crc32Function = (bytes) => CRC32.buf(bytes) >>> 0;

/** The standard CRC-32 of `bytes`, unsigned (the pure implementation: the same function as `pureCrc32`). */
export const crc32: Crc32Function = pureCrc32;
