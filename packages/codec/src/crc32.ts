import CRC32 from "crc-32";

/** Computes the standard CRC-32 (IEEE, as zlib and java.util.zip.CRC32) of `bytes`, unsigned. */
export type Crc32Function = (bytes: Uint8Array) => number;

/**
 * The codec's CRC-32: the pure-JS `crc-32` package, made unsigned. Encoders and checking decoders
 * use it unless given another through their `crc32` option (the Node transport passes one that
 * uses `node:zlib`'s native crc32 for large payloads); without that option, encoders hash payloads
 * under 512 bytes over their copy in the frame, with the same tables (`IN_FRAME_CRC_MAX_BYTES`).
 */
export const pureCrc32: Crc32Function = (bytes) => CRC32.buf(bytes) >>> 0;

/** The standard CRC-32 of `bytes`, unsigned (the pure implementation: the same function as `pureCrc32`). */
export const crc32: Crc32Function = pureCrc32;
