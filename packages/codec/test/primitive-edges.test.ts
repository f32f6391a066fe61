/**
 * The primitives at their edges: the first and last values each check accepts, the first failure a
 * Reader reports, the Writer's int32 range, how argument errors describe the value they got, and
 * the bounded topic cache. (Found by mutation testing: each test here fails on a one-line bug that
 * the tests of ordinary values let through.)
 */
import {
  CrcError,
  FetchRequest,
  Reader,
  Writer,
  checkTopic,
  checkWireSize,
  decodeUtf8,
  encodeTopic,
  encodeUtf8,
  isLegalTopicName,
  optionalInteger,
  snappyCodec,
  topicNameProblem,
} from "../src/index.ts";
import { bytesToHex } from "@k07/testing/vectors.ts";

describe("Reader", () => {
  test("the first failure is the one reported, even when a later read fails in another way", () => {
    const r = new Reader(Uint8Array.of(0));
    r.int16();
    r.bytesView(-5);
    expect(() => r.check("thing")).toThrow("Malformed thing: truncated int16: needs 2 bytes, 1 left at byte 0");
  });

  test("after a failure nothing is left to read", () => {
    const r = new Reader(Uint8Array.of(0, 0, 0, 9, 1, 2, 3));
    r.sizedBytes();
    expect(r.ok).toBe(false);
    expect(r.remaining).toBe(0);
    expect(r.rest().length).toBe(0);
  });

  test("a string of length 0 is the empty string, not an error", () => {
    const r = new Reader(Uint8Array.of(0, 0, 0, 1));
    expect(r.shortString()).toBe("");
    expect(r.int16()).toBe(1);
    r.check("string");
  });

  test.each([
    ["int8", (r: Reader) => r.int8(), "truncated int8: needs 1 bytes, 0 left"],
    ["uint32", (r: Reader) => r.uint32(), "truncated uint32: needs 4 bytes, 0 left"],
    ["int64", (r: Reader) => r.int64(), "truncated int64: needs 8 bytes, 0 left"],
  ] as const)("a truncated %s reads as 0 and is reported by its width", (_, read, reason) => {
    const r = new Reader(new Uint8Array(0));
    expect(read(r)).toBe(0);
    expect(() => r.check("field")).toThrow(`Malformed field: ${reason} at byte 0`);
  });

  test("every read works at the first byte of the reader", () => {
    const bytes = Uint8Array.of(0xd8, 0x7f, 0x7e, 0x0c);
    expect(new Reader(bytes).uint32()).toBe(0xd87f7e0c);
    expect([...new Reader(bytes).bytesView(2)]).toEqual([0xd8, 0x7f]);
    expect([...new Reader(bytes).rest()]).toEqual([...bytes]);
  });

  test("reads that fail return zero values: 0, an empty view, an empty string", () => {
    const r = new Reader(Uint8Array.of(1, 2, 3));
    expect(r.uint32()).toBe(0);
    expect(r.bytesView(5).length).toBe(0);
    expect(new Reader(Uint8Array.of(1, 2, 3)).bytesView(5).length).toBe(0);
    expect(new Reader(Uint8Array.of(0, 5, 0x61)).shortString()).toBe("");
    expect(new Reader(Uint8Array.of(0xff, 0xff, 0x61)).shortString()).toBe("");
  });

  test("rest() is a view of every byte left", () => {
    const bytes = Uint8Array.of(1, 2, 3, 4);
    const r = new Reader(bytes, 1);
    const rest = r.rest();
    expect([...rest]).toEqual([2, 3, 4]);
    expect(rest.buffer).toBe(bytes.buffer);
    expect(r.remaining).toBe(0);
    r.check("rest");
  });
});

describe("Writer errors say what went wrong", () => {
  test("a value outside int32, and a buffer left short", () => {
    expect(() => Writer.ofSize(4).int32(0x8000_0000)).toThrow(new RangeError("2147483648 does not fit an int32 field"));
    expect(() => Writer.ofSize(4).int16(1).finish()).toThrow(new RangeError("encoder wrote 2 bytes into a 4-byte buffer"));
  });
});

describe("Writer.int32 accepts the whole int32 range", () => {
  test.each([
    [-0x8000_0000, "80000000"],
    [0x7fff_ffff, "7fffffff"],
  ])("%d is %s", (value, hex) => {
    expect(bytesToHex(Writer.ofSize(4).int32(value).finish())).toBe(hex);
  });
});

