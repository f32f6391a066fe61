import CRC32 from "crc-32";

/** Computes the standard CRC-32 (IEEE, as zlib and java.util.zip.CRC32) of `bytes`, unsigned. */
export type Crc32Function = (bytes: Uint8Array) => number;

/** The default CRC-32: the pure-JS `crc-32` package, made unsigned. */
export const pureCrc32: Crc32Function = (bytes) => CRC32.buf(bytes) >>> 0;

let activeCrc32: Crc32Function = pureCrc32;

/**
 * The CRC function every encoder and checking decoder uses. Replace it with `setCrc32` when a
 * runtime has a faster native CRC (the Node transport installs a hybrid that uses `node:zlib`'s
 * `crc32` for large payloads).
 */
export function crc32(bytes: Uint8Array): number {
  return activeCrc32(bytes);
}

/** Installs a CRC-32 implementation (must return the unsigned IEEE CRC-32). Returns the previous one. */
export function setCrc32(fn: Crc32Function): Crc32Function {
  if (typeof fn !== "function") throw new TypeError("setCrc32 needs a function");
  const previous = activeCrc32;
  activeCrc32 = fn;
  return previous;
}
