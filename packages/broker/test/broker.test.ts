/** The Broker handle: its address, counters, timers, and how it closes or fails to start. */
import { createServer, type Server } from "node:net";
import { startBroker, type Broker } from "@k07/broker";
import { rawFetch, rawOffsets, rawProduce, textSet } from "./helpers/bytes.ts";
import { ask, RawConnection } from "./helpers/raw-connection.ts";

let broker: Broker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

function latestOffset(frame: Uint8Array): number {
  return Number(new DataView(frame.buffer, frame.byteOffset).getBigInt64(6));
}

async function until(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("listens on 127.0.0.1 at a free port by default, and says so as host:port", async () => {
  broker = await startBroker();
  expect(broker.host).toBe("127.0.0.1");
  expect(broker.port).toBeGreaterThan(0);
  expect(broker.address).toBe(`127.0.0.1:${broker.port}`);
  expect(broker.zookeeper).toBeUndefined();
  expect(broker.options.numPartitions).toBe(1);
});

test("connectionCount follows clients coming and going", async () => {
  broker = await startBroker();
  const a = await RawConnection.open(broker.port);
  const b = await RawConnection.open(broker.port);
  await until(() => broker!.connectionCount === 2);
  a.end();
  await until(() => broker!.connectionCount === 1);
  b.end();
  await until(() => broker!.connectionCount === 0);
});

test("bufferedBytes counts responses a client has not taken yet", async () => {
  broker = await startBroker();
  await ask(broker.port, rawProduce("b", 0, textSet("x".repeat(100_000))), rawOffsets("b", 0, -1, 1));
  expect(broker.bufferedBytes()).toBe(0);
  const reader = await RawConnection.open(broker.port);
  reader.socket.pause();
  for (let i = 0; i < 200; i++) reader.socket.write(rawFetch("b", 0, 0, 1_000_000));
  await until(() => broker!.bufferedBytes() > 0);
  reader.end();
  await until(() => broker!.bufferedBytes() === 0);
});

test("flush() makes every log's appends visible", async () => {
  broker = await startBroker({ flushIntervalMessages: 1000 });
  const [before] = await ask(broker.port, rawProduce("f", 0, textSet("x")), rawOffsets("f", 0, -1, 1));
  expect(latestOffset(before!)).toBe(0);
  broker.flush();
  const [after] = await ask(broker.port, rawOffsets("f", 0, -1, 1));
  expect(latestOffset(after!)).toBe(textSet("x").length);
});

test("without flushIntervalMs nothing is flushed by time", async () => {
  broker = await startBroker({ flushIntervalMessages: 1000 });
  await ask(broker.port, rawProduce("f", 0, textSet("x")), rawOffsets("f", 0, -1, 1));
  await new Promise((r) => setTimeout(r, 200));
  const [latest] = await ask(broker.port, rawOffsets("f", 0, -1, 1));
  expect(latestOffset(latest!)).toBe(0);
});

test("retention is enforced every retentionCheckIntervalMs", async () => {
  broker = await startBroker({ segmentBytes: 10, retentionBytes: 20, retentionCheckIntervalMs: 50 });
  const set = textSet("abcd"); // 14 bytes: each produce rolls a new segment
  await ask(broker.port, rawProduce("r", 0, set), rawProduce("r", 0, set), rawProduce("r", 0, set), rawOffsets("r", 0, -1, 1));
  await until(() => broker!.logs.get("r", 0)!.startOffset === 14);
});

test("close() stops listening and closes connections; calling it again gives the same promise", async () => {
  broker = await startBroker();
  const port = broker.port;
  const conn = await RawConnection.open(port);
  const closing = broker.close();
  expect(broker.close()).toBe(closing);
  await closing;
  expect(await conn.closesWithin(2000)).toBe(true);
  await expect(RawConnection.open(port)).rejects.toThrow();
  expect(broker.logs.topics()).toEqual([]);
});

test("a port in use rejects with the system error", async () => {
  const server: Server = await new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
  try {
    const port = (server.address() as { port: number }).port;
    await expect(startBroker({ port })).rejects.toMatchObject({ code: "EADDRINUSE" });
  } finally {
    server.close();
  }
});

test("close() stops the flush and retention timers", async () => {
  const started = jest.spyOn(global, "setInterval");
  const stopped = jest.spyOn(global, "clearInterval");
  try {
    broker = await startBroker({ flushIntervalMs: 1_000 });
    const timers = started.mock.results.map((result) => result.value as unknown);
    expect(timers.length).toBe(2);
    await broker.close();
    expect(stopped.mock.calls.map(([timer]) => timer as unknown)).toEqual(timers);
  } finally {
    started.mockRestore();
    stopped.mockRestore();
  }
});
