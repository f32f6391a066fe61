/** Message edges: argument errors that say what was wrong, the default decompression budget, advance() then next(). */
import {
  EncodedMessageSet,
  ProduceRequest,
  Writer,
  createCompressedMessage,
  createMessage,
  createMessageFromString,
  decodeMessageSet,
  encodeMessages,
  writeEntry,
} from "../src/index.ts";

describe("message argument errors name the bad value", () => {
  test("createMessage: the payload's type and the magic", () => {
    expect(() => createMessage(42 as unknown as string)).toThrow(/a message payload must be a string or a Uint8Array, got .*42/);
    expect(() => createMessage("x", { magic: 2 as 1 })).toThrow(/magic must be 0 or 1, got 2/);
  });

  test("createMessageFromString refuses a non-string with its own message", () => {
    expect(() => createMessageFromString(42 as unknown as string)).toThrow(/^expected a string, got .*42/);
  });

  test("EncodedMessageSet and createCompressedMessage", () => {
    expect(() => new EncodedMessageSet([1] as unknown as Uint8Array)).toThrow(/EncodedMessageSet needs a Uint8Array, got/);
    expect(() => createCompressedMessage([], "none")).toThrow(/a compressed message needs gzip or snappy/);
  });

  test("a null message in a produce is refused as not a message", () => {
    expect(() => new ProduceRequest("t", 0, [null as unknown as Uint8Array])).toThrow(/messages\[0\] is not a message/);
  });

  test("an entry that overruns the writer says how long it is and where", () => {
    const writer = Writer.ofSize(12);
    writer.position = 2;
    expect(() => writeEntry(writer, createMessage("abc"))).toThrow("a 13-byte entry at 2 overruns a 12-byte buffer");
  });

  test("decodeMessageSet names a bad maxCompressionDepth", () => {
    expect(() => decodeMessageSet(new Uint8Array(0), { maxCompressionDepth: -1 })).toThrow(/maxCompressionDepth must be an integer >= 0, got -1/);
  });
});

describe("the default decompression budget", () => {
  test("is large enough for a wrapper that inflates to 200 KiB", () => {
    const wrapper = createCompressedMessage([createMessage(new Uint8Array(200 * 1024))], "gzip");
    const messages = decodeMessageSet(encodeMessages([wrapper])).toArray();
    expect(messages.map((m) => m.payloadLength)).toEqual([200 * 1024]);
  });
});

describe("advance() then next()", () => {
  test("next() hands out the message advance() prepared, however often advance() was called", () => {
    const iterator = decodeMessageSet(encodeMessages([createMessage("a"), createMessage("b")]))[Symbol.iterator]();
    expect(iterator.advance(Number.POSITIVE_INFINITY)).toBe(true);
    expect(iterator.advance(Number.POSITIVE_INFINITY)).toBe(true);
    expect(iterator.next().value?.text()).toBe("a");
    expect(iterator.next().value?.text()).toBe("b");
    expect(iterator.next().done).toBe(true);
  });

  test("next() after an advance() that stopped inside a wrapper finishes that wrapper before the next entry", () => {
    const wrapper = createCompressedMessage([createMessage(new Uint8Array(300 * 1024))], "gzip");
    const iterator = decodeMessageSet(encodeMessages([wrapper, createMessage("after")]))[Symbol.iterator]();
    expect(iterator.advance(1)).toBe(false);
    expect(iterator.next().value?.payloadLength).toBe(300 * 1024);
    expect(iterator.next().value?.text()).toBe("after");
  });
});
