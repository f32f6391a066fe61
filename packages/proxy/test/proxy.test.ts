/** The protocol-aware proxy: transparent for clients, strict about topics, byte-exact, and bounded. */
import { createServer, connect, type Server, type Socket } from "node:net";
import { createRequire } from "node:module";
import { join } from "node:path";
import { startBroker, type Broker } from "@k07/broker";
import { startProxy, type Proxy, type ProxyLogEntry } from "@k07/proxy";
import {
  FetchRequest,
  KafkaClient,
  OffsetRequest,
  ProduceNotConfirmedError,
  UnknownBrokerError,
  ConnectionClosedError,
  createMessageFromString,
  encodeFetchRequest,
  encodeMultiFetchRequest,
  encodeProduceRequest,
  ProduceRequest,
  decodeMultiFetchResponse,
  FrameDecoder,
} from "@k07/transport-node";
import { scenarios } from "@k07/testing/scenarios.ts";

let broker: Broker;
let proxy: Proxy;
const log: ProxyLogEntry[] = [];
beforeAll(async () => {
  broker = await startBroker({ numPartitions: 1 });
  proxy = await startProxy({
    brokerHost: broker.host,
    brokerPort: broker.port,
    policy: { produce: ["open*", "proxied-*", "public"], fetch: ["open*", "proxied-*", "public"], offsets: ["open*", "proxied-*", "public"] },
    log: (entry) => log.push(entry),
  });
});
afterAll(async () => {
  await proxy.close();
  await broker.close();
});

describe("the client conformance scenarios pass through the proxy unchanged", () => {
  let counter = 0;
  for (const scenario of scenarios) {
    test(scenario.name, () =>
      scenario.run({
        client: (options) => new KafkaClient(proxy.host, proxy.port, options),
        topic: () => `proxied-${++counter}`,
      }),
    );
  }
});

test("a denied fetch gets the broker's error (-1) in order; allowed parts of a multi-fetch still get data", async () => {
  const kafka = new KafkaClient(proxy.host, proxy.port);
  await kafka.sendMessagesSimple("public", 0, "visible");
  await kafka.confirm();
  const direct = new KafkaClient(broker.host, broker.port);
  await direct.sendMessagesSimple("secret", 0, "hidden");
  await direct.confirm();
  const [allowed, denied] = await Promise.allSettled([
    kafka.getMessageSet(new FetchRequest("public", 0, 0, 1000)),
    kafka.getMessageSet(new FetchRequest("secret", 0, 0, 1000)),
  ]);
  expect(allowed.status === "fulfilled" && allowed.value[0].map((m) => m.text())).toEqual(["visible"]);
  expect(denied.status === "rejected" && denied.reason).toBeInstanceOf(UnknownBrokerError);
  const multi = await kafka.getMultiMessageSet([new FetchRequest("public", 0, 0, 1000)]).catch((e: unknown) => e);
  expect(Array.isArray(multi)).toBe(true);
  // A raw multi-fetch mixing both: the proxy rewrites the response part by part.
  const socket = connect(proxy.port, "127.0.0.1");
  const frames = new FrameDecoder();
  const response = new Promise<Uint8Array>((resolve) =>
    socket.on("data", (chunk: Buffer) => {
      frames.push(chunk);
      const frame = frames.next();
      if (frame) resolve(frame);
    }),
  );
  socket.write(encodeMultiFetchRequest([new FetchRequest("secret", 0, 0, 1000), new FetchRequest("public", 0, 0, 1000)]));
  const parts = decodeMultiFetchResponse(await response, 2);
  expect(parts.map((p) => p.errorCode)).toEqual([-1, 0]);
  expect(parts[1]!.messageSet.length).toBe(17);
  socket.destroy();
  expect(log.some((e) => e.topic === "secret" && !e.allowed && e.type === "fetch")).toBe(true);
  await kafka.close();
  await direct.close();
});

test("a denied produce closes the client's connection, as a broker does for a bad produce; nothing reaches the broker", async () => {
  const kafka = new KafkaClient(proxy.host, proxy.port);
  await kafka.sendMessagesSimple("secret-writes", 0, "nope");
  const error = await kafka.confirm().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ProduceNotConfirmedError);
  expect(broker.logs.get("secret-writes", 0)).toBeUndefined();
  await kafka.close().catch(() => {});
});

test("denied offsets close the connection", async () => {
  const kafka = new KafkaClient(proxy.host, proxy.port);
  await expect(kafka.getOffsets(new OffsetRequest("secret", 0, -1, 1))).rejects.toBeInstanceOf(ConnectionClosedError);
  await kafka.close();
});

