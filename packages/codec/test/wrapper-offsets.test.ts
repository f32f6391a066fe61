/**
 * Compressed wrappers and the offset rules of protocol §6.2, through the pluggable codec interface.
 * An identity "codec" is registered under id 1 (gzip) for this file only, so the rules are tested
 * without any real compression; the previous registration (if any) is restored afterwards.
 */
import {
  Compression,
  CompressionError,
  DecompressionLimitError,
  MalformedError,
  ProduceRequest,
  compressionCodec,
  createCompressedMessage,
  createGzipMessage,
  createMessage,
  decodeMessageSet,
  encodeMessages,
  registerCompressionCodec,
  type CompressionCodec,
  type Message,
} from "../src/index.ts";

const decompressCalls: number[] = [];
/** Identity "compression": the wrapper payload is the inner message set itself. */
const identityCodec: CompressionCodec = {
  name: "gzip",
  compress: (data) => data.slice(),
  decompress: (data, maxBytes) => {
    decompressCalls.push(maxBytes);
    if (data.length > maxBytes) throw new DecompressionLimitError(maxBytes);
    return data;
  },
};

let previousGzip: CompressionCodec | undefined;
beforeAll(() => {
  try {
    previousGzip = compressionCodec(Compression.Gzip);
  } catch {
    previousGzip = undefined;
  }
  registerCompressionCodec(Compression.Gzip, identityCodec);
});
afterAll(() => {
  // There is no unregister: with no previous codec, jest's per-file module registry discards this one.
  if (previousGzip) registerCompressionCodec(Compression.Gzip, previousGzip);
});

const m = (text: string): Message => createMessage(text);
const wrap = (messages: Message[]): Message => createGzipMessage(messages);

describe("protocol §6.2's worked example (identity codec instead of gzip, so the wrapper is 40 bytes, not 57)", () => {
  // Data = wrapper(hello, world) + plain "after" + a truncated entry, fetched at offset 1000.
  // Built in beforeAll: describe bodies run before the codec is registered.
  let data: Uint8Array;
  beforeAll(() => {
    const complete = encodeMessages([wrap([m("hello"), m("world")]), m("after")]);
    data = new Uint8Array(complete.length + 7);
    data.set(complete);
    data.set(encodeMessages([m("truncated")]).subarray(0, 7), complete.length);
  });
  const W = 4 + 6 + 30; // the wrapper entry: 30 bytes of inner set

  test("deep iteration: inner messages report the wrapper's start, the last one its end", () => {
    const set = decodeMessageSet(data, { baseOffset: 1000 });
    expect(set.toArray().map((x) => [x.text(), x.offset, x.nextOffset])).toEqual([
      ["hello", 1000, 1000],
      ["world", 1000, 1000 + W],
      ["after", 1000 + W, 1000 + W + 15],
    ]);
    expect(set.validBytes).toBe(W + 15);
    expect(set.nextOffset).toBe(1000 + W + 15);
    expect(set.entryCount).toBe(2); // a wrapper counts once
  });

  test("shallow iteration (decompress: false) yields the wrapper itself", () => {
    const set = decodeMessageSet(data, { baseOffset: 1000, decompress: false });
    const shallow = set.toArray();
    expect(shallow.map((x) => [x.compression, x.offset, x.nextOffset])).toEqual([
      [Compression.Gzip, 1000, 1000 + W],
      [Compression.None, 1000 + W, 1000 + W + 15],
    ]);
  });

  test("inner messages are views of the decompressed bytes and report codec 0", () => {
    const [first] = decodeMessageSet(data).toArray();
    expect(first!.compression).toBe(Compression.None);
    expect(first!.magic).toBe(1);
  });
});

test("a single-message wrapper: its only message reports the wrapper's end (V16's shape)", () => {
  const set = decodeMessageSet(encodeMessages([wrap([m("abracadabra")])]));
  expect(set.toArray().map((x) => x.nextOffset)).toEqual([4 + 6 + 4 + 6 + 11]);
});

// Nesting is refused by default (0.7 producers never nest); allowed with maxCompressionDepth, these are its offsets.
test("nested wrappers: every message reports the outermost wrapper's start, the very last its end", () => {
  const inner = wrap([m("a"), m("b")]);
  const outer = wrap([m("x"), inner]);
  const bytes = encodeMessages([m("before"), outer]);
  const outerStart = 16;
  const set = decodeMessageSet(bytes, { baseOffset: 0, maxCompressionDepth: 2 });
  expect(set.toArray().map((x) => [x.text(), x.offset, x.nextOffset])).toEqual([
    ["before", 0, 16],
    ["x", outerStart, outerStart],
    ["a", outerStart, outerStart],
    ["b", outerStart, bytes.length],
  ]);
});

