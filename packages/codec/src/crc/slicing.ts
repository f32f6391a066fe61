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

// One 256-entry array per table, and the loop in the shape of the crc-32 package's (`bytes[i++]`,
// the CRC's bytes masked before the XOR): both measured faster in V8 than a flat table indexed
// `T[0xf00 | b]` with `bytes[i + k]`.
const [T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15] = Array.from({ length: 16 }, (_, k) =>
  CRC32_TABLES.slice(k * 256, k * 256 + 256),
) as [
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
];

/** The unchecked loop: callers guarantee 0 ≤ start ≤ end ≤ bytes.length. */
export function sliceBy16(bytes: Uint8Array, start: number, end: number, previous: number): number {
  return sliceBy16Int32(bytes, start, end, previous) >>> 0;
}

/**
 * `sliceBy16`'s CRC as a signed int32 (the same 32 bits): an unsigned value of 2^31 or more is a
 * heap number in V8, allocated at every return from a call that is not inlined, which an encoder that
 * only stores the CRC's bytes need not pay for.
 */
export function sliceBy16Int32(bytes: Uint8Array, start: number, end: number, previous: number): number {
  let c = previous ^ -1;
  let i = start;
  for (const end16 = end - 15; i < end16;) {
    c =
      T15[bytes[i++]! ^ (c & 255)]! ^
      T14[bytes[i++]! ^ ((c >> 8) & 255)]! ^
      T13[bytes[i++]! ^ ((c >> 16) & 255)]! ^
      T12[bytes[i++]! ^ (c >>> 24)]! ^
      T11[bytes[i++]!]! ^
      T10[bytes[i++]!]! ^
      T9[bytes[i++]!]! ^
      T8[bytes[i++]!]! ^
      T7[bytes[i++]!]! ^
      T6[bytes[i++]!]! ^
      T5[bytes[i++]!]! ^
      T4[bytes[i++]!]! ^
      T3[bytes[i++]!]! ^
      T2[bytes[i++]!]! ^
      T1[bytes[i++]!]! ^
      T0[bytes[i++]!]!;
  }
  while (i < end) c = (c >>> 8) ^ T0[(c ^ bytes[i++]!) & 255]!;
  return ~c;
}
