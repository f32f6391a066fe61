/**
 * The compression registry: which codec ids and option values exist, and what a decoder is told
 * when no implementation is registered. This file imports the registry module alone, without the
 * package index that registers the default gzip and snappy codecs, so it starts empty (jest gives
 * each test file its own modules).
 */
import { Compression, compressionCodec, compressionId, registerCompressionCodec, type CompressionCodec } from "../src/compression.ts";
import { CompressionError } from "../src/errors.ts";

const identity: CompressionCodec = { name: "gzip", compress: (data) => data, decompress: (data) => data };

describe("before a codec is registered", () => {
  test.each([
    [1, "No gzip implementation is registered"],
    [2, "No snappy implementation is registered"],
    [3, "Unknown compression codec 3"],
    [4, "Unknown compression codec 4"],
    [-1, "Unknown compression codec -1"],
    [0, "Unknown compression codec 0"],
  ])("asking for codec %i is a CompressionError: %s", (id, message) => {
    expect(() => compressionCodec(id)).toThrow(new CompressionError(message));
  });
});

test("a registered codec is the one decoders get for its id", () => {
  registerCompressionCodec(Compression.Gzip, identity);
  expect(compressionCodec(1)).toBe(identity);
  expect(() => compressionCodec(2)).toThrow(/No snappy implementation/);
});

test.each([0, 3, -1])("only ids 1 (gzip) and 2 (snappy) can be registered: %i is a RangeError", (id) => {
  expect(() => registerCompressionCodec(id as Compression, identity)).toThrow(
    new RangeError(`compression id must be 1 (gzip) or 2 (snappy), got ${id}`),
  );
});

describe("compressionId: the codec id of a compression option", () => {
  test.each([
    [undefined, 0],
    ["none", 0],
    [0, 0],
    ["gzip", 1],
    [1, 1],
    ["snappy", 2],
    [2, 2],
  ] as const)("%p is %i", (option, id) => {
    expect(compressionId(option)).toBe(id);
  });

  test.each(["lz4", 3, "GZIP"])("%p is a RangeError", (option) => {
    expect(() => compressionId(option as never)).toThrow(new RangeError(`compression must be "none", "gzip" or "snappy", got ${option}`));
  });
});
