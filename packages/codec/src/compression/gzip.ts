import CRC32 from "crc-32";
import { Gunzip, gzipSync } from "fflate";
import type { CompressionCodec, IncrementalDecompression } from "../compression.ts";
import { crc32 } from "../crc32.ts";
import { CompressionError, DecompressionLimitError } from "../errors.ts";
import { hex32 } from "../primitives/text.ts";
import { checkMaxDecompressedBytes } from "../primitives/validate.ts";

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
/** Least output joined or checked by a step once inflating is done, so every step makes progress. */
const MIN_FINISH_BYTES = 64 * 1024;

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
  decompressInSteps: (data: Uint8Array, maxBytes: number) => new GzipDecompression(data, maxBytes),
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
  return new GzipDecompression(data, maxBytes).step(Number.POSITIVE_INFINITY)!;
}

/**
 * A gzip decompression done in caller-sized steps (see IncrementalDecompression): inflating, then
 * joining the output and checking each member's trailer, never more than about `allowance` bytes
 * of output per step. Same checks and errors as `gzipDecompress`.
 */
export class GzipDecompression implements IncrementalDecompression {
  private readonly data: Uint8Array;
  private readonly maxBytes: number;
  private readonly inflater: Gunzip;
  private readonly chunks: Uint8Array[] = [];
  private total = 0;
  /** Input bytes fed to the inflater so far. */
  private position = 0;
  // Output offsets where each member starts, and input offsets where each following member starts.
  private readonly memberOutputStarts = [0];
  private readonly memberInputStarts = [0];
  /** Once inflated: the joined output, how much of it is filled, and the next member to check. */
  private output: Uint8Array | undefined;
  private joinedChunks = 0;
  private joinedBytes = 0;
  private checkedMembers = 0;
  /** Running CRC (crc-32's signed form) and progress of the member being checked in pieces. */
  private memberCrc = 0;
  private memberChecked = 0;
  private failure: unknown;

  constructor(data: Uint8Array, maxBytes: number) {
    checkMaxDecompressedBytes(maxBytes);
    if (data.length < MIN_MEMBER_BYTES) {
      throw new CompressionError(`gzip data of ${data.length} bytes is shorter than the smallest gzip member (20 bytes)`);
    }
    this.data = data;
    this.maxBytes = maxBytes;
    this.inflater = new Gunzip((chunk) => {
      if (chunk.length === 0) return;
      this.total += chunk.length;
      if (this.total > maxBytes) throw new DecompressionLimitError(maxBytes);
      this.chunks.push(chunk);
    });
    this.inflater.onmember = (inputOffset) => {
      this.memberOutputStarts.push(this.total);
      this.memberInputStarts.push(inputOffset);
    };
  }

  step(allowance: number): Uint8Array | undefined {
    if (this.failure !== undefined) throw this.failure;
    try {
      return this.work(allowance);
    } catch (error) {
      this.failure = error;
      throw error;
    }
  }

  private work(allowance: number): Uint8Array | undefined {
    const data = this.data;
    // Every step makes progress, however small the allowance.
    const stopAt = this.total + Math.max(allowance, MIN_FINISH_BYTES);
    try {
      while (this.position < data.length) {
        if (this.total >= stopAt) return undefined;
        // Each slice is sized to what is left of the cap (and of this step's allowance), so the
        // check in the callback runs before the output can balloon.
        const largest = this.memberInputStarts.length > MANY_MEMBERS ? MANY_MEMBERS_STEP_BYTES : MAX_STEP_BYTES;
        const room = Math.min(this.maxBytes - this.total, stopAt - this.total);
        const step = Math.min(largest, Math.max(MIN_STEP_BYTES, Math.floor(room / ALLOWANCE_PER_INPUT_BYTE)));
        const end = Math.min(this.position + step, data.length);
        this.inflater.push(data.subarray(this.position, end), end === data.length);
        this.position = end;
      }
    } catch (error) {
      if (error instanceof DecompressionLimitError) throw error;
      throw new CompressionError(`invalid gzip data: ${(error as Error).message}`, undefined, { cause: error });
    }
    // Joining and checking cost about as much per byte as inflating: they count against the allowance too.
    const budget = this.join(Math.max(MIN_FINISH_BYTES, stopAt - this.total));
    if (this.output === undefined || this.joinedChunks < this.chunks.length) return undefined;
    return this.check(budget) ? this.output : undefined;
  }

