import type { CompressionCodec, IncrementalDecompression } from "../compression.ts";
import { CompressionError, DecompressionLimitError } from "../errors.ts";
import { checkMaxDecompressedBytes } from "../primitives/validate.ts";

/** snappy-java's stream magic: 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00 (protocol §5.6). */
const STREAM_MAGIC = Uint8Array.of(0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00);
const HEADER_BYTES = 16;
const STREAM_VERSION = 1;
const STREAM_COMPATIBLE_VERSION = 1;
/** snappy-java's `SnappyOutputStream.DEFAULT_BLOCK_SIZE`: each block holds at most 32 KiB of input. */
export const SNAPPY_BLOCK_SIZE = 32 * 1024;
/** Most output one element can produce per byte of it: a 3-byte copy of 64 bytes. */
const MAX_EXPANSION_NUMERATOR = 64;
const MAX_EXPANSION_DENOMINATOR = 3;
/** Below this length a byte loop beats `subarray` + `set`/`copyWithin`. */
const SMALL_COPY = 16;
/** Least output a step decodes, so every step makes progress. */
const MIN_STEP_OUTPUT = 64 * 1024;
/** The C++ library compresses in independent fragments of 64 KiB (`kBlockSize`). */
const FRAGMENT_SIZE = 64 * 1024;
/** Bytes at a fragment's end never searched for matches (`kInputMarginBytes`). */
const INPUT_MARGIN = 15;
const MAX_HASH_TABLE_SIZE = 1 << 14;
const MIN_HASH_TABLE_SIZE = 256;
/** The match finder's hash table (`uint16` positions within a fragment), reused by every call. */
const hashTable = new Uint16Array(MAX_HASH_TABLE_SIZE);

/**
 * snappy (codec 2), framed as snappy-java's `SnappyOutputStream` writes it (protocol §5.6): a 16-byte
 * header (magic, version 1, compatible version 1), then blocks of at most 32 KiB of input, each an
 * int32 length and a raw snappy block.
 *
 * Raw blocks are compressed by k07's port of the C++ library's `CompressFragment` as of snappy
 * 1.1.9 (the hash, table sizes, skipping and copy encoding), so the output is byte-identical to
 * snappy-java on that library: checked against snappy-java 1.1.8.3 on libsnappy 1.1.9 for each of
 * 860 inputs (six kept as test fixtures), and golden vector V17 (protocol §10). Other library versions choose some
 * matches differently (1.1.8 and earlier take other bits of the hash); all decode each other's output.
 *
 * Decompression also accepts a payload without the header as one raw snappy block (kafka-python
 * 0.1 and franz-kafka send that; the 0.7 broker and Java consumer accept it). Every block's
 * declared length is read and summed before anything is decompressed or allocated, so a payload
 * that claims more than `maxBytes` is refused without work. The decoder checks every length,
 * offset and bound, and that each block produces exactly the length it declares (snappyjs's
 * decoder, for one, accepts some corrupt blocks and returns wrong bytes).
 */
export const snappyCodec: CompressionCodec = Object.freeze({
  name: "snappy" as const,
  compress: snappyCompress,
  decompress: snappyDecompress,
  decompressInSteps: (data: Uint8Array, maxBytes: number) => new SnappyDecompression(data, maxBytes),
});

/** `data` in snappy-java's stream framing: header, then one block per 32 KiB of input. */
export function snappyCompress(data: Uint8Array): Uint8Array {
  const blocks: Uint8Array[] = [];
  let size = HEADER_BYTES;
  for (let position = 0; position < data.length; position += SNAPPY_BLOCK_SIZE) {
    const block = compressRawBlock(data.subarray(position, Math.min(position + SNAPPY_BLOCK_SIZE, data.length)));
    blocks.push(block);
    size += 4 + block.length;
  }
  const output = new Uint8Array(size);
  const view = new DataView(output.buffer);
  output.set(STREAM_MAGIC, 0);
  view.setInt32(8, STREAM_VERSION);
  view.setInt32(12, STREAM_COMPATIBLE_VERSION);
  let position = HEADER_BYTES;
  for (const block of blocks) {
    view.setInt32(position, block.length);
    output.set(block, position + 4);
    position += 4 + block.length;
  }
  return output;
}

/**
 * Decompresses a snappy-java stream, or a bare raw snappy block. Throws DecompressionLimitError
 * when the declared lengths add up to more than `maxBytes`, CompressionError for corrupt data.
 */