test("an inner set whose last inner wrapper is not the last entry: its messages report the wrapper start", () => {
  const outer = wrap([wrap([m("a"), m("b")]), m("c")]);
  const set = decodeMessageSet(encodeMessages([outer]), { maxCompressionDepth: 2 });
  expect(set.toArray().map((x) => [x.text(), x.nextOffset])).toEqual([
    ["a", 0],
    ["b", 0],
    ["c", set.validBytes],
  ]);
});

test("a corrupt inner message is skipped and counted on the top-level set with onCorrupt 'skip'", () => {
  const inner = encodeMessages([m("good"), m("bad!")]);
  inner[inner.length - 1]! ^= 1;
  const wrapper: Message = { magic: 1, attributes: Compression.Gzip, payload: inner };
  const set = decodeMessageSet(encodeMessages([wrapper]), { onCorrupt: "skip" });
  expect(set.toArray().map((x) => x.text())).toEqual(["good"]);
  expect(set.corruptSkipped).toBe(1);
});

test("the decompressor receives maxDecompressedBytes, and its DecompressionLimitError passes through", () => {
  const bytes = encodeMessages([wrap([m("hello"), m("world")])]);
  decompressCalls.length = 0;
  decodeMessageSet(bytes).toArray();
  expect(decompressCalls).toEqual([64 * 1024 * 1024]);
  expect(() => decodeMessageSet(bytes, { maxDecompressedBytes: 10 }).toArray()).toThrow(DecompressionLimitError);
});

test("a wrapper holding an incomplete message set is a MalformedError", () => {
  const inner = encodeMessages([m("hello")]).subarray(0, 10);
  const wrapper: Message = { magic: 1, attributes: Compression.Gzip, payload: inner };
  expect(() => decodeMessageSet(encodeMessages([wrapper])).toArray()).toThrow(MalformedError);
});

test("a decompressor that throws something else becomes a CompressionError with the wrapper offset", () => {
  const failing: CompressionCodec = {
    name: "gzip",
    compress: (d) => d,
    decompress: () => {
      throw new Error("bad header");
    },
  };
  registerCompressionCodec(Compression.Gzip, failing);
  try {
    const bytes = encodeMessages([m("x"), { magic: 1, attributes: Compression.Gzip, payload: Uint8Array.of(1) }]);
    let error: unknown;
    try {
      decodeMessageSet(bytes, { baseOffset: 5 }).toArray();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CompressionError);
    expect((error as CompressionError).message).toMatch(/Cannot decompress gzip message: bad header/);
    expect((error as CompressionError).offset).toBe(5 + 11);
    expect((error as CompressionError).cause).toBeInstanceOf(Error);
  } finally {
    registerCompressionCodec(Compression.Gzip, identityCodec);
  }
});

test("codec 3 (invalid) and an unregistered codec are CompressionErrors, not crashes", () => {
  const codec3 = encodeMessages([{ magic: 1, attributes: 3, payload: Uint8Array.of(1) }]);
  expect(() => decodeMessageSet(codec3).toArray()).toThrow(/Unknown compression codec 3/);
  let snappyRegistered = true;
  try {
    compressionCodec(Compression.Snappy);
  } catch {
    snappyRegistered = false;
  }
  if (!snappyRegistered) {
    const snappy = encodeMessages([{ magic: 1, attributes: Compression.Snappy, payload: Uint8Array.of(1) }]);
    expect(() => decodeMessageSet(snappy).toArray()).toThrow(CompressionError);
  }
});

test("registerCompressionCodec accepts only ids 1 and 2", () => {
  expect(() => registerCompressionCodec(0 as 1, identityCodec)).toThrow(RangeError);
  expect(() => registerCompressionCodec(3 as 1, identityCodec)).toThrow(RangeError);
});

describe("producing compressed batches", () => {
  test("a compressed produce sends exactly one wrapper holding the batch", () => {
    const request = new ProduceRequest("t", 0, [m("a"), m("b")], { compression: "gzip" });
    const set = request.messageSet as readonly Message[];
    expect(set).toHaveLength(1);
    expect(set[0]!.attributes).toBe(Compression.Gzip);
    expect(set[0]!.payload).toEqual(encodeMessages([m("a"), m("b")]));
  });

  test("an empty batch is an empty set, never a wrapper of nothing (protocol §5.5)", () => {
    expect(new ProduceRequest("t", 0, [], { compression: "gzip" }).messageSet).toEqual([]);
  });

  test("createCompressedMessage takes names or ids", () => {
    expect(createCompressedMessage([m("a")], Compression.Gzip)).toEqual(createCompressedMessage([m("a")], "gzip"));
  });
});
