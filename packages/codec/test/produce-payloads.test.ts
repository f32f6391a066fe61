/**
 * Encoding a produce from payloads: `new ProduceRequest(topic, partition, payloads)` takes bytes and
 * text as they are (no message object per payload) and writes exactly what the same request made of
 * `createMessage` objects writes. Short payloads are hashed over their copy in the frame by the
 * codec's own loop, long ones by crc-32; either way the CRC is the standard one.
 */
import CRC32 from "crc-32";
import {
  CrcError,
  EncodedMessageSet,
  ProduceRequest,
  Writer,
  createMessage,
  decodeMessageSet,
  decodeProduceRequestBody,
  encodeMessages,
  encodeProduceRequest,
  pureCrc32,
  writeEntry,
  writeMessageSet,
  type Message,
} from "@k07/codec";

const bytesToHex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** Bytes 0, 1, 2, … (mod 251, so no block of 16 repeats a neighbour's pattern). */
const counting = (length: number) => Uint8Array.from({ length }, (_, i) => i % 251);

/** The frame of the same produce made of createMessage objects. */
const fromMessages = (payloads: readonly (Uint8Array | string)[]) =>
  encodeProduceRequest(
    new ProduceRequest(
      "t",
      3,
      payloads.map((p) => createMessage(p)),
    ),
  );

describe("a produce from payloads", () => {
  test("encodes the bytes a hand-written frame has (golden vector)", () => {
    const frame = encodeProduceRequest(new ProduceRequest("t", 3, ["hi", Uint8Array.of(1, 2, 3)]));
    expect(bytesToHex(frame)).toBe(
      [
        "00000026", // size: everything after this field
        "0000", // type Produce
        "0001" + "74", // topic "t"
        "00000003", // partition 3
        "00000019", // message-set bytes: 12 + 13
        "00000008" + "01" + "00" + (CRC32.str("hi") >>> 0).toString(16).padStart(8, "0") + "6869",
        "00000009" + "01" + "00" + (CRC32.buf([1, 2, 3]) >>> 0).toString(16).padStart(8, "0") + "010203",
      ].join(""),
    );
  });

  test("writes what the same messages made with createMessage write, for bytes, text, views and Buffers", () => {
    const big = new Uint8Array(3000).fill(9);
    const payloads = [
      "text",
      "é€😀", // multi-byte UTF-8
      "",
      new Uint8Array(0),
      counting(100),
      counting(300).subarray(7, 207), // a view at an offset into a larger buffer
      Buffer.from(counting(64)),
      big,
    ];
    expect(bytesToHex(encodeProduceRequest(new ProduceRequest("t", 3, payloads)))).toBe(bytesToHex(fromMessages(payloads)));
  });

  test("the CRC of every payload length around the loop's 16-byte blocks and the 512-byte switch to crc-32 is the standard one", () => {
    const lengths = [0, 1, 3, 4, 5, 8, 15, 16, 17, 31, 32, 33, 100, 255, 511, 512, 513, 1024];
    const payloads = lengths.map(counting);
    const frame = encodeProduceRequest(new ProduceRequest("t", 0, payloads));
    const set = decodeProduceRequestBody(frame.subarray(4 + 2)).messageSet;
    // The default check recomputes every CRC with crc-32: a wrong one would be a CrcError.
    const messages = decodeMessageSet(set).toArray();
    expect(messages.map((m) => m.payload.length)).toEqual(lengths);
    expect(messages.map((m) => m.crc)).toEqual(payloads.map((p) => pureCrc32(p)));
  });

  test("payloads and messages mix freely: magic 0, compressed wrappers and plain messages keep their own headers", () => {
    const magic0 = createMessage("old", { magic: 0 });
    const wrapped = (new ProduceRequest("t", 3, ["a", "b"], { compression: "gzip" }).messageSet as readonly Message[])[0]!;
    const mixed: (Uint8Array | string | Message)[] = ["one", magic0, counting(20), wrapped, createMessage("two")];
    const asMessages = mixed.map((m) => (typeof m === "string" || m instanceof Uint8Array ? createMessage(m) : m));
    expect(bytesToHex(encodeProduceRequest(new ProduceRequest("t", 3, mixed)))).toBe(
      bytesToHex(encodeProduceRequest(new ProduceRequest("t", 3, asMessages))),
    );
  });

  test("compression from payloads compresses the same inner set as from messages", () => {
    for (const compression of ["gzip", "snappy"] as const) {
      const payloads = ["x", counting(200), "yz"];
      const fromPayloads = new ProduceRequest("t", 0, payloads, { compression });
      const fromObjects = new ProduceRequest(
        "t",
        0,
        payloads.map((p) => createMessage(p)),
        { compression },
      );
      expect(bytesToHex(encodeProduceRequest(fromPayloads))).toBe(bytesToHex(encodeProduceRequest(fromObjects)));
      expect(
        decodeMessageSet(encodeMessages(fromPayloads.messageSet as readonly Message[]))
          .toArray()
          .map((m) => bytesToHex(m.payload)),
      ).toEqual(payloads.map((p) => bytesToHex(typeof p === "string" ? new TextEncoder().encode(p) : p)));
    }
  });

  test("messages and messageSet show the payloads as the frozen plain messages they stand for, the same objects each time", () => {
    const given = createMessage("given");
    const request = new ProduceRequest("t", 0, ["a", Uint8Array.of(7), given]);
    const messages = request.messages as readonly Message[];
    expect(messages).toEqual([createMessage("a"), createMessage(Uint8Array.of(7)), given]);
    expect(messages[2]).toBe(given);
    expect(Object.isFrozen(messages)).toBe(true);
    expect(messages.every((m) => Object.isFrozen(m))).toBe(true);
    expect(request.messages).toBe(messages);
    expect(request.messageSet).toBe(messages);
    expect(Object.isFrozen(request)).toBe(true);
  });

  test("a request of messages keeps the list it was given when frozen, as before", () => {
    const list = Object.freeze([createMessage("a"), createMessage("b")]);
    expect(new ProduceRequest("t", 0, list).messages).toBe(list);
  });

  test("later changes to the payload list do not reach the request", () => {
    const payloads: (string | Uint8Array)[] = ["a", Uint8Array.of(1)];
    const request = new ProduceRequest("t", 0, payloads);
    const before = bytesToHex(encodeProduceRequest(request));
    payloads.push("b");
    payloads[0] = "changed";
    expect(bytesToHex(encodeProduceRequest(request))).toBe(before);
    expect(request.messages).toHaveLength(2);
  });

  test("anything but bytes, a string or a message is a TypeError naming its index", () => {
    expect(() => new ProduceRequest("t", 0, ["ok", 42] as never)).toThrow(
      new TypeError("messages[1] is not a message (use createMessage) or a payload (bytes or a string), got 42"),
    );
    expect(() => new ProduceRequest("t", 0, [{ magic: 1, attributes: 0, payload: "x" }] as never)).toThrow(/messages\[0\] is not a message/);
    expect(() => new ProduceRequest("t", 0, [null] as never)).toThrow(TypeError);
    expect(() => new ProduceRequest("t", 0, [[1, 2]] as never)).toThrow(TypeError);
  });

  test("largestPayloadBytes is the longest payload written: UTF-8 bytes for text, the wrapper's for a compressed batch, 0 for a pre-encoded set", () => {
    expect(new ProduceRequest("t", 0, ["ab", counting(5), createMessage(counting(3))]).largestPayloadBytes).toBe(5);
    expect(new ProduceRequest("t", 0, ["€€€"]).largestPayloadBytes).toBe(9);
    expect(new ProduceRequest("t", 0, []).largestPayloadBytes).toBe(0);
    const compressed = new ProduceRequest("t", 0, [new Uint8Array(10_000)], { compression: "gzip" });
    const wrapper = (compressed.messageSet as readonly Message[])[0]!;
    expect(compressed.largestPayloadBytes).toBe(wrapper.payload.length);
    expect(compressed.largestPayloadBytes).toBeLessThan(10_000);
    expect(new ProduceRequest("t", 0, new EncodedMessageSet(encodeMessages([createMessage("x")]))).largestPayloadBytes).toBe(0);
  });
});

describe("writing entries by index", () => {
  test("an entry that does not fit is a RangeError before any byte of it is written", () => {
    const writer = new Writer(new Uint8Array(20).fill(0xee), 5);
    expect(() => writeEntry(writer, createMessage("0123456789"))).toThrow(RangeError);
    expect(writer.position).toBe(5);
    expect([...writer.bytes]).toEqual(new Array(20).fill(0xee));
    // Magic 0 has one byte less: 9 + 6 = 15 bytes fit exactly from 5.
    writeEntry(writer, createMessage("012345", { magic: 0 }));
    expect(writer.position).toBe(20);
  });

  test("an empty payload's header alone is checked too", () => {
    const writer = new Writer(new Uint8Array(9));
    expect(() => writeEntry(writer, createMessage(""))).toThrow(RangeError);
    expect([...writer.bytes]).toEqual(new Array(9).fill(0));
  });

  test("writeMessageSet writes payloads as plain magic-1 messages, and stops with a RangeError at the first entry that does not fit", () => {
    const exact = new Writer(new Uint8Array(11 + 12));
    writeMessageSet(exact, [Uint8Array.of(5), createMessage("hi")]);
    expect(bytesToHex(exact.finish())).toBe(bytesToHex(encodeMessages([createMessage(Uint8Array.of(5)), createMessage("hi")])));
    const short = new Writer(new Uint8Array(11 + 11));
    expect(() => writeMessageSet(short, [Uint8Array.of(5), createMessage("hi")])).toThrow(RangeError);
    expect(bytesToHex(short.bytes.subarray(11))).toBe("00".repeat(11));
  });

  test("a crc32 option hashes every payload, short ones too (the default's in-frame loop is only the default)", () => {
    const lengths: number[] = [];
    const frame = encodeProduceRequest(new ProduceRequest("t", 0, ["ab", counting(600)]), {
      crc32: (bytes) => {
        lengths.push(bytes.length);
        return 0x01020304;
      },
    });
    expect(lengths).toEqual([2, 600]);
    const set = decodeProduceRequestBody(frame.subarray(6)).messageSet;
    expect(() => decodeMessageSet(set).toArray()).toThrow(CrcError);
  });
});
