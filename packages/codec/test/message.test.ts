/** Messages: magic 0 and 1, the CRC (unsigned, over the payload only) and the pluggable CRC function. */
import {
  CrcError,
  ENTRY_OVERHEAD_MAGIC0,
  ENTRY_OVERHEAD_MAGIC1,
  Compression,
  createCompressedMessage,
  createMessage,
  createMessageFromString,
  crc32,
  decodeMessageSet,
  encodeMessages,
  entrySize,
  messagesSize,
  pureCrc32,
  type Crc32Function,
} from "../src/index.ts";
import { bytesToHex } from "@k07/testing/vectors.ts";

describe("createMessage", () => {
  test("defaults to magic 1 with attributes 0, as Java writes", () => {
    const m = createMessage("test");
    expect(m).toEqual({ magic: 1, attributes: 0, payload: new TextEncoder().encode("test") });
    expect(Object.isFrozen(m)).toBe(true);
  });

  test("references the payload bytes rather than copying them", () => {
    const payload = Uint8Array.of(1, 2, 3);
    expect(createMessage(payload).payload).toBe(payload);
  });

  test("magic 0 has no attributes byte: one byte less on the wire", () => {
    expect(entrySize(createMessage("ab", { magic: 0 }))).toBe(ENTRY_OVERHEAD_MAGIC0 + 2);
    expect(entrySize(createMessage("ab"))).toBe(ENTRY_OVERHEAD_MAGIC1 + 2);
    expect(messagesSize([createMessage("ab", { magic: 0 }), createMessage("ab")])).toBe(9 + 2 + 10 + 2);
  });

  test("createMessageFromString is createMessage for text", () => {
    expect(createMessageFromString("é")).toEqual(createMessage("é"));
    expect(() => createMessageFromString(42 as unknown as string)).toThrow(TypeError);
  });

  test("refuses payloads that are neither strings nor bytes, and magics other than 0 and 1", () => {
    expect(() => createMessage(42 as unknown as string)).toThrow(TypeError);
    expect(() => createMessage([1, 2] as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => createMessage("x", { magic: 2 as 1 })).toThrow(RangeError);
  });

  test("an empty payload is legal: length 5 (magic 0) or 6 (magic 1)", () => {
    expect(bytesToHex(encodeMessages([createMessage("", { magic: 0 })]))).toBe("0000000500" + "00000000");
    expect(bytesToHex(encodeMessages([createMessage("")]))).toBe("000000060100" + "00000000");
    expect(decodeMessageSet(encodeMessages([createMessage("")])).toArray()[0]!.payloadLength).toBe(0);
  });

  test("a compressed message needs gzip or snappy", () => {
    expect(() => createCompressedMessage([], "none")).toThrow(RangeError);
    expect(() => createCompressedMessage([], "zstd" as "gzip")).toThrow(RangeError);
  });
});

describe("CRC32", () => {
  test('is the standard IEEE CRC-32: CRC("test") = 0xD87F7E0C (protocol §5.4)', () => {
    expect(crc32(new TextEncoder().encode("test"))).toBe(0xd87f7e0c);
  });

  test("is unsigned: a payload whose CRC has the top bit set compares equal after decoding", () => {
    // "a" hashes to 0xE8B7BE43, which a signed int32 would see as negative.
    const a = new TextEncoder().encode("a");
    expect(crc32(a)).toBe(0xe8b7be43);
    const [m] = decodeMessageSet(encodeMessages([createMessage(a)])).toArray();
    expect(m!.crc).toBe(0xe8b7be43);
  });

  test("covers the payload only, not the magic or attributes", () => {
    const bytes = encodeMessages([createMessage("x")]);
    bytes[5] = 0x40; // an unused attribute bit: the CRC still matches
    const [m] = decodeMessageSet(bytes).toArray();
    expect(m!.attributes).toBe(0x40);
    expect(m!.compression).toBe(Compression.None);
  });

  test("a flipped payload bit is a CrcError naming both CRCs and the offset", () => {
    const bytes = encodeMessages([createMessage("hello"), createMessage("world")]);
    bytes[bytes.length - 1]! ^= 1;
    const set = decodeMessageSet(bytes, { baseOffset: 100, context: { topic: "t", partition: 2 } });
    const it = set[Symbol.iterator]();
    expect(it.next().value!.text()).toBe("hello");
    let error: unknown;
    try {
      it.next();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CrcError);
    const crcError = error as CrcError;
    expect(crcError.expected).toBe(0x3a771143);
    expect(crcError.actual).toBe(crc32(new TextEncoder().encode("worle")));
    expect(crcError).toMatchObject({ topic: "t", partition: 2, offset: 115 });
    expect(crcError.message).toMatch(/0x3a771143/);
  });

  describe("the crc32 option", () => {
    test("is the function the encoder and the checking decoder call (the default is the pure one)", () => {
      const calls: number[] = [];
      const counting: Crc32Function = (bytes) => {
        calls.push(bytes.length);
        return pureCrc32(bytes);
      };
      const bytes = encodeMessages([createMessage("abc")], { crc32: counting });
      decodeMessageSet(bytes, { crc32: counting }).toArray();
      expect(calls).toEqual([3, 3]);
      expect(encodeMessages([createMessage("abc")])).toEqual(bytes);
      expect(calls).toEqual([3, 3]);
    });

    test("hashes the inner messages of a compressed one, and checks them when they are expanded", () => {
      const calls: number[] = [];
      const counting: Crc32Function = (bytes) => {
        calls.push(bytes.length);
        return pureCrc32(bytes);
      };
      const wrapper = createCompressedMessage([createMessage("a"), createMessage("bc")], Compression.Gzip, { crc32: counting });
      expect(calls).toEqual([1, 2]);
      expect(
        decodeMessageSet(encodeMessages([wrapper]), { crc32: counting })
          .toArray()
          .map((m) => m.text()),
      ).toEqual(["a", "bc"]);
      expect(calls).toEqual([1, 2, wrapper.payload.length, 1, 2]);
    });

    test("a wrong CRC function makes encoded messages fail the default check (the option is really used)", () => {
      const wrong: Crc32Function = () => 0x12345678;
      const bytes = encodeMessages([createMessage("abc")], { crc32: wrong });
      expect(bytesToHex(bytes.subarray(6, 10))).toBe("12345678");
      expect(() => decodeMessageSet(bytes).toArray()).toThrow(CrcError);
      expect(decodeMessageSet(bytes, { crc32: wrong }).toArray()).toHaveLength(1);
    });

    test("refuses a non-function", () => {
      expect(() => decodeMessageSet(new Uint8Array(0), { crc32: "fast" as never })).toThrow(
        new TypeError("the crc32 option must be a function, got string"),
      );
    });
  });
});
