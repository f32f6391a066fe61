/** RequestHandler without sockets: each request frame's outcome, and the pacing of produces. */
import { ErrorCode, createGzipMessage, createMessageFromString, encodeMessages } from "@k07/codec";
import { RequestHandler, type RequestOutcome } from "@k07/broker";
import { LogManager } from "../src/log/log-manager.ts";
import type { PendingRequest } from "../src/request-handler.ts";
import {
  concat,
  hex,
  pieceBytes,
  int16,
  int32,
  int64,
  rawFetch,
  rawOffsets,
  rawProduce,
  requestFrame,
  shortString,
  textSet,
} from "./helpers/bytes.ts";
import { testLogOptions } from "./helpers/log-options.ts";

function makeHandler(options: { numPartitions?: number; maxMessageSize?: number; random?: () => number; now?: () => number } = {}) {
  const logs = new LogManager({ ...testLogOptions, numPartitions: options.numPartitions ?? 2, topicPartitions: { one: 1 } });
  const handler = new RequestHandler(logs, {
    maxMessageSize: options.maxMessageSize ?? 1_000,
    maxDecompressedBytes: 1_000_000,
    now: options.now ?? (() => 2_000),
    random: options.random ?? (() => 0),
  });
  return { logs, handler };
}

/** A frame as the connection hands it over: without its size prefix. */
function body(frame: Uint8Array): Uint8Array {
  return frame.subarray(4);
}

function multiFetch(...parts: [topic: string, partition: number, offset: number, maxSize: number][]): Uint8Array {
  return requestFrame(2, concat(int16(parts.length), ...parts.map(([t, p, o, m]) => concat(shortString(t), int32(p), int64(o), int32(m)))));
}

function multiProduce(...parts: [topic: string, partition: number, set: Uint8Array][]): Uint8Array {
  return requestFrame(3, concat(int16(parts.length), ...parts.map(([t, p, s]) => concat(shortString(t), int32(p), int32(s.length), s))));
}

function respond(outcome: RequestOutcome | PendingRequest): string {
  if (outcome.kind !== "respond") throw new Error(`expected a response, got ${JSON.stringify(outcome)}`);
  return hex(concat(...outcome.chunks.map(pieceBytes)));
}

function logHex(logs: LogManager, topic: string, partition: number): string | undefined {
  const read = logs.get(topic, partition)?.read(0, 1_000_000);
  return read === undefined ? undefined : hex(concat(...read.pieces.map(pieceBytes)));
}

describe("fetch", () => {
  test("answers the log's bytes after a 6-byte header; a missing log is empty, not an error", () => {
    const { handler } = makeHandler();
    const set = textSet("hello");
    expect(handler.handle(body(rawProduce("t", 1, set)))).toStrictEqual({ kind: "none" });
    expect(respond(handler.handle(body(rawFetch("t", 1, 0, 100))))).toBe(hex(concat(int32(2 + set.length), int16(0), set)));
    expect(respond(handler.handle(body(rawFetch("t", 0, 0, 100))))).toBe("000000020000");
    expect(respond(handler.handle(body(rawFetch("t", 1, 0, 0))))).toBe("000000020000");
  });

  test("an illegal topic is error Unknown, a partition outside [0, count) WrongPartition, a bad offset OffsetOutOfRange", () => {
    const { handler } = makeHandler();
    handler.handle(body(rawProduce("t", 0, textSet("x"))));
    const errorOf = (frame: Uint8Array) => respond(handler.handle(body(frame)));
    expect(errorOf(rawFetch("", 0, 0, 100))).toBe("00000002" + "ffff");
    expect(errorOf(rawFetch("t", -1, 0, 100))).toBe("00000002" + "0003");
    expect(errorOf(rawFetch("t", 2, 0, 100))).toBe("00000002" + "0003");
    expect(errorOf(rawFetch("one", 1, 0, 100))).toBe("00000002" + "0003");
    expect(errorOf(rawFetch("t", 1000, 0, 100))).toBe("00000002" + "0003");
    expect(errorOf(rawFetch("t", 0, 1000, 100))).toBe("00000002" + "0001");
    expect(ErrorCode.OffsetOutOfRange).toBe(1);
  });

  test("a negative fetch size closes the connection", () => {
    const { handler } = makeHandler();
    expect(handler.handle(body(rawFetch("t", 0, 0, -1)))).toEqual({ kind: "close", reason: "negative fetch size -1" });
  });

  test("a frame that does not decode closes the connection with the codec's reason", () => {
    const { handler } = makeHandler();
    const outcome = handler.handle(body(requestFrame(99, new Uint8Array(4))));
    expect(outcome.kind).toBe("close");
    expect((outcome as { reason: string }).reason).toMatch(/99/);
  });
});

