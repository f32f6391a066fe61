import { CRC32_TABLES } from "./table.ts";

/**
 * Checks a byte range for the CRC functions: a typed array read out of range yields `undefined`,
 * which XORs as 0 and would give a silently wrong CRC rather than an error.
 */
export function checkCrcRange(bytes: Uint8Array, start: number, end: number): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("the CRC needs a Uint8Array");
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > bytes.length) {
    throw new RangeError(`CRC range [${start}, ${end}) is not inside 0..${bytes.length}`);
  }
}

/**
 * The CRC-32 (IEEE, unsigned) of `bytes[start..end)`, in pure JavaScript, slicing by 16 bytes:
 * no `subarray` is made, so a decoder can check a message in place. `previous` continues an earlier
 * CRC (the CRC of a concatenation is `crc32Range(b, 0, b.length, crc32Range(a, 0, a.length))`).
 *
 * @throws RangeError when the range is not inside `bytes`; TypeError when `bytes` is not a Uint8Array.
 */
export function crc32Range(bytes: Uint8Array, start: number = 0, end: number = bytes.length, previous: number = 0): number {
  checkCrcRange(bytes, start, end);
  return sliceBy16(bytes, start, end, previous);
}

/** The CRC-32 of a whole array with the pure-JS slicing-by-16 loop (the `Crc32Function` shape). */
export const slicingCrc32 = (bytes: Uint8Array): number => sliceBy16(bytes, 0, bytes.length, 0);

/** The unchecked loop: callers guarantee 0 ≤ start ≤ end ≤ bytes.length. */
export function sliceBy16(bytes: Uint8Array, start: number, end: number, previous: number): number {
  const T = CRC32_TABLES;
  let c = ~previous;
  let i = start;
  for (const end16 = end - 15; i < end16; i += 16) {
    c =
      T[0xf00 | ((bytes[i]! ^ c) & 0xff)]! ^
      T[0xe00 | ((bytes[i + 1]! ^ (c >>> 8)) & 0xff)]! ^
      T[0xd00 | ((bytes[i + 2]! ^ (c >>> 16)) & 0xff)]! ^
      T[0xc00 | (bytes[i + 3]! ^ (c >>> 24))]! ^
      T[0xb00 | bytes[i + 4]!]! ^
      T[0xa00 | bytes[i + 5]!]! ^
      T[0x900 | bytes[i + 6]!]! ^
      T[0x800 | bytes[i + 7]!]! ^
      T[0x700 | bytes[i + 8]!]! ^
      T[0x600 | bytes[i + 9]!]! ^
      T[0x500 | bytes[i + 10]!]! ^
      T[0x400 | bytes[i + 11]!]! ^
      T[0x300 | bytes[i + 12]!]! ^
      T[0x200 | bytes[i + 13]!]! ^
      T[0x100 | bytes[i + 14]!]! ^
      T[bytes[i + 15]!]!;
  }
  for (; i < end; i++) c = T[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
