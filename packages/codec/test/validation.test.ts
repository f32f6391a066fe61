/**
 * Argument validation when encoding (protocol §8.2 topic names, int16/int32 ranges, safe-integer
 * offsets): the wrong kind of value is a TypeError, a value out of range a RangeError, each naming
 * the argument. Data objects that bypass the constructors are checked by the encoders too.
 */
import {
  EncodedMessageSet,
  FetchRequest,
  MultiFetchRequest,
  MultiProduceRequest,
  OffsetRequest,
  ProduceRequest,
  checkFetchSize,
  checkTopic,
  createMessage,
  encodeFetchRequest,
  encodeMultiFetchRequest,
  encodeOffsetRequest,
  encodeOffsetsResponse,
  encodeProduceRequest,
  isLegalTopicName,
  topicNameProblem,
} from "../src/index.ts";

describe("topic names (protocol §8.2)", () => {
  test.each([
    ["", /is empty/],
    [".", /may not be "."/],
    ["..", /may not be ".."/],
    ["a/b", /U\+002F at index 1/],
    ["tab\there", /U\+0009/],
    ["del\x7f", /U\+007F/],
    ["c1\x85", /U\+0085/],
    ["surrogate\ud800", /U\+D800/],
    ["private\ue000", /U\+E000/],
    ["special\ufff0", /U\+FFF0/],
    ["x".repeat(256), /256 characters long/],
  ])("%j is illegal", (topic, reason) => {
    expect(isLegalTopicName(topic)).toBe(false);
    expect(topicNameProblem(topic)).toMatch(reason);
    expect(() => checkTopic(topic)).toThrow(RangeError);
    expect(() => new FetchRequest(topic, 0, 0, 4)).toThrow(reason);
  });

  test.each(["test", "a.b-c_d", "...", "café", "x".repeat(255), "日本"])("%j is legal", (topic) => {
    expect(isLegalTopicName(topic)).toBe(true);
    expect(checkTopic(topic)).toBe(topic);
  });

  test("a topic that is not a string is a TypeError", () => {
    expect(() => checkTopic(1)).toThrow(TypeError);
    expect(() => new OffsetRequest(undefined as unknown as string, 0, -1, 1)).toThrow(/topic must be a string, got undefined/);
  });
});

describe("integer arguments", () => {
  test.each([
    ["partition", () => new FetchRequest("t", -1, 0, 4), RangeError],
    ["partition", () => new FetchRequest("t", 2 ** 31, 0, 4), RangeError],
    ["partition", () => new FetchRequest("t", 1.5, 0, 4), TypeError],
    ["partition", () => new FetchRequest("t", "0" as unknown as number, 0, 4), TypeError],
    ["offset", () => new FetchRequest("t", 0, -1, 4), RangeError],
    ["offset", () => new FetchRequest("t", 0, 2 ** 53, 4), TypeError],
    ["offset", () => new FetchRequest("t", 0, 10n as unknown as number, 4), TypeError],
    ["maxSize", () => new FetchRequest("t", 0, 0, -1), RangeError],
    ["maxSize", () => new FetchRequest("t", 0, 0, 2 ** 31), RangeError],
    ["maxSize", () => new FetchRequest("t", 0, 0, 3), RangeError],
    ["partition", () => new ProduceRequest("t", -2, []), RangeError],
    ["time", () => new OffsetRequest("t", 0, -3, 1), RangeError],
    ["time", () => new OffsetRequest("t", 0, NaN, 1), TypeError],
    ["maxNumOffsets", () => new OffsetRequest("t", 0, -1, -1), RangeError],
    ["offsets[1]", () => encodeOffsetsResponse([1, 0.5]), TypeError],
  ] as const)("%s: %p throws", (name, make, kind) => {
    expect(make).toThrow(kind);
    expect(make).toThrow(name);
  });

  test("maxSize may be 0 or ≥ 4 (1–3 make the Java iterator loop)", () => {
    expect(checkFetchSize(0)).toBe(0);
    expect(checkFetchSize(4)).toBe(4);
    for (const bad of [1, 2, 3]) expect(() => checkFetchSize(bad)).toThrow(/0 or at least 4/);
  });

  test("withOffset / withMaxSize check their argument too", () => {
    const f = new FetchRequest("t", 0, 0, 4);
    expect(f.withOffset(9)).toEqual(new FetchRequest("t", 0, 9, 4));
    expect(f.withMaxSize(100).maxSize).toBe(100);
    expect(() => f.withOffset(-5)).toThrow(RangeError);
  });
});

describe("messages and lists", () => {
  test("a produce needs an array of messages or an EncodedMessageSet", () => {
    expect(() => new ProduceRequest("t", 0, "hello" as never)).toThrow(TypeError);
    expect(() => new ProduceRequest("t", 0, [{ magic: 1, attributes: 0, payload: "x" }] as never)).toThrow(/messages\[0\] is not a message/);
    expect(() => new ProduceRequest("t", 0, [null] as never)).toThrow(TypeError);
  });

  test("compression applies to messages, not to pre-encoded sets; unknown names are refused", () => {
    expect(() => new ProduceRequest("t", 0, new EncodedMessageSet(new Uint8Array(0)), { compression: "gzip" })).toThrow(TypeError);
    expect(() => new ProduceRequest("t", 0, [], { compression: "lz4" as "gzip" })).toThrow(RangeError);
  });

  test("a produce request keeps a frozen copy of the message list, so later changes do not leak in", () => {
    const list = [createMessage("a")];
    const request = new ProduceRequest("t", 0, list);
    list.push(createMessage("b"));
    expect(request.messages).toHaveLength(1);
    expect(Object.isFrozen(request)).toBe(true);
  });

  test("MultiFetch and MultiProduce need arrays of at most 32767 entries", () => {
    expect(() => new MultiFetchRequest("x" as never)).toThrow(TypeError);
    expect(() => new MultiProduceRequest({} as never)).toThrow(TypeError);
    const fetch = new FetchRequest("t", 0, 0, 4);
    expect(() => encodeMultiFetchRequest(new Array(32768).fill(fetch))).toThrow(/at most 32767/);
    expect(() => new MultiProduceRequest(new Array(32768).fill(new ProduceRequest("t", 0, [])))).toThrow(RangeError);
  });

  test("encoders check plain data objects as the constructors would", () => {
    expect(() => encodeFetchRequest({ topic: "a/b", partition: 0, offset: 0, maxSize: 4 })).toThrow(RangeError);
    expect(() => encodeOffsetRequest({ topic: "t", partition: 0, time: -1, maxNumOffsets: 2 ** 31 })).toThrow(RangeError);
    expect(() => encodeProduceRequest({ topic: "t", partition: 0, messageSet: [1] as never })).toThrow(TypeError);
    expect(() => encodeMultiFetchRequest([{ topic: "t", partition: -1, offset: 0, maxSize: 4 }])).toThrow(RangeError);
  });
});