describe("multi-fetch", () => {
  test("one outer header, then each part with its own size and error", () => {
    const { handler } = makeHandler();
    const set = textSet("x");
    handler.handle(body(rawProduce("t", 0, set)));
    const answer = respond(handler.handle(body(multiFetch(["t", 0, 0, 100], ["t", 5, 0, 100], ["t", 1, 0, 100], ["t", 0, 0, 0]))));
    const empty = concat(int32(2), int16(0));
    const parts = [concat(int32(2 + set.length), int16(0), set), concat(int32(2), int16(3)), empty, empty];
    const partsLength = parts.reduce((n, p) => n + p.length, 0);
    expect(answer).toBe(hex(concat(int32(2 + partsLength), int16(0), ...parts)));
  });

  test("a negative size in any part closes the connection", () => {
    const { handler } = makeHandler();
    expect(handler.handle(body(multiFetch(["t", 0, 0, 10], ["t", 0, 0, -5])))).toEqual({ kind: "close", reason: "negative fetch size -5" });
  });

  test("an answer whose size passes int32 is refused by closing, naming how many parts it had reached", () => {
    const { handler, logs } = makeHandler();
    const piece = new Uint8Array(64 * 1024 * 1024);
    logs.getOrCreate("big", 0).append(piece, 1, 1);
    const parts = Array.from({ length: 40 }, () => ["big", 0, 0, piece.length] as [string, number, number, number]);
    const outcome = handler.handle(body(multiFetch(...parts)));
    expect(outcome).toEqual({
      kind: "close",
      reason: expect.stringMatching(/^cannot answer: a MultiFetch response \(32 of 40 parts so far\) of \d+ bytes does not fit an int32 size field/),
    });
  });
});

describe("offsets", () => {
  test("of a missing log: [0] for latest or earliest (at most maxNumOffsets), none for a time", () => {
    const { handler } = makeHandler();
    const offsets = (time: number, max: number) => respond(handler.handle(body(rawOffsets("t", 0, time, max))));
    expect(offsets(-1, 5)).toBe("0000000e" + "0000" + "00000001" + "0000000000000000");
    expect(offsets(-2, 5)).toBe("0000000e" + "0000" + "00000001" + "0000000000000000");
    expect(offsets(-1, 0)).toBe("00000006" + "0000" + "00000000");
    expect(offsets(-3, 5)).toBe("00000006" + "0000" + "00000000");
    expect(offsets(5, 5)).toBe("00000006" + "0000" + "00000000");
  });

  test("of a log: its segment offsets, dated by the handler's clock", () => {
    let now = 3_000;
    const { handler } = makeHandler({ now: () => now });
    const set = textSet("x");
    handler.handle(body(rawProduce("t", 0, set)));
    now = 5_000;
    // The segment was last appended to at 3,000; the log end counts as modified now, at 5,000.
    expect(respond(handler.handle(body(rawOffsets("t", 0, 2_999, 5))))).toBe("00000006" + "0000" + "00000000");
    expect(respond(handler.handle(body(rawOffsets("t", 0, 4_999, 5))))).toBe("0000000e" + "0000" + "00000001" + "0000000000000000");
    expect(respond(handler.handle(body(rawOffsets("t", 0, 5_000, 5))))).toBe(hex(concat(int32(22), int16(0), int32(2), int64(set.length), int64(0))));
  });

  test("an illegal topic, a partition outside [0, count) (−1 included) or a negative maxNumOffsets closes the connection", () => {
    const { handler } = makeHandler();
    const reasonOf = (frame: Uint8Array) => handler.handle(body(frame));
    expect(reasonOf(rawOffsets("a/b", 0, -1, 1))).toEqual({ kind: "close", reason: 'illegal topic name "a/b"' });
    expect(reasonOf(rawOffsets("t", 2, -1, 1))).toEqual({ kind: "close", reason: 'partition 2 of "t" is not in [0, 2)' });
    expect(reasonOf(rawOffsets("t", -1, -1, 1))).toEqual({ kind: "close", reason: 'partition -1 of "t" is not in [0, 2)' });
    expect(reasonOf(rawOffsets("one", 1, -1, 1))).toEqual({ kind: "close", reason: 'partition 1 of "one" is not in [0, 1)' });
    expect(reasonOf(rawOffsets("t", 0, -1, -1))).toEqual({ kind: "close", reason: "negative maxNumOffsets -1" });
  });
});