  /** Copies the chunks into one output buffer, about `budget` bytes at a time; returns what is left of it. */
  private join(budget: number): number {
    const chunks = this.chunks;
    if (this.output === undefined) {
      if (chunks.length === 1) {
        this.joinedChunks = 1;
        this.output = chunks[0]!;
        return budget;
      }
      this.output = new Uint8Array(this.total);
    }
    const output = this.output;
    while (this.joinedChunks < chunks.length && budget > 0) {
      const chunk = chunks[this.joinedChunks++]!;
      output.set(chunk, this.joinedBytes);
      this.joinedBytes += chunk.length;
      budget -= chunk.length;
    }
    if (this.joinedChunks === chunks.length) chunks.length = 0;
    return budget;
  }

  /** Checks member trailers, a member's CRC-32 in pieces when it is larger than `budget`; true when all are checked. */
  private check(budget: number): boolean {
    const output = this.output!;
    const memberCount = this.memberInputStarts.length;
    while (this.checkedMembers < memberCount) {
      const member = this.checkedMembers;
      const last = member + 1 === memberCount;
      // Member k's trailer ends where member k+1 starts; the last member's trailer ends the input.
      const trailerEnd = last ? this.data.length : this.memberInputStarts[member + 1]!;
      const outputStart = this.memberOutputStarts[member]!;
      const outputEnd = last ? this.total : this.memberOutputStarts[member + 1]!;
      const length = outputEnd - outputStart;
      let actualCrc: number;
      if (this.memberChecked === 0 && length <= budget) {
        actualCrc = crc32(output.subarray(outputStart, outputEnd));
      } else {
        if (budget <= 0) return false;
        const from = outputStart + this.memberChecked;
        const to = Math.min(outputEnd, from + Math.max(budget, MIN_FINISH_BYTES));
        this.memberCrc = CRC32.buf(output.subarray(from, to), this.memberCrc);
        this.memberChecked += to - from;
        budget -= to - from;
        if (to < outputEnd) return false;
        actualCrc = this.memberCrc >>> 0;
      }
      this.memberCrc = 0;
      this.memberChecked = 0;
      budget -= length;
      checkTrailer(this.data, trailerEnd, length, actualCrc, member);
      this.checkedMembers++;
    }
    return true;
  }
}

/** Checks the CRC-32 and ISIZE (length mod 2^32) of a member's trailer against what it inflated to. */
function checkTrailer(data: Uint8Array, trailerEnd: number, inflatedLength: number, actualCrc: number, member: number): void {
  const at = trailerEnd - TRAILER_BYTES;
  if (at < 0) throw new CompressionError(`gzip member ${member} has no trailer`);
  const view = new DataView(data.buffer, data.byteOffset + at, TRAILER_BYTES);
  const storedCrc = view.getUint32(0, true);
  const storedSize = view.getUint32(4, true);
  if (storedSize !== inflatedLength % 0x1_0000_0000) {
    throw new CompressionError(
      `gzip member ${member} inflated to ${inflatedLength} bytes but its trailer at byte ${at} says ${storedSize} (truncated or trailing data?)`,
    );
  }
  if (actualCrc !== storedCrc) {
    throw new CompressionError(
      `gzip member ${member}: CRC-32 of the inflated data is 0x${hex32(actualCrc)}, its trailer at byte ${at} says 0x${hex32(storedCrc)}`,
    );
  }
}
