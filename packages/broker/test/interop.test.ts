/**
 * Interop with the npm Kafka 0.7 clients of the era, used unchanged: prozess 0.7.0 and franz-kafka
 * 0.7.5 (static `brokers` mode, no ZooKeeper). Each produces to and consumes from the embedded
 * broker, what each writes is read byte for byte by k07's KafkaClient, and what k07 writes is read
 * by each. Where one of them cannot work against any correct 0.7 broker, a test named "… bug: …"
 * proves exactly how it fails (it asserts the wrong behaviour, so it fails if the bug is fixed).
 */
import { createServer, type Server } from "node:net";
import { createRequire } from "node:module";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { startBroker, type Broker } from "@k07/broker";
import {
  EncodedMessageSet,
  FetchRequest,
  KafkaClient,
  ProduceRequest,
  createGzipMessage,
  createMessage,
  createMessageFromString,
  encodeMessages,
  type KafkaMessage,
} from "@k07/transport-node";
import { vector, vectorBytes } from "@k07/testing/vectors.ts";
import { hex, pieceBytes } from "./helpers/bytes.ts";

// ------------------------------------------------------------------ the peers, as their sources define them

/** A 64-bit number from the `bignum` package (prozess's offsets). */
interface BigNum {
  toNumber(): number;
}

interface ProzessMessage {
  readonly magic: number;
  readonly compression: number;
  readonly payload: Buffer;
}

interface ProzessProducer {
  connect(): void;
  once(event: "connect", listener: () => void): void;
  send(messages: string | Buffer | (string | Buffer)[], callback: (error?: unknown) => void): void;
  /** prozess has no close(): its `Connection` wraps the socket as `_connection`. */
  readonly connection: { readonly _connection: import("node:net").Socket };
}

interface ProzessConsumer {
  offset: BigNum | null;
  readonly socket: import("node:net").Socket;
  connect(callback: (error?: unknown) => void): void;
  consume(callback: (error: unknown, messages?: ProzessMessage[]) => void): void;
  getLatestOffset(callback: (error: unknown, offset?: BigNum) => void): void;
  getEarliestOffset(callback: (error: unknown, offset?: BigNum) => void): void;
}

interface ProzessModule {
  Producer: new (topic: string, options: { host: string; port: number; partition?: number }) => ProzessProducer;
  Consumer: new (options: {
    host: string;
    port: number;
    topic: string;
    partition: number;
    offset?: number;
    maxMessageSize?: number;
  }) => ProzessConsumer;
  Message: new (payload: string | Buffer) => ProzessMessage;
  ProduceRequest: new (topic: string, partition: number, messages: ProzessMessage[]) => { toBytes(): Buffer };
  FetchResponse: { fromBytes(bytes: Buffer): { error: number; messages: ProzessMessage[] } };
}

interface FranzTopic extends NodeJS.EventEmitter {
  write(data: string | Buffer): boolean;
  resume(): void;
  readonly partitions: {
    get(name: string): { offset: number } | undefined;
    readonly consumer: NodeJS.EventEmitter;
  };
}

interface FranzKafka extends NodeJS.EventEmitter {
  connect(onConnect: () => void): void;
  topic(name: string, options?: FranzTopicOptions): FranzTopic;
  broker(id: number): { client: { ready: boolean; connection: import("node:net").Socket } };
  close(): void;
}

interface FranzTopicOptions {
  maxMessageSize?: number;
  compression?: "none" | "gzip" | "snappy";
  batchSize?: number;
  queueTime?: number;
  maxFetchSize?: number;
  partitions?: { consume?: string[]; produce?: string[] };
}

type FranzFactory = (options: { brokers: { id: number; host: string; port: number }[] } & FranzTopicOptions) => FranzKafka;

// Both peers are CommonJS without types; resolve them from the repository root like any user would.
const requireFromRoot = createRequire(join(process.cwd(), "package.json"));
const prozess = requireFromRoot("prozess") as ProzessModule;
const franz = requireFromRoot("franz-kafka") as FranzFactory;
const snappy = requireFromRoot("snappy") as { compress(data: Buffer, callback: () => void): Promise<Buffer> };

