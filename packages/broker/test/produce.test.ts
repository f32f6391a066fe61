/** Produce as 0.7.2 handles it (protocol §8.3): silent success, silent drops, and closes for everything else. */
import { startBroker, type Broker, type ConnectionEvent } from "@k07/broker";
import { createMessage, createMessageFromString, encodeMessages, encodeMultiProduceRequest, ProduceRequest } from "@k07/codec";
import { concat, hex, int32, rawFetch, rawOffsets, rawProduce, requestFrame, shortString, textSet } from "./helpers/bytes.ts";
import { RawConnection } from "./helpers/raw-connection.ts";

let broker: Broker;
const events: ConnectionEvent[] = [];
beforeEach(async () => {
  events.length = 0;
  broker = await startBroker({ numPartitions: 2, maxMessageSize: 100, onEvent: (e) => events.push(e) });
});
afterEach(() => broker.close());

/** The visible log of a partition, fetched on a fresh connection. */
async function logOf(topic: string, partition: number): Promise<string> {
  const conn = await RawConnection.open(broker.port);
  conn.send(rawFetch(topic, partition, 0, 1_000_000));
  const frame = await conn.frame();
  conn.end();
  return hex(frame.subarray(2));
}

/** Sends a frame and reports whether the broker closed the connection. */
async function closes(...frames: Uint8Array[]): Promise<boolean> {
  const conn = await RawConnection.open(broker.port);
  conn.send(...frames);
  const closed = await conn.closesWithin(1000);
  conn.end();
  return closed;
}

function corruptCrc(set: Uint8Array, entryStart = 0): Uint8Array {
  const copy = set.slice();
  copy[entryStart + 6]! ^= 0xff;
  return copy;
}

test("a produce gets no response and auto-creates the topic", async () => {
  const conn = await RawConnection.open(broker.port);
  conn.send(rawProduce("fresh", 1, textSet("a")), rawOffsets("fresh", 1, -2, 5));
  // The only frame that comes back answers the offsets request.
  expect(hex(await conn.frame())).toBe("0000" + "00000001" + "0000000000000000");
  conn.end();
  expect(await logOf("fresh", 1)).toBe(hex(textSet("a")));
});

test("an empty produce creates the log", async () => {
  expect(await closes(rawProduce("empty", 0, new Uint8Array(0)))).toBe(false);
  expect(broker.logs.get("empty", 0)).toBeDefined();
});

test("partition -1 spreads produces over the topic's partitions at random", async () => {
  const conn = await RawConnection.open(broker.port);
  for (let i = 0; i < 40; i++) conn.send(rawProduce("spread", -1, textSet("x")));
  conn.send(rawOffsets("spread", 0, -1, 1));
  await conn.frame();
  conn.end();
  const sizes = [0, 1].map((p) => broker.logs.get("spread", p)?.appendEnd ?? 0);
  expect(sizes[0]! + sizes[1]!).toBe(40 * 11);
  expect(sizes[0]).toBeGreaterThan(0);
  expect(sizes[1]).toBeGreaterThan(0);
});

test("a trailing partial entry is trimmed silently", async () => {
  const set = textSet("whole", "cut");
  expect(await closes(rawProduce("trim", 0, set.subarray(0, set.length - 3)))).toBe(false);
  expect(await logOf("trim", 0)).toBe(hex(textSet("whole")));
});

test("a payload over maxMessageSize is dropped, the connection kept, later parts applied", async () => {
  const big = encodeMessages([createMessage(new Uint8Array(101))]);
  const conn = await RawConnection.open(broker.port);
  const multi = requestFrame(
    3,
    concat(
      new Uint8Array([0, 2]),
      shortString("sizes"),
      int32(0),
      int32(big.length),
      big,
      shortString("sizes"),
      int32(1),
      int32(textSet("ok").length),
      textSet("ok"),
    ),
  );
  conn.send(rawProduce("sizes", 0, big), multi, rawFetch("sizes", 1, 0, 100));
  expect(hex((await conn.frame()).subarray(2))).toBe(hex(textSet("ok")));
  expect(conn.closed).toBe(false);
  conn.end();
  expect(await logOf("sizes", 0)).toBe("");
  expect(events.filter((e) => e.kind === "dropped-produce")).toHaveLength(2);
});

describe("closes the connection and appends nothing when", () => {
  const good = textSet("good", "also good");
  test.each([
    ["a CRC is wrong", corruptCrc(good, 15)],
    [
      "the magic byte is unknown",
      (() => {
        const s = good.slice();
        s[4] = 2;
        return s;
      })(),
    ],
    [
      "the codec is 3",
      (() => {
        const s = good.slice();
        s[5] = 3;
        return s;
      })(),
    ],
    ["the first entry is truncated", good.subarray(0, 8)],
    ["an entry length is below 5", concat(int32(3), new Uint8Array([1, 0, 0]))],
    ["a gzip wrapper's payload is not gzip", encodeMessages([{ magic: 1, attributes: 1, payload: new Uint8Array([1, 2, 3]) }])],
  ])("%s", async (_name, set) => {
    expect(await closes(rawProduce("strict", 0, set))).toBe(true);
    expect(await logOf("strict", 0)).toBe("");
  });

  test("the declared set size runs past the frame", async () => {
    const set = textSet("x");
    const frame = requestFrame(0, concat(shortString("strict"), int32(0), int32(set.length + 10), set));
    expect(await closes(frame)).toBe(true);
  });

  test("the partition is out of range or the topic illegal", async () => {
    expect(await closes(rawProduce("strict", 2, textSet("x")))).toBe(true);
    expect(await closes(rawProduce("strict", -2, textSet("x")))).toBe(true);
    expect(await closes(rawProduce("a/b", 0, textSet("x")))).toBe(true);
    expect(await closes(rawProduce("..", 0, textSet("x")))).toBe(true);
  });
});

test("a MultiProduce with a bad second part keeps the first part and drops the rest", async () => {
  const parts = [new ProduceRequest("mp", 0, [createMessageFromString("first")]), new ProduceRequest("mp", 1, [createMessageFromString("second")])];
  const frame = encodeMultiProduceRequest(parts);
  // Corrupt the CRC of the second part's message (the last 10 bytes are crc + "second").
  frame[frame.length - 10]! ^= 0xff;
  expect(await closes(frame)).toBe(true);
  expect(await logOf("mp", 0)).toBe(hex(textSet("first")));
  expect(await logOf("mp", 1)).toBe("");
  expect(events.some((e) => e.kind === "closed-by-broker" && /CRC/i.test(e.reason))).toBe(true);
});
