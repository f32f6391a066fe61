/**
 * All five requests and the three response kinds, both directions: what a client encodes, a broker
 * or proxy decodes, and the other way round. Decoders run through the h11 triple.
 */
import {
  EncodedMessageSet,
  FetchRequest,
  MalformedError,
  MultiFetchRequest,
  MultiProduceRequest,
  OffsetRequest,
  ProduceRequest,
  createMessage,
  decodeFetchResponse,
  decodeMessageSet,
  decodeMultiFetchResponse,
  decodeOffsetsResponse,
  decodeRequest,
  encodeFetchResponse,
  encodeFetchResponseHeader,
  encodeMessages,
  encodeMultiFetchResponse,
  encodeOffsetsResponse,
  encodeRequest,
  type Request,
} from "../src/index.ts";
import { requestTypeName } from "../src/protocol/request-type.ts";
import { h11TripleFrame } from "./helpers/h11-triple.ts";
import { bytesToHex } from "@k07/testing/vectors.ts";

const set = encodeMessages([createMessage("one"), createMessage("two", { magic: 0 })]);

/** Turns decoded byte views into hex so results compare by value. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return bytesToHex(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

describe("requests: encodeRequest → decodeRequest gives the fields back", () => {
  const cases: [string, Request, unknown][] = [
    [
      "Produce",
      new ProduceRequest("orders", 2, [createMessage("one"), createMessage("two", { magic: 0 })]),
      { type: 0, topic: "orders", partition: 2, messageSet: bytesToHex(set) },
    ],
    ["Produce to a random partition (−1)", new ProduceRequest("t", -1, []), { type: 0, topic: "t", partition: -1, messageSet: "" }],
    ["Fetch", new FetchRequest("orders", 1, 2 ** 40, 4096), { type: 1, topic: "orders", partition: 1, offset: 2 ** 40, maxSize: 4096 }],
    ["Fetch with maxSize 0", new FetchRequest("t", 0, 0, 0), { type: 1, topic: "t", partition: 0, offset: 0, maxSize: 0 }],
    [
      "MultiFetch",
      new MultiFetchRequest([new FetchRequest("a", 0, 10, 100), { topic: "b", partition: 1, offset: 20, maxSize: 200 }]),
      {
        type: 2,
        fetches: [
          { topic: "a", partition: 0, offset: 10, maxSize: 100 },
          { topic: "b", partition: 1, offset: 20, maxSize: 200 },
        ],
      },
    ],
    ["MultiFetch of nothing (count 0 is accepted)", new MultiFetchRequest([]), { type: 2, fetches: [] }],
    [
      "MultiProduce",
      new MultiProduceRequest([
        new ProduceRequest("a", 0, [createMessage("one"), createMessage("two", { magic: 0 })]),
        { topic: "b", partition: 1, messageSet: new EncodedMessageSet(set) },
      ]),
      {
        type: 3,
        produces: [
          { topic: "a", partition: 0, messageSet: bytesToHex(set) },
          { topic: "b", partition: 1, messageSet: bytesToHex(set) },
        ],
      },
    ],
    ["Offsets latest", new OffsetRequest("t", 0, -1, 1), { type: 4, topic: "t", partition: 0, time: -1, maxNumOffsets: 1 }],
    [
      "Offsets by time",
      new OffsetRequest("t", 3, 1_700_000_000_000, 5),
      { type: 4, topic: "t", partition: 3, time: 1_700_000_000_000, maxNumOffsets: 5 },
    ],
    [
      "a topic with non-ASCII characters (UTF-8 byte count, protocol §1)",
      new FetchRequest("café", 0, 0, 4),
      { type: 1, topic: "café", partition: 0, offset: 0, maxSize: 4 },
    ],
  ];
  test.each(cases)("%s", (_, request, expected) => {
    const frame = encodeRequest(request);
    expect(plain(h11TripleFrame(frame, decodeRequest, plain))).toEqual(expected);
  });

  test("the size prefix of a Fetch for 'test' is 24 (protocol §2.7)", () => {
    expect(bytesToHex(encodeRequest(new FetchRequest("test", 0, 0, 4)).subarray(0, 4))).toBe("00000018");
  });

  test("extra bytes after a request's fields are ignored, as the broker does (protocol §2.1)", () => {
    const frame = encodeRequest(new OffsetRequest("t", 0, -2, 1));
    const longer = new Uint8Array(frame.length + 3);
    longer.set(frame);
    expect(decodeRequest(longer.subarray(4))).toEqual({ type: 4, topic: "t", partition: 0, time: -2, maxNumOffsets: 1 });
  });

  test("an unknown type or a body too short is a MalformedError with a frame-relative position", () => {
    expect(() => decodeRequest(Uint8Array.of(0, 5))).toThrow(/Unknown request type 5/);
    expect(() => decodeRequest(Uint8Array.of(0))).toThrow(MalformedError);
    const frame = encodeRequest(new FetchRequest("test", 0, 0, 4)).subarray(4);
    try {
      decodeRequest(frame.subarray(0, frame.length - 1));
      throw new Error("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(MalformedError);
      expect((e as MalformedError).position).toBe(2 + 2 + 4 + 4 + 8);
      expect((e as Error).message).toMatch(/Malformed Fetch request: truncated int32/);
    }
  });

  test("a MultiFetch or MultiProduce count the body cannot hold is refused before allocating", () => {
    expect(() => decodeRequest(Uint8Array.of(0, 2, 0x7f, 0xff))).toThrow(/fetch count 32767 does not fit/);
    expect(() => decodeRequest(Uint8Array.of(0, 3, 0xff, 0xff))).toThrow(/produce count -1 does not fit/);
  });

  test("a produce whose declared set size runs past the frame is malformed", () => {
    const frame = encodeRequest(new ProduceRequest("t", 0, [createMessage("x")])).subarray(4);
    expect(() => decodeRequest(frame.subarray(0, frame.length - 1))).toThrow(/truncated bytes/);
  });

  test("encodeRequest refuses things that are not requests", () => {
    expect(() => encodeRequest({ topic: "t" } as unknown as Request)).toThrow(TypeError);
  });

  test("request type names, as decoding errors give them", () => {
    expect([0, 1, 2, 3, 4, 9].map(requestTypeName)).toEqual(["Produce", "Fetch", "MultiFetch", "MultiProduce", "Offsets", "unknown request type 9"]);
  });
});

describe("responses: encode → decode", () => {
  test("fetch response, with data and with each error code", () => {
    for (const errorCode of [0, 1, 3, -1, 4]) {
      const messageSet = errorCode === 0 ? set : new Uint8Array(0);
      const frame = encodeFetchResponse({ errorCode, messageSet });
      expect(plain(h11TripleFrame(frame, decodeFetchResponse, plain))).toEqual({ errorCode, messageSet: bytesToHex(messageSet) });
    }
  });

  test("encodeFetchResponseHeader is the first 6 bytes of the full response (what a broker writes before the log slice)", () => {
    expect(encodeFetchResponseHeader(0, set.length)).toEqual(encodeFetchResponse({ errorCode: 0, messageSet: set }).subarray(0, 6));
  });

  test("a fetch response frame shorter than its error code is malformed", () => {
    expect(() => decodeFetchResponse(Uint8Array.of(0))).toThrow(MalformedError);
  });

  test("multi-fetch response, decoded with the count that was sent", () => {
    const parts = [
      { errorCode: 0, messageSet: set },
      { errorCode: 3, messageSet: new Uint8Array(0) },
      { errorCode: 1, messageSet: new Uint8Array(0) },
    ];
    const frame = encodeMultiFetchResponse(parts);
    const decoded = h11TripleFrame(frame, (f) => decodeMultiFetchResponse(f, 3), plain);
    expect(plain(decoded)).toEqual(plain(parts));
    expect(
      decodeMessageSet(decoded[0]!.messageSet)
        .toArray()
        .map((m) => m.text()),
    ).toEqual(["one", "two"]);
  });

  test("a multi-fetch response decoded with the wrong count is malformed, never misread", () => {
    const frame = encodeMultiFetchResponse([
      { errorCode: 0, messageSet: set },
      { errorCode: 0, messageSet: set },
    ]).subarray(4);
    expect(() => decodeMultiFetchResponse(frame, 1)).toThrow(/bytes after the last sub-response/);
    expect(() => decodeMultiFetchResponse(frame, 3)).toThrow(MalformedError);
    expect(decodeMultiFetchResponse(encodeMultiFetchResponse([]).subarray(4), 0)).toEqual([]);
  });

  test("a multi-fetch response with a non-zero outer error or a sub-size below 2 is malformed", () => {
    expect(() => decodeMultiFetchResponse(Uint8Array.of(0, 1), 0)).toThrow(/outer error code 1/);
    expect(() => decodeMultiFetchResponse(Uint8Array.of(0, 0, 0, 0, 0, 1, 0, 0), 1)).toThrow(/sub-response size 1 is below 2/);
  });

  test("offsets response", () => {
    for (const offsets of [[], [57, 0], [2 ** 50, 1, 0]]) {
      const frame = encodeOffsetsResponse(offsets);
      expect(h11TripleFrame(frame, decodeOffsetsResponse)).toEqual({ errorCode: 0, offsets });
    }
  });

  test("an offsets response whose count does not fit is refused before allocating", () => {
    expect(() => decodeOffsetsResponse(Uint8Array.of(0, 0, 0x7f, 0xff, 0xff, 0xff))).toThrow(/offset count 2147483647 does not fit/);
    expect(() => decodeOffsetsResponse(Uint8Array.of(0, 0, 0xff, 0xff, 0xff, 0xff))).toThrow(/offset count -1/);
  });
});

test("a Produce frame can be encoded into a caller-owned buffer (so a client can reuse its buffers)", () => {
  const request = new ProduceRequest("t", 0, [createMessage("into")]);
  const backing = new ArrayBuffer(4096);
  const frame = encodeRequest(request, { allocate: (size) => new Uint8Array(backing, 0, size) });
  expect(frame.buffer).toBe(backing);
  expect(Buffer.from(frame).equals(Buffer.from(encodeRequest(request)))).toBe(true);
});
