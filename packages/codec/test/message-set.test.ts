/**
 * Message sets (protocol §5.1, §6.2, §7): lazy decoding, the truncated tail, a first entry larger than
 * the fetch, impossible lengths, CRC handling, and pre-encoded sets passed through untouched.
 */
import {
  CrcError,
  EncodedMessageSet,
  MalformedError,
  ProduceRequest,
  createGzipMessage,
  createMessage,
  decodeMessageSet,
  decodeProduceRequestBody,
  encodeMessages,
  encodeProduceRequest,
  K07Error,
} from "../src/index.ts";
import { PARTIAL_ENTRY, h11TripleBytes } from "./helpers/h11-triple.ts";
import { concat } from "@k07/testing/bytes.ts";

const hello = createMessage("hello");
const world = createMessage("world");
const helloWorld = encodeMessages([hello, world]); // 15 + 15 bytes

function texts(bytes: Uint8Array, options?: Parameters<typeof decodeMessageSet>[1]): string[] {
  return decodeMessageSet(bytes, options)
    .toArray()
    .map((m) => m.text());
}

function int32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n);
  return b;
}

describe("decodeMessageSet", () => {
  test("reports offset, next offset, magic, attributes, codec and CRC of each message, from baseOffset", () => {
    const set = decodeMessageSet(encodeMessages([createMessage("a", { magic: 0 }), hello]), { baseOffset: 1000 });
    expect(
      set.toArray().map((m) => ({
        offset: m.offset,
        next: m.nextOffset,
        magic: m.magic,
        attributes: m.attributes,
        codec: m.compression,
        crc: m.crc,
        text: m.text(),
      })),
    ).toEqual([
      { offset: 1000, next: 1010, magic: 0, attributes: 0, codec: 0, crc: 0xe8b7be43, text: "a" },
      { offset: 1010, next: 1025, magic: 1, attributes: 0, codec: 0, crc: 0x3610a686, text: "hello" },
    ]);
    expect(set.entryCount).toBe(2);
    expect(set.nextOffset).toBe(1025);
  });

  test("is lazy: an empty set yields nothing and is complete", () => {
    const set = decodeMessageSet(new Uint8Array(0));
    expect(set.toArray()).toEqual([]);
    expect([set.validBytes, set.requiredBytes, set.truncatedBytes, set.entryCount]).toEqual([0, 0, 0, 0]);
  });

  test("can be iterated more than once, each iteration starting again", () => {
    const set = decodeMessageSet(helloWorld);
    expect([...set].map((m) => m.text())).toEqual(["hello", "world"]);
    expect([...set].map((m) => m.text())).toEqual(["hello", "world"]);
  });

  describe("a truncated tail (protocol §7.1)", () => {
    test.each([1, 3, 4, 5, 14])("with %i bytes of the last entry: ignored, reported as validBytes", (kept) => {
      const bytes = helloWorld.subarray(0, 15 + kept);
      const set = decodeMessageSet(bytes, { baseOffset: 7 });
      expect(set.toArray().map((m) => m.text())).toEqual(["hello"]);
      expect(set.validBytes).toBe(15);
      expect(set.nextOffset).toBe(22);
      expect(set.truncatedBytes).toBe(kept);
      expect(set.requiredBytes).toBe(0);
      expect(set.malformed).toBeUndefined();
    });

    test("the h11 triple: grown a byte at a time, only whole entries appear", () => {
      h11TripleBytes(helloWorld, (b) => texts(b), {
        prefix: (ms, n) => expect(ms).toEqual(n < 15 ? [] : n < 30 ? ["hello"] : ["hello", "world"]),
        trailing: PARTIAL_ENTRY,
      });
    });
  });

  describe("the first entry is larger than the bytes returned (the client grows its fetch)", () => {
    test("requiredBytes is the first entry's length + 4", () => {
      const big = encodeMessages([createMessage(new Uint8Array(100))]); // 110 bytes
      const set = decodeMessageSet(big.subarray(0, 50));
      expect(set.toArray()).toEqual([]);
      expect(set.validBytes).toBe(0);
      expect(set.requiredBytes).toBe(110);
    });

    test("with fewer than 4 bytes, not even the length arrived: requiredBytes is 4", () => {
      expect(decodeMessageSet(Uint8Array.of(0, 0)).requiredBytes).toBe(4);
    });

    test("is 0 once one entry is complete, and 0 for an impossible first length", () => {
      expect(decodeMessageSet(helloWorld.subarray(0, 20)).requiredBytes).toBe(0);
      expect(decodeMessageSet(int32(-1)).requiredBytes).toBe(0);
    });
  });

  describe("an impossible length is a MalformedError with its position", () => {
    test.each([-1, 0, 4, -2147483648])("length %i after one good entry: the good one is yielded first", (length) => {
      const bytes = concat(encodeMessages([hello]), int32(length), Uint8Array.of(1, 0, 0, 0, 0, 0));
      const set = decodeMessageSet(bytes, { baseOffset: 100, context: { topic: "t", partition: 0 } });
      expect(set.malformed).toBeInstanceOf(MalformedError);
      expect(set.malformed!.position).toBe(15);
      expect(set.malformed!.offset).toBe(115);
      expect(set.validBytes).toBe(15);
      const it = set[Symbol.iterator]();
      expect(it.next().value!.text()).toBe("hello");
      expect(() => it.next()).toThrow(MalformedError);
    });

    test("an unknown magic byte", () => {
      const bytes = encodeMessages([hello]);
      bytes[4] = 2;
      expect(() => texts(bytes)).toThrow(/Unknown magic byte 2 at byte 4/);
    });

    test("a magic-1 message too short for its attributes and CRC", () => {
      const bytes = concat(int32(5), Uint8Array.of(1, 0, 0, 0, 0));
      expect(() => texts(bytes)).toThrow(/Magic-1 message too short/);
    });

    test("a magic-0 message of length 5 is an empty payload, not an error", () => {
      expect(texts(concat(int32(5), Uint8Array.of(0, 0, 0, 0, 0)))).toEqual([""]);
    });
  });

  describe("CRC checking", () => {
    const corrupt = encodeMessages([hello, world, createMessage("after")]);
    corrupt[15 + 10]! ^= 0xff; // first payload byte of "world"

    test("is on by default: the bad message throws a CrcError (a K07Error)", () => {
      const it = decodeMessageSet(corrupt)[Symbol.iterator]();
      expect(it.next().value!.text()).toBe("hello");
      expect(() => it.next()).toThrow(CrcError);
      expect(() => it.next()).not.toThrow(); // the iterator moved past it
    });

    test("onCorrupt 'skip' drops the message and counts it", () => {
      const set = decodeMessageSet(corrupt, { onCorrupt: "skip" });
      expect(set.toArray().map((m) => m.text())).toEqual(["hello", "after"]);
      expect(set.corruptSkipped).toBe(1);
    });

    test("verifyCrc false yields the corrupt message as it is", () => {
      const set = decodeMessageSet(corrupt, { verifyCrc: false });
      const messages = set.toArray();
      expect(messages).toHaveLength(3);
      expect(messages[1]!.crc).toBe(0x3a771143);
      expect(messages[1]!.payload[0]).toBe("w".charCodeAt(0) ^ 0xff);
    });

    test("errors are K07Errors, so one catch tells bad bytes from programming errors", () => {
      expect(() => texts(corrupt)).toThrow(K07Error);
    });
  });
});