describe("produce", () => {
  test("appends to the named partition; −1 picks one at random over the topic's partitions", () => {
    let random = 0.99;
    const { handler, logs } = makeHandler({ numPartitions: 4, random: () => random });
    handler.handle(body(rawProduce("r", -1, textSet("a"))));
    random = 0.25;
    handler.handle(body(rawProduce("r", -1, textSet("b"))));
    random = 0;
    handler.handle(body(rawProduce("one", -1, textSet("c"))));
    expect([0, 1, 2, 3].map((p) => logHex(logs, "r", p))).toEqual([undefined, hex(textSet("b")), undefined, hex(textSet("a"))]);
    expect(logHex(logs, "one", 0)).toBe(hex(textSet("c")));
  });

  test("a bad topic or partition closes the connection, naming them; −2 is not random", () => {
    const { handler, logs } = makeHandler();
    expect(handler.handle(body(rawProduce("", 0, textSet("x"))))).toEqual({ kind: "close", reason: 'illegal topic name ""' });
    expect(handler.handle(body(rawProduce("t", -2, textSet("x"))))).toEqual({ kind: "close", reason: 'partition -2 of "t" is not in [0, 2)' });
    expect(handler.handle(body(rawProduce("t", 2, textSet("x"))))).toEqual({ kind: "close", reason: 'partition 2 of "t" is not in [0, 2)' });
    expect(logs.topics()).toEqual([]);
  });

  test("an invalid set closes the connection naming the partition; an oversize payload is dropped and reported", () => {
    const { handler, logs } = makeHandler({ maxMessageSize: 3 });
    const bad = textSet("abc").slice();
    bad[bad.length - 1]! ^= 1;
    const closed = handler.handle(body(rawProduce("t", 1, bad)));
    expect(closed).toEqual({ kind: "close", reason: expect.stringMatching(/^produce to t-1: .*CRC/) });
    expect(handler.handle(body(rawProduce("t", 0, textSet("abcd"))))).toEqual({
      kind: "none",
      dropped: "produce to t-0 dropped: a payload of 4 bytes exceeds maxMessageSize 3",
    });
    expect(logHex(logs, "t", 0)).toBe("");
  });

  test("a MultiProduce applies its parts in order and gives control back between them", () => {
    const { handler, logs } = makeHandler({ maxMessageSize: 3 });
    const frame = body(multiProduce(["t", 0, textSet("a")], ["t", 1, textSet("long")], ["t", 0, textSet("b")]));
    const first = handler.start(frame, Number.POSITIVE_INFINITY);
    expect(first.kind).toBe("pending");
    expect(logHex(logs, "t", 0)).toBe(hex(textSet("a")));
    const second = (first as PendingRequest).resume(Number.POSITIVE_INFINITY);
    expect(second).toBe(first);
    expect(logHex(logs, "t", 0)).toBe(hex(textSet("a")));
    expect((second as PendingRequest).resume(Number.POSITIVE_INFINITY)).toEqual({
      kind: "none",
      dropped: "produce to t-1 dropped: a payload of 4 bytes exceeds maxMessageSize 3",
    });
    expect(logHex(logs, "t", 0)).toBe(hex(concat(textSet("a"), textSet("b"))));
    // A single produce is done in one step.
    expect(handler.start(body(rawProduce("t", 0, textSet("c"))), Number.POSITIVE_INFINITY)).toStrictEqual({ kind: "none" });
  });

  test("a MultiProduce with a bad part keeps the parts before it and appends nothing after", () => {
    const { handler, logs } = makeHandler();
    const outcome = handler.handle(body(multiProduce(["t", 0, textSet("a")], ["t", 9, textSet("b")], ["t", 1, textSet("c")])));
    expect(outcome).toEqual({ kind: "close", reason: 'partition 9 of "t" is not in [0, 2)' });
    expect(logHex(logs, "t", 0)).toBe(hex(textSet("a")));
    expect(logs.get("t", 1)).toBeUndefined();
  });

  test("a big compressed produce is validated in steps of the allowance, and appended once whole", () => {
    const { handler, logs } = makeHandler({ maxMessageSize: 1_000_000 });
    const inner = Array.from({ length: 2_000 }, (_, i) => createMessageFromString(`message ${i}`));
    const set = encodeMessages([createGzipMessage(inner)]);
    let outcome = handler.start(body(rawProduce("z", 0, set)), 1_000);
    let steps = 0;
    while (outcome.kind === "pending") {
      expect(logs.get("z", 0)!.appendEnd).toBe(0);
      outcome = outcome.resume(1_000);
      steps++;
    }
    expect(outcome).toEqual({ kind: "none" });
    expect(steps).toBeGreaterThan(5);
    expect(logHex(logs, "z", 0)).toBe(hex(set));
  });

  test("after close, a pending produce appends nothing more and closes its connection", () => {
    const { handler, logs } = makeHandler();
    const pending = handler.start(body(multiProduce(["t", 0, textSet("a")], ["t", 1, textSet("b")])), Number.POSITIVE_INFINITY);
    expect(pending.kind).toBe("pending");
    handler.close();
    expect((pending as PendingRequest).resume(Number.POSITIVE_INFINITY)).toEqual({ kind: "close", reason: "the broker is closing" });
    expect(logs.get("t", 1)).toBeUndefined();
    expect(handler.handle(body(rawProduce("t", 0, textSet("c"))))).toEqual({ kind: "close", reason: "the broker is closing" });
    expect(logHex(logs, "t", 0)).toBe(hex(textSet("a")));
  });
});
