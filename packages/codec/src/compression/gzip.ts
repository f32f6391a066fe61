import { Gunzip, gzipSync } from "fflate";
import type { CompressionCodec } from "../compression.ts";
import { crc32 } from "../crc32.ts";
import { CompressionError, DecompressionLimitError } from "../errors.ts";

/** Smallest possible gzip member: 10-byte header, 2-byte empty deflate stream, 8-byte trailer. */
const MIN_MEMBER_BYTES = 20;
const TRAILER_BYTES = 8;
/**
 * Compressed bytes per byte of output allowance handed to the inflater at once. Deflate's best case
 * is one 258-byte match per ~2 bits (about 1032:1); twice that leaves room for the few bytes of an
 * unfinished symbol the inflater carries over, so one slice cannot inflate past what is left.
 */
const ALLOWANCE_PER_INPUT_BYTE = 2048;
/** Smallest slice: near the cap the output can overshoot by at most this × 1032 bytes (about 64 KiB). */
const MIN_STEP_BYTES = 64;
/** Largest slice, so a large payload is still inflated (and checked) in pieces. */
const MAX_STEP_BYTES = 1 << 20;
/**
 * Largest slice once a payload has shown itself to be many small members: at every member boundary
 * fflate copies the rest of the current slice, so large slices would make such input quadratic.
 */
const MANY_MEMBERS = 16;
const MANY_MEMBERS_STEP_BYTES = 2048;

/**
 * gzip (codec 1), as `java.util.zip.GZIPOutputStream`/`GZIPInputStream` (protocol §5.5).
 *
 * Compression writes one RFC 1952 member at the default level (6), with mtime 0 and OS byte 0xff
 * ("unknown"), so output does not depend on the clock or the runtime. Decompression accepts any
 * valid gzip, including several concatenated members, checks each member's CRC-32 and ISIZE, and
 * stops as soon as the output passes `maxBytes`: the input is fed to fflate's streaming inflater in
 * slices no larger than the remaining allowance could come from at deflate's maximum ratio, so it
 * refuses having produced at most about 64 KiB beyond the cap, never the whole bomb.
 */
export const gzipCodec: CompressionCodec = Object.freeze({
  name: "gzip" as const,
  compress: gzipCompress,
  decompress: gzipDecompress,
});

/** One gzip member of `data`. */
export function gzipCompress(data: Uint8Array): Uint8Array {
  const member = gzipSync(data, { level: 6, mtime: 0 });
  member[9] = 0xff; // OS: unknown (fflate writes 3, Unix); a neutral codec should not claim an OS.
  return member;
}

/**
 * Inflates `data` (one or more gzip members). Throws DecompressionLimitError as soon as the output
 * would exceed `maxBytes`, and CompressionError for anything that is not valid gzip (bad header,
 * broken deflate stream, truncation, CRC-32 or length mismatch, trailing bytes).
 */
export function gzipDecompress(data: Uint8Array, maxBytes: number): Uint8Array {
  checkMaxBytes(maxBytes);
  if (data.length < MIN_MEMBER_BYTES) {
    throw new CompressionError(`gzip data of ${data.length} bytes is shorter than the smallest gzip member (20 bytes)`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Output offsets where each member starts, and input offsets where each following member starts.
  const memberOutputStarts = [0];
  const memberInputStarts = [0];
  const inflater = new Gunzip((chunk) => {
    if (chunk.length === 0) return;
    total += chunk.length;
    if (total > maxBytes) throw new DecompressionLimitError(maxBytes);
    chunks.push(chunk);
  });
  inflater.onmember = (inputOffset) => {
    memberOutputStarts.push(total);
    memberInputStarts.push(inputOffset);
  };
  try {
    for (let position = 0; position < data.length; ) {
      // Each slice is sized to what is left of the allowance, so the check above runs before the output can balloon.
      const largest = memberInputStarts.length > MANY_MEMBERS ? MANY_MEMBERS_STEP_BYTES : MAX_STEP_BYTES;
      const step = Math.min(largest, Math.max(MIN_STEP_BYTES, Math.floor((maxBytes - total) / ALLOWANCE_PER_INPUT_BYTE)));
      const end = Math.min(position + step, data.length);
      inflater.push(data.subarray(position, end), end === data.length);
      position = end;
    }
  } catch (error) {
    if (error instanceof DecompressionLimitError) throw error;
    throw new CompressionError(`invalid gzip data: ${(error as Error).message}`, undefined, { cause: error });
  }
  const output = concat(chunks, total);
  // Member k's trailer ends where member k+1 starts; the last member's trailer ends the input.
  const memberCount = memberInputStarts.length;
  for (let member = 0; member < memberCount; member++) {
    const trailerEnd = member + 1 < memberCount ? memberInputStarts[member + 1]! : data.length;
    const outputEnd = member + 1 < memberCount ? memberOutputStarts[member + 1]! : total;
    checkTrailer(data, trailerEnd, output.subarray(memberOutputStarts[member]!, outputEnd), member);
  }
  return output;
}

/** Checks the CRC-32 and ISIZE (length mod 2^32) of a member's trailer against what it inflated to. */
function checkTrailer(data: Uint8Array, trailerEnd: number, inflated: Uint8Array, member: number): void {
  const at = trailerEnd - TRAILER_BYTES;
  if (at < 0) throw new CompressionError(`gzip member ${member} has no trailer`);
  const view = new DataView(data.buffer, data.byteOffset + at, TRAILER_BYTES);
  const storedCrc = view.getUint32(0, true);
  const storedSize = view.getUint32(4, true);
  if (storedSize !== inflated.length % 0x1_0000_0000) {
    throw new CompressionError(
      `gzip member ${member} inflated to ${inflated.length} bytes but its trailer at byte ${at} says ${storedSize} (truncated or trailing data?)`,
    );
  }
  const actualCrc = crc32(inflated);
  if (actualCrc !== storedCrc) {
    throw new CompressionError(
      `gzip member ${member}: CRC-32 of the inflated data is 0x${hex32(actualCrc)}, its trailer at byte ${at} says 0x${hex32(storedCrc)}`,
    );
  }
}

/** The cap must be a number of bytes; NaN or a negative cap would disable the check or the slicing. */
function checkMaxBytes(maxBytes: number): void {
  if (typeof maxBytes !== "number" || !(maxBytes >= 0)) {
    throw new RangeError(`maxDecompressedBytes must be a non-negative number, got ${String(maxBytes)}`);
  }
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const output = new Uint8Array(total);
  let position = 0;
  for (const chunk of chunks) {
    output.set(chunk, position);
    position += chunk.length;
  }
  return output;
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}
