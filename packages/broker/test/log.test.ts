/** Fetch and Offsets over segments and unflushed data (protocol §6.4, §7), and retention. */
import { startBroker, type Broker } from "@k07/broker";
import { hex, rawFetch, rawOffsets, rawProduce, textSet } from "./helpers/bytes.ts";
import { ask } from "./helpers/raw-connection.ts";

let broker: Broker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

function offsetsOf(frame: Uint8Array): number[] {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const n = view.getInt32(2);
  return Array.from({ length: n }, (_, i) => Number(view.getBigInt64(6 + 8 * i)));
}

const fourteen = textSet("abcd"); // 14 bytes

describe("segments", () => {
  test("offsets are segment starts plus the log end, newest first (protocol §6.4's 0/56/112/168 example)", async () => {
    broker = await startBroker({ segmentBytes: 40 });
    const produce = rawProduce("seg", 0, textSet("a".repeat(18), "b".repeat(18)));
    expect(textSet("a".repeat(18), "b".repeat(18)).length).toBe(56);
    const [latest, earliest, none, zero] = await ask(
      broker.port,
      produce,
      produce,
      produce,
      rawOffsets("seg", 0, -1, 100),
      rawOffsets("seg", 0, -2, 100),
      rawOffsets("seg", 0, 0, 100),
      rawOffsets("seg", 0, -1, 0),
    );
    expect(offsetsOf(latest!)).toEqual([168, 112, 56, 0]);
    expect(offsetsOf(earliest!)).toEqual([0]);
    expect(offsetsOf(none!)).toEqual([]);
    expect(offsetsOf(zero!)).toEqual([]);
  });

  test("a segment exactly segmentBytes long takes one more append; only a larger one rolls", async () => {
    // 0.7 rolls when the active segment is larger than log.file.size before an append.
    broker = await startBroker({ segmentBytes: 28 });
    const produce = rawProduce("exact", 0, fourteen);
    const [atLimit] = await ask(broker.port, produce, produce, produce, rawOffsets("exact", 0, -1, 100));
    expect(offsetsOf(atLimit!)).toEqual([42, 0]);
    const [over] = await ask(broker.port, produce, rawOffsets("exact", 0, -1, 100));
    expect(offsetsOf(over!)).toEqual([56, 42, 0]);
  });

  test("a fetch never spans segments: a short response is not the end of the log", async () => {
    broker = await startBroker({ segmentBytes: 10 });
    const [first, second, end] = await ask(
      broker.port,
      rawProduce("seg", 0, fourteen),
      rawProduce("seg", 0, fourteen),
      rawFetch("seg", 0, 0, 1000),
      rawFetch("seg", 0, 14, 1000),
      rawFetch("seg", 0, 28, 1000),
    );
    expect(hex(first!.subarray(2))).toBe(hex(fourteen));
    expect(hex(second!.subarray(2))).toBe(hex(fourteen));
    expect(end!.length).toBe(2);
  });

  test("an offset inside a message is served raw, as 0.7 does (the client detects it)", async () => {
    broker = await startBroker();
    const [mid] = await ask(broker.port, rawProduce("raw", 0, fourteen), rawFetch("raw", 0, 3, 100));
    expect(hex(mid!.subarray(2))).toBe(hex(fourteen.subarray(3)));
  });

  test("offsets of a topic with no log: [0] for latest and earliest, [] for a time", async () => {
    broker = await startBroker();
    const [latest, earliest, time] = await ask(
      broker.port,
      rawOffsets("none", 0, -1, 5),
      rawOffsets("none", 0, -2, 5),
      rawOffsets("none", 0, 1_000, 5),
    );
    expect(offsetsOf(latest!)).toEqual([0]);
    expect(offsetsOf(earliest!)).toEqual([0]);
    expect(offsetsOf(time!)).toEqual([]);
    expect(broker.logs.get("none", 0)).toBeUndefined();
  });

  test("an offset time picks the newest segment modified at or before it", async () => {
    broker = await startBroker({ segmentBytes: 10 });
    const [,] = await ask(broker.port, rawProduce("t", 0, fourteen), rawOffsets("t", 0, -1, 1));
    const between = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    const [answer] = await ask(broker.port, rawProduce("t", 0, fourteen), rawOffsets("t", 0, between, 10));
    expect(offsetsOf(answer!)).toEqual([0]);
  });
});

describe("visibility (flush)", () => {
  test("unflushed messages are invisible to fetch and latest offsets; inside them is out of range", async () => {
    broker = await startBroker({ flushIntervalMessages: 3 });
    const two = textSet("a", "b");
    const [fetch, latest, inside] = await ask(
      broker.port,
      rawProduce("f", 0, two),
      rawFetch("f", 0, 0, 100),
      rawOffsets("f", 0, -1, 5),
      rawFetch("f", 0, 11, 100),
    );
    expect(fetch!.length).toBe(2);
    expect(offsetsOf(latest!)).toEqual([0]);
    expect(hex(inside!)).toBe("0001");
    const [after] = await ask(broker.port, rawProduce("f", 0, textSet("c")), rawFetch("f", 0, 0, 100));
    expect(hex(after!.subarray(2))).toBe(hex(textSet("a", "b", "c")));
  });

  test("a time-based flush makes data visible without more messages", async () => {
    broker = await startBroker({ flushIntervalMessages: 1000, flushIntervalMs: 50 });
    await ask(broker.port, rawProduce("f", 0, fourteen), rawOffsets("f", 0, -1, 1));
    await new Promise((r) => setTimeout(r, 150));
    const [fetch] = await ask(broker.port, rawFetch("f", 0, 0, 100));
    expect(hex(fetch!.subarray(2))).toBe(hex(fourteen));
  });
});

test("retention by size deletes whole old segments, and their offsets become out of range", async () => {
  broker = await startBroker({ segmentBytes: 10, retentionBytes: 20, retentionCheckIntervalMs: 1_000_000 });
  await ask(broker.port, rawProduce("r", 0, fourteen), rawProduce("r", 0, fourteen), rawProduce("r", 0, fourteen), rawOffsets("r", 0, -1, 1));
  broker.logs.enforceRetention();
  const [earliest, old] = await ask(broker.port, rawOffsets("r", 0, -2, 1), rawFetch("r", 0, 0, 100));
  // 42 bytes in three segments, limit 20: like 0.7, delete the oldest while what remains is still ≥ 20.
  expect(offsetsOf(earliest!)).toEqual([14]);
  expect(hex(old!)).toBe("0001");
});