export function snappyDecompress(data: Uint8Array, maxBytes: number): Uint8Array {
  return new SnappyDecompression(data, maxBytes).step(Number.POSITIVE_INFINITY)!;
}

/**
 * A snappy decompression done in caller-sized steps (see IncrementalDecompression). Every block
 * length is read and checked against `maxBytes` when it is created; each step then decodes about
 * `allowance` bytes of output, stopping between elements, even inside one large block.
 */
export class SnappyDecompression implements IncrementalDecompression {
  private readonly data: Uint8Array;
  private readonly blocks: RawBlock[];
  private readonly output: Uint8Array;
  private block = 0;
  /** Where decoding resumes: the next element of the current block, and the next output byte. */
  private readonly cursor = { position: 0, out: 0 };
  private blockOutputStart = 0;
  private failure: unknown;

  constructor(data: Uint8Array, maxBytes: number) {
    checkMaxDecompressedBytes(maxBytes);
    const blocks = isSnappyJavaStream(data) ? streamBlocks(data) : [rawBlock(data, 0, data.length)];
    let total = 0;
    for (const block of blocks) {
      total += block.length;
      if (total > maxBytes) throw new DecompressionLimitError(maxBytes);
    }
    for (const block of blocks) {
      const elementBytes = block.end - block.elementsStart;
      if (block.length * MAX_EXPANSION_DENOMINATOR > elementBytes * MAX_EXPANSION_NUMERATOR) {
        throw new CompressionError(
          `snappy block at byte ${block.start} claims ${block.length} bytes, more than its ${elementBytes} bytes of elements can hold`,
        );
      }
    }
    this.data = data;
    this.blocks = blocks;
    this.output = new Uint8Array(total);
    if (blocks.length > 0) this.cursor.position = blocks[0]!.elementsStart;
  }

  step(allowance: number): Uint8Array | undefined {
    if (this.failure !== undefined) throw this.failure;
    const blocks = this.blocks;
    const cursor = this.cursor;
    // Every step makes progress, however small the allowance.
    const stopAt = cursor.out + Math.max(allowance, MIN_STEP_OUTPUT);
    try {
      while (this.block < blocks.length) {
        const block = blocks[this.block]!;
        decodeElements(this.data, block, this.output, this.blockOutputStart, cursor, stopAt);
        if (cursor.position < block.end) return undefined;
        if (cursor.out !== this.blockOutputStart + block.length) {
          throw new CompressionError(
            `snappy block at byte ${block.start} declares ${block.length} bytes but its elements produce ${cursor.out - this.blockOutputStart}`,
          );
        }
        this.blockOutputStart = cursor.out;
        if (++this.block < blocks.length) cursor.position = blocks[this.block]!.elementsStart;
        if (cursor.out >= stopAt && this.block < blocks.length) return undefined;
      }
    } catch (error) {
      this.failure = error;
      throw error;
    }
    return this.output;
  }
}

/** True when `data` starts with snappy-java's full 16-byte header (otherwise it is read as one raw block). */
export function isSnappyJavaStream(data: Uint8Array): boolean {
  if (data.length < HEADER_BYTES) return false;
  for (let i = 0; i < STREAM_MAGIC.length; i++) if (data[i] !== STREAM_MAGIC[i]) return false;
  return true;
}

/** A raw snappy block inside the payload: where its elements are and how long it says it inflates to. */
interface RawBlock {
  /** Payload index of the block's first byte (its varint). */
  readonly start: number;
  readonly elementsStart: number;
  readonly end: number;
  /** The uncompressed length its varint declares. */
  readonly length: number;
}

function streamBlocks(data: Uint8Array): RawBlock[] {
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const compatibleVersion = view.getInt32(12);
  if (compatibleVersion < STREAM_COMPATIBLE_VERSION) {
    throw new CompressionError(`snappy stream compatible version ${compatibleVersion} is below 1`);
  }
  const blocks: RawBlock[] = [];
  let position = HEADER_BYTES;
  while (position < data.length) {
    if (data.length - position < 4) {
      throw new CompressionError(`snappy stream ends inside a block length at byte ${position}`);
    }
    const blockLength = view.getInt32(position);
    const start = position + 4;
    if (blockLength <= 0 || blockLength > data.length - start) {
      throw new CompressionError(`snappy block length ${blockLength} at byte ${position} does not fit the ${data.length - start} bytes that follow`);
    }
    blocks.push(rawBlock(data, start, start + blockLength));
    position = start + blockLength;
  }
  return blocks;
}