describe("pre-encoded message sets", () => {
  test("are written byte for byte and come back as a view of the request", () => {
    const passthrough = new EncodedMessageSet(helloWorld);
    const frame = encodeProduceRequest(new ProduceRequest("t", 3, passthrough));
    const decoded = decodeProduceRequestBody(frame.subarray(6));
    expect(decoded.messageSet).toEqual(helloWorld);
    expect(decoded.messageSet.buffer).toBe(frame.buffer);
    // Even bytes that are not a valid set are forwarded untouched: a proxy does not re-encode.
    const junk = Uint8Array.of(1, 2, 3);
    const junkFrame = encodeProduceRequest(new ProduceRequest("t", 0, new EncodedMessageSet(junk)));
    expect(decodeProduceRequestBody(junkFrame.subarray(6)).messageSet).toEqual(junk);
  });

  test("refuse anything but a Uint8Array, and are frozen", () => {
    expect(() => new EncodedMessageSet([1] as unknown as Uint8Array)).toThrow(TypeError);
    expect(Object.isFrozen(new EncodedMessageSet(helloWorld))).toBe(true);
  });
});

describe("what decoding reports, in the details", () => {
  test("a Node Buffer decodes to plain Uint8Array payloads viewing the same memory", () => {
    const buffer = Buffer.from(helloWorld);
    const messages = decodeMessageSet(buffer).toArray();
    expect(messages.map((m) => m.payload.constructor)).toEqual([Uint8Array, Uint8Array]);
    expect(messages[0]!.payload.buffer).toBe(buffer.buffer);
  });

  test("a response of just a 4-byte length prefix requires that whole entry", () => {
    const view = decodeMessageSet(int32(100));
    expect(view.entryCount).toBe(0);
    expect(view.requiredBytes).toBe(104);
  });

  test("an impossible length says so, with its byte position and log offset", () => {
    const iterate = () => decodeMessageSet(concat(helloWorld, int32(2)), { baseOffset: 1000, context: { topic: "t", partition: 1 } }).toArray();
    expect(iterate).toThrow(/^Impossible message length 2 at byte 30/);
    const error = (() => {
      try {
        iterate();
      } catch (e) {
        return e as MalformedError;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ offset: 1030, topic: "t", partition: 1, position: 30 });
  });

  test("an unknown magic byte is reported with the topic, partition and log offset of that byte", () => {
    const entry = concat(int32(6), Uint8Array.of(2, 0, 0, 0, 0, 0x61));
    const iterator = decodeMessageSet(concat(helloWorld, entry), { baseOffset: 500, context: { topic: "t", partition: 3 }, verifyCrc: false })[
      Symbol.iterator
    ]();
    iterator.next();
    iterator.next();
    let error: unknown;
    try {
      iterator.next();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MalformedError);
    expect(error).toMatchObject({ topic: "t", partition: 3, offset: 534, position: 34 });
    expect((error as Error).message).toMatch(/Unknown magic byte 2/);
  });

  test("messages of a wrapper nested in a wrapper at log offset 0 report offset 0, the outermost wrapper's start (nesting allowed)", () => {
    const nested = createGzipMessage([createMessage("b"), createMessage("c")]);
    const set = encodeMessages([createGzipMessage([createMessage("a"), nested])]);
    const messages = decodeMessageSet(set, { maxCompressionDepth: 2 }).toArray();
    expect(messages.map((m) => m.text())).toEqual(["a", "b", "c"]);
    expect(messages.map((m) => m.offset)).toEqual([0, 0, 0]);
    expect(messages.map((m) => m.nextOffset)).toEqual([0, 0, set.length]);
  });
});
