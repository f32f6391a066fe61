/**
 * Requests at their edges: the largest counts a request can hold, immutable request objects, plain
 * data checked as the constructors check it, and decoding errors that say which request was bad
 * and where. (Found by mutation testing: each test here fails on a one-line bug that the round-trip
 * tests let through.)
 */
import {
  FetchRequest,
  MultiFetchRequest,
  MultiProduceRequest,
  OffsetRequest,
  ProduceRequest,
  createMessage,
  decodeFetchRequestBody,
  decodeMultiFetchRequestBody,
  decodeMultiProduceRequestBody,
  decodeOffsetRequestBody,
  decodeOffsetsResponse,
  decodeProduceRequestBody,
  decodeRequest,
  encodeMultiProduceRequest,
  encodeOffsetRequest,
  encodeOffsetsResponse,
  encodeProduceRequest,
  encodeRequest,
  multiProducePrefix,
  type Allocator,
} from "../src/index.ts";
import { malformed } from "./helpers/malformed.ts";

const INT16_MAX = 0x7fff;

describe("the largest counts: 32767 fetches or produces fit the int16 count", () => {
  test("a MultiFetch of 32767 fetches encodes and decodes", () => {
    const fetches = Array.from({ length: INT16_MAX }, (_, i) => new FetchRequest("t", 0, i, 4));
    const decoded = decodeRequest(encodeRequest(new MultiFetchRequest(fetches)).subarray(4));
    expect(decoded.type).toBe(2);
    expect(decoded.type === 2 && decoded.fetches.length).toBe(INT16_MAX);
  });

  test("a MultiProduce of 32767 produces encodes, decodes, and its prefix of all 32767 parts is the whole request", () => {
    const produces = new Array<ProduceRequest>(INT16_MAX).fill(new ProduceRequest("t", 0, []));
    const frame = encodeRequest(new MultiProduceRequest(produces));
    const decoded = decodeRequest(frame.subarray(4));
    expect(decoded.type === 3 && decoded.produces.length).toBe(INT16_MAX);
    const [head, parts] = multiProducePrefix(frame.subarray(4), INT16_MAX);
    expect(Buffer.concat([head, parts]).equals(Buffer.from(frame))).toBe(true);
  });
});

describe("requests are immutable, and plain data given to a constructor is checked", () => {
  test("a MultiFetch's list of fetches cannot be changed after it is built", () => {
    const request = new MultiFetchRequest([new FetchRequest("t", 0, 0, 4)]);
    expect(Object.isFrozen(request)).toBe(true);
    expect(Object.isFrozen(request.fetches)).toBe(true);
    expect(() => (request.fetches as FetchRequest[]).push(new FetchRequest("u", 0, 0, 4))).toThrow(TypeError);
  });

  test("a MultiProduce's list of produces cannot be changed after it is built", () => {
    const request = new MultiProduceRequest([new ProduceRequest("t", 0, [])]);
    expect(Object.isFrozen(request)).toBe(true);
    expect(Object.isFrozen(request.produces)).toBe(true);
  });

  test("plain fetches and produces become checked requests, so a bad one is refused when the list is built", () => {
    expect(() => new MultiFetchRequest([{ topic: "t", partition: -1, offset: 0, maxSize: 4 }])).toThrow(/partition/);
    expect(() => new MultiProduceRequest([{ topic: "a/b", partition: 0, messageSet: [] }])).toThrow(RangeError);
    const built = new MultiFetchRequest([{ topic: "t", partition: 1, offset: 2, maxSize: 4 }]);
    expect(built.fetches[0]).toBeInstanceOf(FetchRequest);
  });

  test("an Offsets request needs a partition ≥ 0 (−1 means a random partition only for a produce)", () => {
    expect(() => new OffsetRequest("t", -1, -1, 1)).toThrow(new RangeError("partition must be in [0, 2147483647], got -1"));
    expect(() => new ProduceRequest("t", -1, [])).not.toThrow();
  });

  test("a message of magic other than 0 or 1 is not a message a produce can carry", () => {
    const forged = { ...createMessage("x"), magic: 2 };
    expect(() => new ProduceRequest("t", 0, [forged] as never)).toThrow(/messages\[0\] is not a message/);
  });

  test("the encoders check plain data the constructors would refuse, even where the wire could carry it", () => {
    expect(() => encodeOffsetRequest({ topic: "t", partition: 0, time: -3, maxNumOffsets: 1 })).toThrow(new RangeError("time must be ≥ -2, got -3"));
    expect(() => encodeProduceRequest({ topic: "t", partition: -2, messageSet: [] })).toThrow(
      new RangeError("partition must be in [-1, 2147483647], got -2"),
    );
    expect(() => encodeMultiProduceRequest([{ topic: "a/b", partition: 0, messageSet: [] }])).toThrow(/topic "a\/b" contains the illegal character/);
  });

  test("lists that are not arrays are refused as such", () => {
    expect(() => new ProduceRequest("t", 0, "hello" as never)).toThrow(
      new TypeError('messages must be an array of messages or payloads, or an EncodedMessageSet, got "hello"'),
    );
    expect(() => encodeRequest({ topic: "t", produces: [] } as never)).toThrow(
      new TypeError("not a k07 request (use FetchRequest, ProduceRequest, OffsetRequest, MultiFetchRequest or MultiProduceRequest)"),
    );
    expect(() => new MultiFetchRequest("x" as never)).toThrow(new TypeError('fetches must be an array, got "x"'));
    expect(() => new MultiProduceRequest({} as never)).toThrow(new TypeError("produces must be an array, got an object (Object)"));
    expect(() => multiProducePrefix(new Uint8Array(4), 1.5)).toThrow(new RangeError("count must be an integer in [0, 32767], got 1.5"));
  });

  test("an Offsets response needs an array of offsets", () => {
    expect(() => encodeOffsetsResponse(57 as never)).toThrow(new TypeError("offsets must be an array, got 57"));
  });
});

