/**
 * The stream helpers a proxy shares with FrameDecoder: SizePrefixSplitter reads a size prefix that
 * may arrive split across chunks, encodeSizePrefix writes one, concatBytes joins pieces.
 */
import { SizePrefixSplitter, concatBytes, encodeSizePrefix } from "../src/index.ts";
import { concat } from "@k07/testing/bytes.ts";
import { h11TripleChunks } from "./helpers/h11-triple.ts";

/**
 * Walks size-prefixed frames with one splitter, skipping their bodies as a forwarding proxy does:
 * the sizes found, the prefix bytes still held, and the body bytes still expected.
 */
function walk(chunks: readonly Uint8Array[]): { sizes: number[]; heldPrefixBytes: number; bodyLeft: number } {
  const splitter = new SizePrefixSplitter();
  const sizes: number[] = [];
  let bodyLeft = 0;
  for (const chunk of chunks) {
    let position = 0;
    while (position < chunk.length) {
      if (bodyLeft > 0) {
        const n = Math.min(bodyLeft, chunk.length - position);
        position += n;
        bodyLeft -= n;
        continue;
      }
      position = splitter.read(chunk, position);
      const size = splitter.size;
      if (size === undefined) break;
      sizes.push(size);
      bodyLeft = Math.max(0, size);
    }
  }
  return { sizes, heldPrefixBytes: splitter.buffered, bodyLeft };
}

const frames = concat(
  encodeSizePrefix(3),
  Uint8Array.of(1, 2, 3),
  encodeSizePrefix(0),
  encodeSizePrefix(4),
  new Uint8Array(4),
  encodeSizePrefix(1),
  Uint8Array.of(9),
);

describe("SizePrefixSplitter", () => {
  test("h11 triple: the same sizes whole, byte by byte, cut anywhere; a partial prefix after them stays held", () => {
    const found = h11TripleChunks(frames, walk, {
      trailing: Uint8Array.of(0, 0, 1),
      withTrailing: { sizes: [3, 0, 4, 1], heldPrefixBytes: 3, bodyLeft: 0 },
    });
    expect(found).toEqual({ sizes: [3, 0, 4, 1], heldPrefixBytes: 0, bodyLeft: 0 });
  });

  test("a prefix split 1 + 3 bytes: undefined until complete, then its value; the position moves past what it took", () => {
    const splitter = new SizePrefixSplitter();
    const bytes = Uint8Array.of(0x00, 0x01, 0x02, 0x03, 0xaa);
    expect(splitter.read(bytes.subarray(0, 1), 0)).toBe(1);
    expect(splitter.size).toBeUndefined();
    expect(splitter.buffered).toBe(1);
    expect(splitter.read(bytes, 1)).toBe(4);
    expect(splitter.size).toBe(0x0001_0203);
    expect(splitter.buffered).toBe(0);
    // The next read starts a new prefix.
    expect(splitter.read(bytes, 4)).toBe(5);
    expect(splitter.size).toBeUndefined();
  });

  test("values are read as signed int32 and not judged: checking them is the caller's part", () => {
    const splitter = new SizePrefixSplitter();
    splitter.read(Uint8Array.of(0xde, 0xad, 0xbe, 0xef), 0);
    expect(splitter.size).toBe(0xdeadbeef | 0);
    splitter.read(Uint8Array.of(0xff, 0xff, 0xff, 0xff), 0);
    expect(splitter.size).toBe(-1);
  });

  test("reading at the end of a chunk takes nothing and completes nothing", () => {
    const splitter = new SizePrefixSplitter();
    expect(splitter.read(Uint8Array.of(1, 2), 2)).toBe(2);
    expect(splitter.size).toBeUndefined();
    expect(splitter.buffered).toBe(0);
  });
});

describe("encodeSizePrefix", () => {
  test("writes a big-endian int32", () => {
    expect([...encodeSizePrefix(24)]).toEqual([0, 0, 0, 24]);
    expect([...encodeSizePrefix(0x7fff_ffff)]).toEqual([0x7f, 0xff, 0xff, 0xff]);
  });

  test.each([-1, 2 ** 31, 1.5, Number.NaN])("refuses %s with a RangeError that says what a size must be", (size) => {
    expect(() => encodeSizePrefix(size)).toThrow(new RangeError(`a frame size must be an integer in [0, 2147483647], got ${size}`));
  });
});

describe("concatBytes", () => {
  test("joins the parts in order into a buffer of their total size", () => {
    expect([...concatBytes([Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)])]).toEqual([1, 2, 3]);
    expect(concatBytes([]).length).toBe(0);
  });

  test("a single part is returned as it is, not copied", () => {
    const only = Uint8Array.of(7, 8);
    expect(concatBytes([only])).toBe(only);
  });

  test("takes its buffer from `into` when given", () => {
    const sizes: number[] = [];
    const joined = concatBytes([Uint8Array.of(1), Uint8Array.of(2)], (size) => {
      sizes.push(size);
      return new Uint8Array(size);
    });
    expect(sizes).toEqual([2]);
    expect([...joined]).toEqual([1, 2]);
  });
});
