/**
 * Hostile compressed produces: one decompression budget per produced
 * set, nesting refused, and no long stall: while one connection's produce is validated, the broker
 * keeps answering the others, and that connection's later frames wait their turn.
 */
import { startBroker, type Broker, type ConnectionEvent } from "@k07/broker";
import {
  Compression,
  ProduceRequest,
  createGzipMessage,
  createMessage,
  encodeMessages,
  encodeMultiProduceRequest,
  gzipCodec,
  type Message,
} from "@k07/codec";
import { hex, rawFetch, rawOffsets, rawProduce } from "./helpers/bytes.ts";
import { RawConnection } from "./helpers/raw-connection.ts";
import { emptyMessageSet } from "@k07/testing/hostile.ts";

let broker: Broker;
const events: ConnectionEvent[] = [];
beforeEach(async () => {
  events.length = 0;
  broker = await startBroker({ onEvent: (e) => events.push(e) });
});
afterEach(() => broker.close());

/** A message of `size` bytes that compresses well (its wrapper stays under maxMessageSize) but not to nothing. */
function filler(size: number, seed: number): Message {
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = (i % 251) ^ (seed & 0xff);
  return createMessage(payload);
}

const appended = (topic: string): number => broker.logs.get(topic, 0)?.appendEnd ?? 0;

test("a compressed message inside a compressed one is an invalid produce: closed, nothing of it appended, earlier parts kept", async () => {
  const nested = createGzipMessage([createGzipMessage([createMessage("deep")])]);
  const frame = encodeMultiProduceRequest([new ProduceRequest("kept", 0, [createMessage("ok")]), new ProduceRequest("nested", 0, [nested])]);
  const conn = await RawConnection.open(broker.port);
  conn.send(frame);
  expect(await conn.closesWithin(2000)).toBe(true);
  expect(appended("kept")).toBe(encodeMessages([createMessage("ok")]).length);
  expect(appended("nested")).toBe(0);
  expect(events.map((e) => e.kind)).toEqual(["closed-by-broker"]);
  expect(events[0]!.reason).toMatch(/^produce to nested-0: .*never nest/);
});

test("a small gzip of two million empty messages exceeds the budget: closed, nothing appended, quickly", async () => {
  const bomb = encodeMessages([{ magic: 1, attributes: Compression.Gzip, payload: gzipCodec.compress(emptyMessageSet(2_000_000)) }]);
  expect(bomb.length).toBeLessThan(64 * 1024);
  const conn = await RawConnection.open(broker.port);
  const started = performance.now();
  conn.send(rawProduce("empties", 0, bomb));
  expect(await conn.closesWithin(5000)).toBe(true);
  expect(performance.now() - started).toBeLessThan(5000);
  expect(appended("empties")).toBe(0);
  expect(events[0]!.reason).toMatch(/^produce to empties-0: .*maxDecompressedBytes \(67108864\).*64 bytes per decompressed message/);
});

test("while one connection's big compressed produce is validated, another connection keeps being answered, and the producer's next frame waits its turn", async () => {
  // 32 MiB inflated: a legitimate batch, validated in slices.
  const wrapper = createGzipMessage(Array.from({ length: 512 }, (_, i) => filler(64 * 1024, i)));
  const set = encodeMessages([wrapper]);
  expect(set.length).toBeLessThan(broker.options.maxMessageSize);
  const probe = await RawConnection.open(broker.port);
  const producer = await RawConnection.open(broker.port);
  const roundTrips: number[] = [];
  let validating = true;
  const probing = (async () => {
    while (validating) {
      const sent = performance.now();
      probe.send(rawOffsets("probe", 0, -1, 1));
      await probe.frame(30_000);
      roundTrips.push(performance.now() - sent);
    }
  })();
  const started = performance.now();
  // A fetch right behind the produce, on the same connection: it must see the produce applied.
  producer.send(rawProduce("big", 0, set), rawFetch("big", 0, 0, 64 * 1024));
  const fetched = await producer.frame(30_000);
  const elapsed = performance.now() - started;
  validating = false;
  await probing;
  expect(hex(fetched.subarray(0, 2))).toBe("0000");
  expect(fetched.length - 2).toBe(Math.min(64 * 1024, set.length));
  expect(appended("big")).toBe(set.length);
  expect(events).toEqual([]);
  // Not one long stall: several answers came back during the validation, none kept waiting for
  // two seconds or half the whole time (generous: the validation goes in pieces of ~10 ms).
  expect(roundTrips.length).toBeGreaterThanOrEqual(3);
  expect(Math.max(...roundTrips)).toBeLessThan(Math.min(2000, elapsed / 2));
  producer.end();
  probe.end();
});

test("a plain produce is applied before the frame behind it is answered", async () => {
  const conn = await RawConnection.open(broker.port);
  conn.send(rawProduce("plain", 0, encodeMessages([createMessage("a"), createMessage("b")])), rawOffsets("plain", 0, -1, 1));
  await conn.frame();
  expect(appended("plain")).toBe(2 * 11);
  conn.end();
});