test("per-topic counters count requests and bytes", () => {
  const counters = proxy.counters();
  expect(counters.get("public")!.requests).toBeGreaterThanOrEqual(3);
  expect(counters.get("public")!.bytesProduced).toBe(17);
  expect(counters.get("public")!.bytesFetched).toBeGreaterThanOrEqual(17);
  expect(counters.get("secret")!.denied).toBeGreaterThanOrEqual(2);
});

describe("against a recording broker", () => {
  let server: Server;
  let received: Buffer[] = [];
  let recordingProxy: Proxy;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.push(socket);
      socket.on("data", (chunk: Buffer) => received.push(chunk));
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    recordingProxy = await startProxy({ brokerHost: "127.0.0.1", brokerPort: (server.address() as { port: number }).port });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await recordingProxy.close();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    received = [];
  });

  async function through(bytes: Uint8Array): Promise<{ closed: boolean }> {
    const socket = connect(recordingProxy.port, "127.0.0.1");
    socket.on("error", () => {});
    let closed = false;
    socket.on("close", () => (closed = true));
    await new Promise((resolve) => socket.once("connect", resolve));
    // Byte by byte: the proxy must reassemble frames across any chunking.
    for (let i = 0; i < bytes.length; i += 7) socket.write(bytes.subarray(i, i + 7));
    await new Promise((resolve) => setTimeout(resolve, 150));
    socket.destroy();
    return { closed };
  }

  test("forwarded frames are byte-identical to what the client sent", async () => {
    const produce = encodeProduceRequest(new ProduceRequest("t", 0, [createMessageFromString("payload")]));
    const fetch = encodeFetchRequest(new FetchRequest("t", 0, 0, 100));
    const sent = Buffer.concat([produce, fetch, produce]);
    await through(sent);
    expect(Buffer.concat(received).equals(sent)).toBe(true);
  });

  test("a malformed frame never reaches the broker: the client is disconnected", async () => {
    const bad = Buffer.from([0xff, 0xff, 0xff, 0xf0, 0, 1]);
    const { closed } = await through(bad);
    expect(closed).toBe(true);
    expect(Buffer.concat(received).length).toBe(0);
    const unknownType = Buffer.from([0, 0, 0, 2, 0, 9]);
    expect((await through(unknownType)).closed).toBe(true);
    expect(Buffer.concat(received).length).toBe(0);
  });
});

test("a client that stops reading slows its broker connection instead of filling the proxy's memory", async () => {
  const writer = new KafkaClient(broker.host, broker.port);
  const payload = "p".repeat(10_000);
  for (let i = 0; i < 10; i++) await writer.sendMessagesSimple("open-bp", 0, ...Array.from({ length: 100 }, () => payload));
  await writer.confirm();
  await writer.close();
  const socket = connect(proxy.port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.pause();
  const fetch = encodeFetchRequest(new FetchRequest("open-bp", 0, 0, 1_000_000));
  // 300 fetches of ~1 MB: 300 MB if the proxy buffered every response.
  for (let i = 0; i < 300; i++) socket.write(fetch);
  await new Promise((resolve) => setTimeout(resolve, 700));
  expect(proxy.bufferedBytes()).toBeLessThan(32 * 1_000_000);
  expect(broker.bufferedBytes()).toBeLessThan(32 * 1_000_000);
  socket.destroy();
});

describe("franz-kafka 0.7.5 through the proxy, unchanged", () => {
  type FranzTopic = NodeJS.EventEmitter & { write(data: string): boolean; resume(): void };
  type FranzKafka = { connect(cb: () => void): void; topic(name: string, options?: object): FranzTopic; close(): void };
  const franz = createRequire(join(process.cwd(), "package.json"))("franz-kafka") as (options: object) => FranzKafka;

  test("produces through the proxy and reads its messages back through it; k07 sees them at the broker", async () => {
    const kafka = franz({ brokers: [{ id: 0, host: proxy.host, port: proxy.port }], queueTime: 60_000, batchSize: 3 });
    await new Promise<void>((resolve) => kafka.connect(resolve));
    try {
      const topic = kafka.topic("open-franz", { partitions: { produce: ["0:1"], consume: ["0-0:0"] } });
      const received: string[] = [];
      const done = new Promise<void>((resolve, reject) => {
        topic.on("error", reject);
        topic.on("data", (chunk: Buffer) => {
          received.push(chunk.toString());
          if (received.length === 3) resolve();
        });
      });
      for (const text of ["one", "two", "three"]) topic.write(text);
      topic.resume();
      await done;
      expect(received).toEqual(["one", "two", "three"]);
    } finally {
      kafka.close();
    }
    const direct = new KafkaClient(broker.host, broker.port);
    const [messages] = await direct.getMessageSet(new FetchRequest("open-franz", 0, 0, 1000));
    expect(messages.map((m) => m.text())).toEqual(["one", "two", "three"]);
    await direct.close();
  });
});