// ------------------------------------------------------------------ shared fixtures

let broker: Broker;
let k07: KafkaClient;
/** What a test opened, closed after it whether it passed or not (newest first). */
const cleanups: (() => void | Promise<void>)[] = [];
const onCleanup = (close: () => void | Promise<void>): void => void cleanups.push(close);
beforeEach(async () => {
  broker = await startBroker({ port: 0 });
  k07 = new KafkaClient(broker.host, broker.port);
});
afterEach(async () => {
  for (const close of cleanups.splice(0).reverse()) await close();
  await k07.close();
  await untilNoConnections();
  await broker.close();
});

/** Waits until every peer socket has closed at the broker: proof that the test cleaned up. */
async function untilNoConnections(): Promise<void> {
  for (let i = 0; i < 200 && broker.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(broker.connectionCount).toBe(0);
}

const MiB = 1024 * 1024;

/** Every message of a partition, read by k07 from offset 0 to the end of the log. */
async function k07ReadAll(topic: string): Promise<KafkaMessage[]> {
  const all: KafkaMessage[] = [];
  for await (const m of k07.iterMessages(new FetchRequest(topic, 0, 0, MiB))) all.push(m);
  return all;
}

/** What the broker's log for a partition holds, byte for byte. */
function logBytes(topic: string): string {
  const log = broker.logs.get(topic, 0);
  if (log === undefined) throw new Error(`no log for ${topic}-0`);
  return log
    .read(0, 100 * MiB)
    .pieces.map((piece) => hex(pieceBytes(piece)))
    .join("");
}

function texts(messages: readonly ({ payload: Uint8Array } | Buffer)[]): string[] {
  return messages.map((m) => Buffer.from(Buffer.isBuffer(m) ? m : m.payload).toString("utf8"));
}

/** Resolves when a log reaches `bytes` (a 0.7 produce has no reply; only reading shows it landed). */
async function untilLogHolds(topic: string, bytes: number): Promise<void> {
  for (;;) {
    if ((broker.logs.get(topic, 0)?.read(0, 100 * MiB).length ?? 0) >= bytes) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

const callback = <T>(run: (done: (error: unknown, value?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => run((error, value) => (error ? reject(error) : resolve(value as T))));

// A mix that catches length, UTF-8 and binary mistakes: empty, ASCII, multi-byte text, all 256 byte values.
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const MIXED_PAYLOADS: (string | Buffer)[] = ["", "hello", "naïve ✓ 日本", ALL_BYTES];
const asBytes = (p: string | Buffer): Buffer => (typeof p === "string" ? Buffer.from(p, "utf8") : p);

// ------------------------------------------------------------------ prozess

describe("prozess 0.7.0", () => {
  async function producer(topic: string): Promise<ProzessProducer> {
    const p = new prozess.Producer(topic, { host: broker.host, port: broker.port });
    const connected = new Promise<void>((resolve) => p.once("connect", resolve));
    p.connect();
    await connected;
    onCleanup(() => void p.connection._connection.end());
    return p;
  }

  async function consumer(topic: string, offset: number, maxMessageSize?: number): Promise<ProzessConsumer> {
    const c = new prozess.Consumer({ host: broker.host, port: broker.port, topic, partition: 0, offset, maxMessageSize });
    await callback<void>((done) => c.connect(done));
    onCleanup(() => void c.socket.end());
    return c;
  }

  test("produces to the embedded broker and its own Consumer reads back exactly what it sent", async () => {
    const p = await producer("pz-roundtrip");
    await callback<void>((done) => p.send(MIXED_PAYLOADS, done));
    const expectedLogBytes = MIXED_PAYLOADS.reduce((n, m) => n + 10 + asBytes(m).length, 0);
    await untilLogHolds("pz-roundtrip", expectedLogBytes);

    const c = await consumer("pz-roundtrip", 0);
    const messages = await callback<ProzessMessage[]>((done) => c.consume(done));
    expect(messages.map((m) => m.payload)).toEqual(MIXED_PAYLOADS.map(asBytes));
    expect(c.offset!.toNumber()).toBe(expectedLogBytes);
  });

  test("writes the Produce request of golden vector V4 byte for byte, and k07 reads what it produced", async () => {
    const request = new prozess.ProduceRequest("test", 0, [new prozess.Message("hello"), new prozess.Message("world")]);
    expect(request.toBytes().toString("hex")).toBe(vector("produce_test_p0_hello_world").hex);

    const p = await producer("test");
    await callback<void>((done) => p.send(["hello", "world"], done));
    await untilLogHolds("test", 30);
    // The log is V9's message set: the broker stored prozess's entries verbatim.
    expect(logBytes("test")).toBe(vector("fetch_response_hello_world").hex.slice(12));
    const read = await k07ReadAll("test");
    expect(read.map((m) => [m.offset, m.nextOffset, m.magic, m.text()])).toEqual([
      [0, 15, 1, "hello"],
      [15, 30, 1, "world"],
    ]);
  });

  test("k07 reads mixed payloads from prozess with every byte intact", async () => {
    const p = await producer("pz-bytes");
    await callback<void>((done) => p.send(MIXED_PAYLOADS, done));
    await untilLogHolds(
      "pz-bytes",
      MIXED_PAYLOADS.reduce((n, m) => n + 10 + asBytes(m).length, 0),
    );
    const read = await k07ReadAll("pz-bytes");
    expect(read.map((m) => Buffer.from(m.payload))).toEqual(MIXED_PAYLOADS.map(asBytes));
  });

  test("its Consumer reads what k07 produced, over many small fetches, ending where k07's log ends", async () => {
    const sent = Array.from({ length: 60 }, (_, i) => `k07 message ${i} ${"x".repeat(i % 17)}`);
    for (let i = 0; i < sent.length; i += 20)
      await k07.sendMessageSet(new ProduceRequest("pz-from-k07", 0, sent.slice(i, i + 20).map(createMessageFromString)));
    await k07.confirm();

    // 200-byte fetches: each response ends in a cut-off entry that prozess must leave for the next fetch.
    const c = await consumer("pz-from-k07", 0, 200);
    const got: string[] = [];
    let fetches = 0;
    for (;;) {
      const batch = await callback<ProzessMessage[]>((done) => c.consume(done));
      fetches++;
      if (batch.length === 0) break;
      got.push(...texts(batch));
    }
    expect(got).toEqual(sent);
    expect(fetches).toBeGreaterThan(10);
    expect(c.offset!.toNumber()).toBe(await k07.latestOffset("pz-from-k07", 0));
  });

  test("its offset requests agree with k07's", async () => {
    await k07.sendMessagesSimple("pz-offsets", 0, "a", "bb", "ccc");
    await k07.confirm();
    const c = await consumer("pz-offsets", 0);
    const earliest = await callback<BigNum>((done) => c.getEarliestOffset(done));
    const latest = await callback<BigNum>((done) => c.getLatestOffset(done));
    expect([earliest.toNumber(), latest.toNumber()]).toEqual([await k07.earliestOffset("pz-offsets", 0), await k07.latestOffset("pz-offsets", 0)]);
    expect(latest.toNumber()).toBe(11 + 12 + 13);
  });

  test("it has no decompression: a k07 gzip wrapper reaches it as one message holding the gzip bytes", async () => {
    const inner = ["a", "b"].map(createMessageFromString);
    const wrapper = createGzipMessage(inner);
    await k07.sendMessageSet(new ProduceRequest("pz-gzip", 0, [wrapper]));
    await k07.confirm();
    const c = await consumer("pz-gzip", 0);
    const [only, ...rest] = await callback<ProzessMessage[]>((done) => c.consume(done));
    expect(rest).toEqual([]);
    expect(only!.compression).toBe(1);
    expect(hex(gunzipSync(only!.payload))).toBe(hex(encodeMessages(inner)));
  });

  test("prozess bug: it misreads magic-0 messages (legal 0.7) and then stalls for ever inside the log", async () => {
    // The live 0.7.2 log of golden vector V10: a magic-0 "test", a magic-1 "test", "hello", "world".
    await k07.sendMessageSet(
      new ProduceRequest("pz-magic0", 0, [
        createMessage("test", { magic: 0 }),
        createMessage("test"),
        createMessageFromString("hello"),
        createMessageFromString("world"),
      ]),
    );
    await k07.confirm();
    expect(logBytes("pz-magic0")).toBe(vector("fetch_response_4_from_broker").hex.slice(12));
    expect(texts(await k07ReadAll("pz-magic0"))).toEqual(["test", "test", "hello", "world"]);

    // prozess measures each message by re-encoding it as magic 1 (payload + 10): the 13-byte magic-0
    // entry counts as 14, so it stops parsing after one message and advances to offset 14, inside
    // the second entry. There the next "length" reads 0x000a0100 (655,616 bytes): no message ever
    // parses, the offset never moves, and consume() returns [] for ever.
    const c = await consumer("pz-magic0", 0);
    const first = await callback<ProzessMessage[]>((done) => c.consume(done));
    expect(first.map((m) => [m.magic, m.payload.toString()])).toEqual([[0, "test"]]);
    expect(c.offset!.toNumber()).toBe(14);
    const second = await callback<ProzessMessage[]>((done) => c.consume(done));
    expect(second).toEqual([]);
    expect(c.offset!.toNumber()).toBe(14);
  });

  describe("prozess bug: a fetch response short of its last one or two bytes counts as complete", () => {
    const v9 = Buffer.from(vectorBytes("fetch_response_hello_world"));

    test("its completeness check is off by two: 'world' is silently cut off", () => {
      // Response.fromBytes reads `length` body bytes after the error code (two too many) and calls
      // the response incomplete only when even `length - 4` are missing.
      expect(texts(prozess.FetchResponse.fromBytes(v9.subarray(0, v9.length - 1)).messages)).toEqual(["hello"]);
      expect(texts(prozess.FetchResponse.fromBytes(v9.subarray(0, v9.length - 2)).messages)).toEqual(["hello"]);
      expect(() => prozess.FetchResponse.fromBytes(v9.subarray(0, v9.length - 3))).toThrow("incomplete response");
      expect(texts(prozess.FetchResponse.fromBytes(v9).messages)).toEqual(["hello", "world"]);
    });

    test("when TCP delivers the last byte separately, its Consumer throws from the socket's data handler", async () => {
      // A silent server stands in for the broker; the response is fed to prozess's own 'data'
      // listener in the two chunks TCP may deliver, so the throw lands here, not in the event loop.
      const silent: Server = createServer((socket) => onCleanup(() => void socket.destroy()));
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      onCleanup(() => new Promise<void>((resolve) => silent.close(() => resolve())));
      const port = (silent.address() as { port: number }).port;
      const c = new prozess.Consumer({ host: "127.0.0.1", port, topic: "test", partition: 0, offset: 0 });
      await callback<void>((done) => c.connect(done));
      onCleanup(() => void c.socket.destroy());
      const onData = c.socket.listeners("data")[0] as (chunk: Buffer) => void;
      const consumed = callback<ProzessMessage[]>((done) => c.consume(done));

      onData(v9.subarray(0, v9.length - 1));
      expect(texts(await consumed)).toEqual(["hello"]);
      expect(() => onData(v9.subarray(v9.length - 1))).toThrow("Got a response when no response was expected!");
    });
  });
});

// ------------------------------------------------------------------ franz-kafka

describe("franz-kafka 0.7.5 (static brokers mode)", () => {
  async function connectFranz(options: FranzTopicOptions = {}): Promise<FranzKafka> {
    // queueTime is long so batches leave only when full: no timer is left behind by a test.
    const kafka = franz({ brokers: [{ id: 0, host: broker.host, port: broker.port }], queueTime: 60_000, ...options });
    const connected = new Promise<void>((resolve) => kafka.connect(resolve));
    onCleanup(() => kafka.close());
    await connected;
    return kafka;
  }

  /** Collects `count` messages from a topic stream (resumed here), with the offsets events it saw. */
  function collect(topic: FranzTopic, count: number): Promise<{ data: Buffer[]; offsetEvents: unknown[][] }> {
    const data: Buffer[] = [];
    const offsetEvents: unknown[][] = [];
    return new Promise((resolve, reject) => {
      topic.on("error", reject);
      topic.on("offset", (...args: unknown[]) => offsetEvents.push(args));
      topic.on("data", (chunk: Buffer) => {
        data.push(chunk);
        if (data.length === count) resolve({ data, offsetEvents });
      });
      topic.resume();
    });
  }

  test("produces to the embedded broker and its topic stream reads back exactly what it sent", async () => {
    const kafka = await connectFranz({ batchSize: 4 });
    const topic = kafka.topic("fz-roundtrip", { partitions: { produce: ["0:1"], consume: ["0-0:0"] } });
    for (const payload of MIXED_PAYLOADS) topic.write(payload);
    const received = await collect(topic, MIXED_PAYLOADS.length);
    expect(received.data).toEqual(MIXED_PAYLOADS.map(asBytes));
    expect(topic.partitions.get("0-0")!.offset).toBe(await k07.latestOffset("fz-roundtrip", 0));
  });

  test("what it writes is the golden vectors' bytes: the log is V9 and k07 reads hello and world", async () => {
    const kafka = await connectFranz({ batchSize: 2 });
    const topic = kafka.topic("test", { partitions: { produce: ["0:1"] } });
    topic.write("hello");
    topic.write("world");
    await untilLogHolds("test", 30);
    expect(logBytes("test")).toBe(vector("fetch_response_hello_world").hex.slice(12));
    expect((await k07ReadAll("test")).map((m) => [m.offset, m.nextOffset, m.text()])).toEqual([
      [0, 15, "hello"],
      [15, 30, "world"],
    ]);
  });

  test("k07 reads its gzip batches, inner messages and offsets as the 0.7 iterator reports them", async () => {
    const kafka = await connectFranz({ batchSize: 3, compression: "gzip" });
    const topic = kafka.topic("fz-gzip", { partitions: { produce: ["0:1"] } });
    // Two wrappers; their size depends on franz's zlib, so wait on what k07 can read. The second
    // batch waits for the first: franz compresses batches concurrently in zlib's thread pool and
    // writes each when its compression ends, so two batches in flight may land in either order.
    let read: KafkaMessage[] = [];
    for (const payload of ["one", "two", "three"]) topic.write(payload);
    while (read.length < 3) read = await k07ReadAll("fz-gzip");
    for (const payload of ["four", "five", "six"]) topic.write(payload);
    while (read.length < 6) read = await k07ReadAll("fz-gzip");
    expect(read.map((m) => m.text())).toEqual(["one", "two", "three", "four", "five", "six"]);
    // The log's first entry is a magic-1 gzip wrapper (attributes 1), stored as franz wrote it.
    expect(logBytes("fz-gzip").slice(8, 12)).toBe("0101");
    // Protocol §6.2: inner messages but the last point at their wrapper's start; the last past its end.
    const [w1, w2] = [read[2]!.nextOffset, read[5]!.nextOffset];
    expect(read.map((m) => m.nextOffset)).toEqual([0, 0, w1, w1, w1, w2]);
    expect(w2).toBe(await k07.latestOffset("fz-gzip", 0));
  });

  test("its topic stream reads what k07 produced, plain over many fetches, then a gzip wrapper", async () => {
    const plain = Array.from({ length: 120 }, (_, i) => `plain ${i}`);
    await k07.sendMessageSet(new ProduceRequest("fz-from-k07", 0, plain.map(createMessageFromString)));
    await k07.sendMessageSet(new ProduceRequest("fz-from-k07", 0, ["g1", "g2"].map(createMessageFromString), { compression: "gzip" }));
    await k07.confirm();

    const kafka = await connectFranz({ maxFetchSize: 512 });
    const topic = kafka.topic("fz-from-k07", { partitions: { consume: ["0-0:0"] } });
    const received = await collect(topic, plain.length + 2);
    expect(texts(received.data)).toEqual([...plain, "g1", "g2"]);
    const end = await k07.latestOffset("fz-from-k07", 0);
    // One 'offset' event per fetch: 512-byte fetches cannot have taken fewer than end / 512.
    expect(received.offsetEvents.length).toBeGreaterThanOrEqual(Math.floor(end / 512));
    expect(topic.partitions.get("0-0")!.offset).toBe(end);
  });

  test("its topic stream reads the gzip wrapper Kafka 0.7.2's Java producer wrote (V15)", async () => {
    await k07.sendMessageSet(new ProduceRequest("fz-java-gzip", 0, new EncodedMessageSet(vectorBytes("gzip_wrapper_hello_world_java"))));
    await k07.confirm();
    const kafka = await connectFranz();
    const topic = kafka.topic("fz-java-gzip", { partitions: { consume: ["0-0:0"] } });
    expect(texts((await collect(topic, 2)).data)).toEqual(["hello", "world"]);
    expect(topic.partitions.get("0-0")!.offset).toBe(57);
  });

  test("franz bug: its 'offset' event always reports (undefined, undefined)", async () => {
    await k07.sendMessagesSimple("fz-offset-event", 0, "a");
    await k07.confirm();
    const kafka = await connectFranz();
    const topic = kafka.topic("fz-offset-event", { partitions: { consume: ["0-0:0"] } });
    // The consumer emits 'messages' with itself where the partition belongs, so the topic reads
    // `name` and `offset` off the consumer, which has neither.
    const { offsetEvents } = await collect(topic, 1);
    expect(offsetEvents[0]).toEqual([undefined, undefined]);
  });

  test("franz bug: it drops the first payload byte of every magic-0 message (and reports a CRC mismatch)", async () => {
    const errors = jest.spyOn(console, "error").mockImplementation(() => {});
    try {
      await k07.sendMessageSet(new ProduceRequest("fz-magic0", 0, new EncodedMessageSet(vectorBytes("msg_v0_test_entry"))));
      await k07.confirm();
      const kafka = await connectFranz();
      const topic = kafka.topic("fz-magic0", { partitions: { consume: ["0-0:0"] } });
      // Message.parse always takes the payload from byte 10 (the magic-1 layout); magic 0's starts at 9.
      const { data } = await collect(topic, 1);
      expect(texts(data)).toEqual(["est"]);
      expect(errors).toHaveBeenCalledWith("Mismatched checksum");
    } finally {
      errors.mockRestore();
    }
  });

  test("franz bug: messages after a compressed wrapper in the same fetch overtake the wrapper's messages", async () => {
    await k07.sendMessageSet(
      new ProduceRequest("fz-order", 0, [createGzipMessage(["a", "b"].map(createMessageFromString)), createMessageFromString("c")]),
    );
    await k07.confirm();
    expect(texts(await k07ReadAll("fz-order"))).toEqual(["a", "b", "c"]);
    const kafka = await connectFranz();
    const topic = kafka.topic("fz-order", { partitions: { consume: ["0-0:0"] } });
    // Plain messages are emitted at once; a wrapper's only after zlib.gunzip calls back. (Two
    // wrappers in one fetch race each other the same way, in zlib's thread pool.)
    expect(texts((await collect(topic, 3)).data)).toEqual(["c", "a", "b"]);
  });

  test("franz bug: a message larger than maxFetchSize stops consumption without the documented 'error' event", async () => {
    await k07.sendMessagesSimple("fz-too-big", 0, "x".repeat(2000));
    await k07.confirm();
    const kafka = await connectFranz({ maxFetchSize: 1024 });
    const topic = kafka.topic("fz-too-big", { partitions: { consume: ["0-0:0"] } });
    const topicErrors: unknown[] = [];
    topic.on("error", (e: unknown) => topicErrors.push(e));
    // The inner consumer does report it, but PartitionSet's handler for it is empty. Its emit is
    // synchronous, so when this listener (added after PartitionSet's) runs, a forward would have happened.
    const inner = new Promise<Error>((resolve) => topic.partitions.consumer.once("error", resolve));
    topic.resume();
    expect((await inner).message).toBe("message larger than buffer");
    expect(topicErrors).toEqual([]);
  });

  test("franz bug: write() returns false after every full batch although nothing is queued, and no 'drain' follows", async () => {
    const kafka = await connectFranz({ batchSize: 2 });
    const topic = kafka.topic("fz-backpressure", { partitions: { produce: ["0:1"] } });
    let drains = 0;
    topic.on("drain", () => drains++);
    expect(topic.write("w1")).toBe(true);
    // MessageBuffer's send() returns a `sent` flag it never sets, so a full batch always says "stop".
    expect(topic.write("w2")).toBe(false);
    const client = kafka.broker(0).client;
    expect([client.ready, client.connection.writableLength]).toEqual([true, 0]);
    await untilLogHolds("fz-backpressure", 24);
    // 'drain' comes only from a socket that was backed up; this one never was. A writer that waits
    // for it (stream.pipe does) stops after the first batch.
    expect(drains).toBe(0);
  });

  test("franz bug: when its socket drains with two batches queued, it sends one and throws a TypeError on the next", async () => {
    const asserts = jest.spyOn(console, "assert").mockImplementation(() => {});
    try {
      // 16 MB batches: more than a fresh loopback connection takes in one go while the broker, in
      // this process, cannot read during the synchronous write, so every batch write backs up.
      const kafka = await connectFranz({ batchSize: 2, maxMessageSize: 10_000_000 });
      const topic = kafka.topic("fz-drain-crash", { partitions: { produce: ["0:1"] } });
      const client = kafka.broker(0).client as { ready: boolean; connection: import("node:net").Socket; onConnectionDrain: () => void };
      // franz's own drain handler is detached and called here, so its throw lands in this test.
      client.connection.removeListener("drain", client.onConnectionDrain);
      const big = Buffer.alloc(8_000_000, 0x61);
      topic.write(big);
      topic.write(big); // one batch: the socket backs up and the client turns not ready
      expect(client.ready).toBe(false);
      for (let i = 0; i < 4; i++) topic.write(big); // two more batches wait in the MessageBuffer
      await new Promise((resolve) => client.connection.once("drain", resolve));
      // On drain MessageBuffer.send() checks readiness once, then writes every queued batch; the
      // first fills the socket again, so the producer has no ready partition for the second.
      expect(() => client.onConnectionDrain()).toThrow("Cannot read properties of null (reading 'write')");
      expect(asserts).toHaveBeenCalledWith(false);
    } finally {
      asserts.mockRestore();
    }
  });

  test("franz with the installed snappy (7.x, promise API) cannot use snappy: the callback it passes is never called", async () => {
    // franz-kafka depends on "snappy": "*" and calls snappy.compress(buffer, cb) /
    // snappy.uncompress(buffer, cb). snappy 7 ignores the callback and returns a promise, so a
    // snappy producer never sends and a snappy wrapper is never delivered (a xerial-framed one,
    // as Java and k07 write, even rejects the promise: an unhandled rejection).
    const cb = jest.fn();
    const compressed = await snappy.compress(Buffer.from("hello"), cb);
    expect(compressed.length).toBeGreaterThan(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(cb).not.toHaveBeenCalled();
  });
});