/** Reads a raw block's varint32 uncompressed length (at most 5 bytes, little-endian base 128). */
function rawBlock(data: Uint8Array, start: number, end: number): RawBlock {
  let length = 0;
  let position = start;
  for (let shift = 0; ; shift += 7) {
    if (position >= end || shift > 28) {
      throw new CompressionError(`snappy block at byte ${start} has no valid length varint`);
    }
    const byte = data[position++]!;
    length += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  if (length > 0xffff_ffff) throw new CompressionError(`snappy block at byte ${start} has a length varint above 2^32`);
  return { start, elementsStart: position, end, length };
}

/**
 * Decodes a raw block's literal and copy elements into `output` (the block's output starts at
 * `outputStart`), from `cursor` on, checking every bound; stops after the element that reaches
 * `stopAt` and leaves `cursor` where decoding resumes.
 */
function decodeElements(
  data: Uint8Array,
  block: RawBlock,
  output: Uint8Array,
  outputStart: number,
  cursor: { position: number; out: number },
  stopAt: number,
): void {
  const end = block.end;
  const outputEnd = outputStart + block.length;
  let position = cursor.position;
  let out = cursor.out;
  while (position < end && out < stopAt) {
    const elementAt = position;
    const tag = data[position++]!;
    let length: number;
    let offset: number;
    switch (tag & 3) {
      case 0: {
        length = tag >>> 2;
        if (length >= 60) {
          const extra = length - 59;
          if (position + extra > end) throw corrupt("a literal length runs past the block", elementAt);
          length = 0;
          for (let i = extra - 1; i >= 0; i--) length = length * 256 + data[position + i]!;
          position += extra;
        }
        length += 1;
        if (length > end - position) throw corrupt(`a literal of ${length} bytes runs past the block`, elementAt);
        if (length > outputEnd - out) throw corrupt("a literal overruns the declared length", elementAt);
        if (length < SMALL_COPY) {
          for (let i = 0; i < length; i++) output[out + i] = data[position + i]!;
        } else {
          output.set(data.subarray(position, position + length), out);
        }
        position += length;
        out += length;
        continue;
      }
      case 1:
        if (position >= end) throw corrupt("a copy runs past the block", elementAt);
        length = 4 + ((tag >>> 2) & 7);
        offset = ((tag >>> 5) << 8) | data[position]!;
        position += 1;
        break;
      case 2:
        if (position + 2 > end) throw corrupt("a copy runs past the block", elementAt);
        length = 1 + (tag >>> 2);
        offset = data[position]! | (data[position + 1]! << 8);
        position += 2;
        break;
      default:
        if (position + 4 > end) throw corrupt("a copy runs past the block", elementAt);
        length = 1 + (tag >>> 2);
        offset = (data[position]! | (data[position + 1]! << 8) | (data[position + 2]! << 16) | (data[position + 3]! << 24)) >>> 0;
        position += 4;
        break;
    }
    if (offset === 0 || offset > out - outputStart) throw corrupt(`a copy reaches back ${offset} bytes`, elementAt);
    if (length > outputEnd - out) throw corrupt("a copy overruns the declared length", elementAt);
    const from = out - offset;
    if (offset >= length && length >= SMALL_COPY) {
      output.copyWithin(out, from, from + length);
    } else {
      // Overlapping copies repeat the last `offset` bytes, so they must go byte by byte.
      for (let i = 0; i < length; i++) output[out + i] = output[from + i]!;
    }
    out += length;
  }
  cursor.position = position;
  cursor.out = out;
}

function corrupt(reason: string, position: number): CompressionError {
  return new CompressionError(`corrupt snappy data: ${reason} (element at byte ${position})`);
}

// ---------------------------------------------------------------------------------------------
// Compression: a port of snappy 1.1.9's `Compress`/`CompressFragment` (snappy.cc).

/** One raw snappy block: varint32 length, then each 64 KiB fragment's literal and copy elements. */
export function compressRawBlock(input: Uint8Array): Uint8Array {
  const output = new Uint8Array(32 + input.length + Math.floor(input.length / 6)); // MaxCompressedLength
  let out = 0;
  for (let rest = input.length; ; rest = Math.floor(rest / 128)) {
    if (rest < 128) {
      output[out++] = rest;
      break;
    }
    output[out++] = (rest & 0x7f) | 0x80;
  }
  for (let start = 0; start < input.length; start += FRAGMENT_SIZE) {
    out = compressFragment(input, start, Math.min(start + FRAGMENT_SIZE, input.length), output, out);
  }
  return output.slice(0, out);
}

function load32(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
}

/** snappy 1.1.9's `HashBytes`: bits 18 and up of the product, masked to the table (1.1.8 took the top bits). */
function hashIndex(bytes: number, mask: number): number {
  return (Math.imul(bytes, 0x1e35a7bd) >>> 18) & mask;
}

/**
 * Greedy matching with a hash table of 4-byte sequences, as the C++ library does it: look-ups
 * every byte at first, then further apart the longer nothing matches (`skip`); the last 15 bytes are
 * never searched. Returns the new output position.
 */
function compressFragment(input: Uint8Array, start: number, end: number, output: Uint8Array, out: number): number {
  let tableSize = MIN_HASH_TABLE_SIZE;
  while (tableSize < MAX_HASH_TABLE_SIZE && tableSize < end - start) tableSize *= 2;
  const mask = tableSize - 1;
  const table = hashTable;
  table.fill(0, 0, tableSize);
  let nextEmit = start;
  if (end - start >= INPUT_MARGIN) {
    const ipLimit = end - INPUT_MARGIN;
    let ip = start + 1;
    let nextHash = hashIndex(load32(input, ip), mask);
    search: for (;;) {
      let skip = 32;
      let nextIp = ip;
      let candidate: number;
      do {
        ip = nextIp;
        const hash = nextHash;
        const bytesBetweenLookups = skip >>> 5;
        skip += bytesBetweenLookups;
        nextIp = ip + bytesBetweenLookups;
        if (nextIp > ipLimit) break search;
        nextHash = hashIndex(load32(input, nextIp), mask);
        candidate = start + table[hash]!;
        table[hash] = ip - start;
      } while (load32(input, ip) !== load32(input, candidate));

      out = emitLiteral(input, nextEmit, ip, output, out);
      // Emit copies for as long as the position right after each one starts another match.
      for (;;) {
        const matchStart = ip;
        let matched = 4;
        while (ip + matched < end && input[ip + matched] === input[candidate + matched]) matched++;
        ip += matched;
        out = emitCopy(output, out, matchStart - candidate, matched);
        nextEmit = ip;
        if (ip >= ipLimit) break search;
        table[hashIndex(load32(input, ip - 1), mask)] = ip - 1 - start;
        const hash = hashIndex(load32(input, ip), mask);
        candidate = start + table[hash]!;
        table[hash] = ip - start;
        if (load32(input, ip) !== load32(input, candidate)) break;
      }
      ip++;
      nextHash = hashIndex(load32(input, ip), mask);
    }
  }
  if (nextEmit < end) out = emitLiteral(input, nextEmit, end, output, out);
  return out;
}

/** A literal element: tag with length − 1 (or 60/61 and 1–2 length bytes), then the bytes. */
function emitLiteral(input: Uint8Array, from: number, to: number, output: Uint8Array, out: number): number {
  const n = to - from - 1;
  if (n < 60) {
    output[out++] = n << 2;
  } else if (n < 256) {
    output[out++] = 60 << 2;
    output[out++] = n;
  } else {
    output[out++] = 61 << 2;
    output[out++] = n & 0xff;
    output[out++] = n >>> 8;
  }
  const length = to - from;
  if (length < SMALL_COPY) {
    for (let i = 0; i < length; i++) output[out + i] = input[from + i]!;
  } else {
    output.set(input.subarray(from, to), out);
  }
  return out + length;
}

/** A copy of any length: 64-byte pieces (keeping at least 4 for the last), then the rest. */
function emitCopy(output: Uint8Array, out: number, offset: number, length: number): number {
  while (length >= 68) {
    out = emitCopyAtMost64(output, out, offset, 64);
    length -= 64;
  }
  if (length > 64) {
    out = emitCopyAtMost64(output, out, offset, 60);
    length -= 60;
  }
  return emitCopyAtMost64(output, out, offset, length);
}

/** A 2-byte copy element when the length is 4–11 and the offset below 2048, else a 3-byte one. */
function emitCopyAtMost64(output: Uint8Array, out: number, offset: number, length: number): number {
  if (length < 12 && offset < 2048) {
    output[out++] = 1 | ((length - 4) << 2) | ((offset >>> 8) << 5);
    output[out++] = offset & 0xff;
  } else {
    output[out++] = 2 | ((length - 1) << 2);
    output[out++] = offset & 0xff;
    output[out++] = offset >>> 8;
  }
  return out;
}
