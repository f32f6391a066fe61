/** Writer and Reader: big-endian fixed-width fields, exact sizing, and the Reader's sticky error. */
import { MalformedError, Reader, Writer, decodeUtf8, encodeTopic, encodeUtf8 } from "../src/index.ts";
import { bytesToHex } from "@k07/testing/vectors.ts";

describe("Writer", () => {
  test("writes big-endian integers and fills its buffer exactly", () => {
    const w = Writer.ofSize(1 + 2 + 4 + 4 + 8);
    w.int8(-1).int16(0x0102).int32(-2).uint32(0xd87f7e0c).int64(57);
    expect(bytesToHex(w.finish())).toBe("ff" + "0102" + "fffffffe" + "d87f7e0c" + "0000000000000039");
  });

  test.each([
    [-1, "ffffffffffffffff"],
    [-2, "fffffffffffffffe"],
    [0x1_0000_0000, "0000000100000000"],
    [-0x1_0000_0000, "ffffffff00000000"],
    [-0x1_0000_0001, "fffffffeffffffff"],
    [Number.MAX_SAFE_INTEGER, "001fffffffffffff"],
    [Number.MIN_SAFE_INTEGER, "ffe0000000000001"],
  ])("int64(%d) is %s, and the Reader reads it back", (value, hex) => {
    const bytes = Writer.ofSize(8).int64(value).finish();
    expect(bytesToHex(bytes)).toBe(hex);
    const r = new Reader(bytes);
    expect(r.int64()).toBe(value);
    r.check("int64");
  });

  test("uint32 writes values above 2^31 and negative signed CRCs the same way", () => {
    expect(bytesToHex(Writer.ofSize(4).uint32(0xffffffff).finish())).toBe("ffffffff");
    expect(bytesToHex(Writer.ofSize(4).uint32(-1).finish())).toBe("ffffffff");
  });

  test("a short string is an int16 byte count then the bytes", () => {
    expect(bytesToHex(Writer.ofSize(6).shortString(encodeTopic("test")).finish())).toBe("000474657374");
  });

  test("writes into a caller-owned buffer at an offset, and finish() refuses a buffer left short", () => {
    const owned = new Uint8Array(8);
    const w = new Writer(owned.subarray(2), 1);
    w.int16(0x0a0b);
    expect(bytesToHex(owned)).toBe("0000000a0b000000");
    expect(() => w.finish()).toThrow(RangeError);
  });

  test("writing past the end throws (a size computed wrong is a bug, not silent corruption)", () => {
    expect(() => Writer.ofSize(3).int32(1)).toThrow(RangeError);
  });
});

describe("Reader", () => {
  test("reads every width, big-endian, signed where the wire is signed", () => {
    const r = new Reader(Uint8Array.of(0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xfd, 0xd8, 0x7f, 0x7e, 0x0c));
    expect([r.int8(), r.int16(), r.int32(), r.uint32()]).toEqual([-1, -2, -3, 0xd87f7e0c]);
    expect(r.remaining).toBe(0);
    r.check("fields");
  });

  test("the error is sticky: the first failure is kept, later reads return zero values, check() throws once", () => {
    const r = new Reader(Uint8Array.of(0, 1, 2));
    expect(r.int16()).toBe(1);
    expect(r.int32()).toBe(0); // fails here: 4 needed, 1 left
    expect(r.ok).toBe(false);
    expect(r.int8()).toBe(0); // would succeed on its own, but the reader has failed
    expect(r.bytesView(0).length).toBe(0);
    expect(r.shortString()).toBe("");
    expect(() => r.check("thing")).toThrow(MalformedError);
    try {
      r.check("thing");
    } catch (e) {
      expect((e as MalformedError).position).toBe(2);
      expect((e as Error).message).toMatch(/Malformed thing: truncated int32: needs 4 bytes, 1 left at byte 2/);
    }
  });

  test("bytesView is a view (no copy) and refuses negative lengths", () => {
    const bytes = Uint8Array.of(1, 2, 3, 4);
    const r = new Reader(bytes, 1);
    const view = r.bytesView(2);
    expect(view.buffer).toBe(bytes.buffer);
    expect(view.byteOffset).toBe(1);
    const bad = new Reader(bytes);
    bad.bytesView(-1);
    expect(() => bad.check("bytes")).toThrow(/negative length -1/);
  });

  test.each([
    ["2^53", [0x00, 0x20, 0, 0, 0, 0, 0, 0]],
    ["-2^53", [0xff, 0xe0, 0, 0, 0, 0, 0, 0]],
    ["-2^63", [0x80, 0, 0, 0, 0, 0, 0, 0]],
  ])("an int64 of %s (outside the safe-integer range) is an error, not a rounded number", (_, bytes) => {
    const r = new Reader(Uint8Array.from(bytes));
    expect(r.int64()).toBe(0);
    expect(() => r.check("offset")).toThrow(/safe integer/);
  });

  test("short strings: UTF-8 by byte count; a null (−1) or overlong length is an error", () => {
    const cafe = encodeUtf8("café");
    const ok = new Reader(
      Writer.ofSize(2 + cafe.length)
        .shortString(cafe)
        .finish(),
    );
    expect(ok.shortString()).toBe("café");
    ok.check("string");
    const nul = new Reader(Uint8Array.of(0xff, 0xff));
    nul.shortString();
    expect(() => nul.check("string")).toThrow(/string length -1/);
    const long = new Reader(Uint8Array.of(0, 5, 0x61));
    long.shortString();
    expect(() => long.check("string")).toThrow(/truncated string/);
  });

  test("reads between a start and an end inside a larger view", () => {
    const r = new Reader(Uint8Array.of(9, 0, 7, 9), 1, 3);
    expect(r.int16()).toBe(7);
    expect(r.remaining).toBe(0);
    r.int8();
    expect(r.ok).toBe(false);
  });
});

describe("text", () => {
  test("decodeUtf8 handles ASCII fast path, multi-byte text and long strings alike", () => {
    for (const s of ["", "test", "café ☕ 𝄞", "x".repeat(200), "é".repeat(40)]) {
      const b = encodeUtf8(s);
      expect(decodeUtf8(b, 0, b.length)).toBe(s);
    }
  });

  test("encodeTopic caches: the same topic gives the same bytes object", () => {
    expect(encodeTopic("cached-topic")).toBe(encodeTopic("cached-topic"));
  });
});