describe("argument checks: the first and last values accepted", () => {
  test("a topic that is not a string is refused as such", () => {
    expect(() => checkTopic(7)).toThrow(new TypeError("topic must be a string, got 7"));
  });

  test("a partition may be anything up to 2147483647", () => {
    expect(new FetchRequest("t", 0x7fff_ffff, 0, 4).partition).toBe(0x7fff_ffff);
  });

  test("checkWireSize names the limit it was given, or calls it the limit", () => {
    expect(() => checkWireSize("a frame", 1001, 1000)).toThrow(new RangeError("a frame of 1001 bytes exceeds the limit of 1000 bytes"));
  });

  test("optionalInteger: the fallback when absent, else an integer checked against [min, max]", () => {
    expect(optionalInteger("pageBytes", undefined, 5, 0)).toBe(5);
    expect(optionalInteger("pageBytes", 0, 5, 0, 10)).toBe(0);
    expect(optionalInteger("pageBytes", 10, 5, 0, 10)).toBe(10);
    expect(optionalInteger("pageBytes", Number.MAX_SAFE_INTEGER, 5, 0)).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => optionalInteger("pageBytes", 11, 5, 0, 10)).toThrow(new RangeError("pageBytes must be in [0, 10], got 11"));
    expect(() => optionalInteger("pageBytes", -1, 5, 0, 10)).toThrow(RangeError);
    expect(() => optionalInteger("pageBytes", "5", 5, 0, 10)).toThrow(new TypeError('pageBytes must be an integer, got "5"'));
  });

  test.each([
    ["\x1f", false],
    [" ", true],
    ["~", true],
    ["\x9f", false],
    ["\xa0", true],
    ["\ud7ff", true],
    ["\uf8ff", false],
    ["\uf900", true],
    ["\uffef", true],
    ["\ufff0", false],
  ])("topic %j is legal: %s (the edges of each illegal range, protocol §8.2)", (topic, legal) => {
    expect(isLegalTopicName(topic)).toBe(legal);
  });

  test("an illegal character is named by its code point, four upper-case hex digits", () => {
    expect(topicNameProblem("ab\x1f")).toBe("contains the illegal character U+001F at index 2");
  });
});

describe("argument errors describe the value they got", () => {
  test.each([
    [["x"], "an array"],
    [{}, "an object (Object)"],
    [Object.create(null), "an object (Object)"],
    [new Map(), "an object (Map)"],
    [10n, "10n"],
    [null, "null"],
    ["x".repeat(41), JSON.stringify("x".repeat(40) + "…")],
    ["x".repeat(40), JSON.stringify("x".repeat(40))],
  ])("%p is described as %s", (value, description) => {
    expect(() => new FetchRequest("t", value as never, 0, 4)).toThrow(new TypeError(`partition must be an integer, got ${description}`));
  });
});

describe("text", () => {
  test("a short string of only non-ASCII characters decodes as UTF-8", () => {
    const bytes = encodeUtf8("éü");
    expect(decodeUtf8(bytes, 0, bytes.length)).toBe("éü");
  });

  test("a decompression cap of 0 bytes is a cap, not an error", () => {
    expect(snappyCodec.decompress(snappyCodec.compress(new Uint8Array(0)), 0).length).toBe(0);
  });

  test("a CRC in an error message is always 8 hex digits", () => {
    expect(new CrcError(0xabcd, 0xffff_ffff).message).toBe("CRC mismatch: message says 0x0000abcd, payload hashes to 0xffffffff");
  });

  test("encodeTopic keeps many topics cached, not only the last one", () => {
    const first = encodeTopic("cache-first");
    for (let i = 0; i < 100; i++) encodeTopic(`cache-other-${i}`);
    expect(encodeTopic("cache-first")).toBe(first);
  });

  test("the topic cache is bounded: after 4096 other topics, a topic is encoded afresh", () => {
    const first = encodeTopic("cache-bounded");
    for (let i = 0; i < 4096; i++) encodeTopic(`cache-filler-${i}`);
    const again = encodeTopic("cache-bounded");
    expect(again).not.toBe(first);
    expect([...again]).toEqual([...first]);
  });
});