describe("decoding errors name the request and the position", () => {
  test.each([
    ["Produce", decodeProduceRequestBody, "Malformed Produce request: truncated int16: needs 2 bytes, 1 left at byte 0"],
    ["Fetch", decodeFetchRequestBody, "Malformed Fetch request: truncated int16: needs 2 bytes, 1 left at byte 0"],
    ["MultiFetch", decodeMultiFetchRequestBody, "Malformed MultiFetch request: truncated int16: needs 2 bytes, 1 left at byte 0"],
    ["MultiProduce", decodeMultiProduceRequestBody, "Malformed MultiProduce request: truncated int16: needs 2 bytes, 1 left at byte 0"],
    ["Offsets", decodeOffsetRequestBody, "Malformed Offsets request: truncated int16: needs 2 bytes, 1 left at byte 0"],
    ["Offsets response", decodeOffsetsResponse, "Malformed Offsets response: truncated int16: needs 2 bytes, 1 left at byte 0"],
  ] as const)("a %s body of 1 byte", (_, decode, message) => {
    expect(malformed(() => decode(Uint8Array.of(0))).message).toBe(message);
  });

  test("a frame too short for the type field is a malformed request at byte 0", () => {
    const error = malformed(() => decodeRequest(Uint8Array.of(0)));
    expect(error.message).toBe("Malformed request: truncated int16: needs 2 bytes, 1 left at byte 0");
    expect(error.position).toBe(0);
  });

  test("a MultiProduce with fewer parts than asked for is reported at its count (byte 2)", () => {
    const frame = encodeRequest(new MultiProduceRequest([new ProduceRequest("t", 0, [])])).subarray(4);
    const error = malformed(() => multiProducePrefix(frame, 2));
    expect(error.message).toBe("Malformed MultiProduce request: the request has fewer than 2 parts at byte 2");
    expect(error.position).toBe(2);
  });
});

describe("the largest frame: 2147483647 bytes in all, size prefix included", () => {
  /** A plain Produce (so no constructor checks it first) of `contentBytes` after the size prefix, from shared payloads. */
  function produceOf(contentBytes: number) {
    // type(2) + topic "t"(2 + 1) + partition(4) + set size(4); each message is 10 bytes + payload.
    const setBytes = contentBytes - 13;
    const big = new Uint8Array(1 << 20);
    const count = Math.floor(setBytes / (10 + big.length)) - 1;
    const last = new Uint8Array(setBytes - count * (10 + big.length) - 10);
    return {
      topic: "t",
      partition: 0,
      messageSet: [...new Array<ReturnType<typeof createMessage>>(count).fill(createMessage(big)), createMessage(last)],
    };
  }

  /** The sizes `encode` asks its allocator for; the allocator refuses, so nothing that large is allocated. */
  function allocationsAsked(encode: (allocate: Allocator) => void): number[] {
    const sizes: number[] = [];
    expect(() =>
      encode((size) => {
        sizes.push(size);
        throw new Error("not allocated");
      }),
    ).toThrow();
    return sizes;
  }

  test("a frame of exactly 2147483647 bytes is asked of the allocator", () => {
    expect(allocationsAsked((allocate) => encodeProduceRequest(produceOf(0x7fff_ffff - 4), { allocate }))).toEqual([0x7fff_ffff]);
  });

  test("one byte more is a RangeError naming the largest frame, before anything is allocated", () => {
    const sizes: number[] = [];
    const allocate = (size: number) => {
      sizes.push(size);
      return new Uint8Array(0);
    };
    expect(() => encodeProduceRequest(produceOf(0x7fff_ffff - 3), { allocate })).toThrow(
      new RangeError("a Produce request of 2147483644 bytes exceeds the largest frame of 2147483643 bytes"),
    );
    expect(sizes).toEqual([]);
  });

  test("a ProduceRequest that could not be sent is never built", () => {
    const tooLarge = produceOf(0x7fff_ffff - 3);
    expect(() => new ProduceRequest(tooLarge.topic, tooLarge.partition, tooLarge.messageSet)).toThrow(
      new RangeError("a Produce request of 2147483644 bytes exceeds the largest frame of 2147483643 bytes"),
    );
  });
});
