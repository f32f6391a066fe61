/** The ZooKeeper-aware producer against real ZooKeeper and several embedded brokers (protocol §9.1, §9.3). */
import { startBroker, type Broker } from "@k07/broker";
import { BrokerUnavailableError, ClusterView, InvalidPartitionError, Producer } from "@k07/cluster";
import { FetchRequest, KafkaClient, MultiProduceRequest, ProduceNotConfirmedError, ConnectionClosedError, type Message } from "@k07/transport-node";
import { ZooKeeperSession } from "@k07/zookeeper";
import { startProxy, type ProxyLogEntry } from "@k07/proxy";
import { describeWithZooKeeper } from "@k07/testing/zookeeper-harness.ts";

/** Every message text in one broker partition. */
async function readAll(broker: Broker, topic: string, partition: number): Promise<string[]> {
  const kafka = new KafkaClient(broker.host, broker.port);
  const out: string[] = [];
  for await (const m of kafka.iterMessages(new FetchRequest(topic, partition, 0, 1024 * 1024))) out.push(m.text());
  await kafka.close();
  return out;
}

/** Every message text in partitions 0..count-1 of one broker. */
async function readPartitions(broker: Broker, topic: string, count: number): Promise<string[]> {
  const all: string[] = [];
  for (let p = 0; p < count; p++) all.push(...(await readAll(broker, topic, p)));
  return all;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeWithZooKeeper("producer with ZooKeeper discovery", (server) => {
  const brokers: Broker[] = [];
  let zk: ZooKeeperSession;
  beforeAll(async () => {
    zk = await ZooKeeperSession.connect(server().connectString);
  });
  afterEach(async () => {
    for (const b of brokers.splice(0)) await b.close();
  });
  afterAll(() => zk.close());

  const start = async (brokerId: number, topicPartitions: Record<string, number> = {}) => {
    const broker = await startBroker({ zookeeper: server().connectString, brokerId, topicPartitions });
    brokers.push(broker);
    return broker;
  };
  /** Creates a topic's log on a broker (so it registers the topic), as a first produce does. */
  const createTopic = async (broker: Broker, topic: string, brokerId: number) => {
    const kafka = new KafkaClient(broker.host, broker.port);
    await kafka.sendMessagesSimple(topic, 0);
    await kafka.confirm();
    await kafka.close();
    await until(async () => (await zk.read(`/brokers/topics/${topic}/${brokerId}`)) !== undefined, "topic registration");
  };

  test("keys go to the broker-partitions the Java producer picks (1-0,1-1,2-0,2-1,2-2)", async () => {
    const b1 = await start(1, { keyed: 2 });
    const b2 = await start(2, { keyed: 3 });
    await createTopic(b1, "keyed", 1);
    await createTopic(b2, "keyed", 2);
    const producer = new Producer({ zookeeper: server().connectString });
    const keys = ["a", "b", "c", "d", "e", "hello", "Kafka"];
    await Promise.all(keys.map((k) => producer.send("keyed", `value of ${k}`, k)));
    await producer.confirm();
    await expect(producer.send("keyed", "x", "polygenelubricants")).rejects.toBeInstanceOf(InvalidPartitionError);
    await producer.close();
    const placed: Record<string, string> = {};
    for (const [id, broker, count] of [
      [1, b1, 2],
      [2, b2, 3],
    ] as const) {
      for (let p = 0; p < count; p++) for (const text of await readAll(broker, "keyed", p)) placed[text.replace("value of ", "")] = `${id}-${p}`;
    }
    expect(placed).toEqual({ a: "2-0", b: "2-1", c: "2-2", d: "1-0", e: "1-1", hello: "2-0", Kafka: "2-1" });
  });

  test("a new topic starts on partition 0 of every broker; discovery follows brokers joining and leaving", async () => {
    const b1 = await start(1, { fresh: 4 });
    const view = await ClusterView.open(zk);
    expect([...view.brokers.keys()]).toEqual([1]);
    const b2 = await start(2, { fresh: 4 });
    await until(() => view.brokers.size === 2, "broker 2 to appear");
    expect(await view.topicPartitions("fresh")).toEqual([]);
    expect(view.bootstrapPartitions()).toEqual([
      { brokerId: 1, partition: 0 },
      { brokerId: 2, partition: 0 },
    ]);
    const producer = new Producer({ zookeeper: server().connectString });
    await Promise.all(Array.from({ length: 40 }, (_, i) => producer.send("fresh", `m${i}`)));
    await producer.confirm();
    // The first messages go to partition 0 of each broker; once a broker has created the topic it
    // registers its 4 partitions, and messages routed after that may go to any of the 8.
    const onB1 = await readPartitions(b1, "fresh", 4);
    const onB2 = await readPartitions(b2, "fresh", 4);
    expect(onB1.length + onB2.length).toBe(40);
    expect((await readAll(b1, "fresh", 0)).length + (await readAll(b2, "fresh", 0)).length).toBeGreaterThan(0);
    // Now both brokers registered the topic with 4 partitions each: 8 candidates, numeric order.
    await until(async () => (await view.topicPartitions("fresh")).length === 8, "topic registrations");
    expect((await view.topicPartitions("fresh")).map((p) => `${p.brokerId}-${p.partition}`)).toEqual([
      "1-0",
      "1-1",
      "1-2",
      "1-3",
      "2-0",
      "2-1",
      "2-2",
      "2-3",
    ]);
    await b2.close();
    await until(() => view.brokers.size === 1, "broker 2 to leave");
    expect((await view.topicPartitions("fresh")).map((p) => p.brokerId)).toEqual([1, 1, 1, 1]);
    await producer.close();
    view.close();
  });

  test("a topic on some brokers only is sent only to those brokers", async () => {
    const b1 = await start(1, { some: 1 });
    const b2 = await start(2);
    await createTopic(b1, "some", 1);
    const producer = new Producer({ zookeeper: server().connectString });
    await Promise.all(Array.from({ length: 20 }, (_, i) => producer.send("some", `m${i}`)));
    await producer.close();
    expect((await readAll(b1, "some", 0)).length).toBe(20);
    expect(await readAll(b2, "some", 0)).toEqual([]);
  });

  test("a broker stopped mid-stream: every message is read back or reported, none lost silently", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dataDir = mkdtempSync(join(tmpdir(), "k07-flow-"));
    const b1 = await start(1, { flow: 1 });
    const b2 = await startBroker({ zookeeper: server().connectString, brokerId: 2, topicPartitions: { flow: 1 }, dataDir });
    await createTopic(b1, "flow", 1);
    await createTopic(b2, "flow", 2);
    const producer = new Producer({ zookeeper: server().connectString, batchSize: 20, client: { reconnectBackoffMs: 10, connectTimeoutMs: 500 } });
    const reported = new Set<string>();
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 400; i++) {
      const text = `m${i}`;
      sends.push(
        producer.send("flow", text, `key${i}`).catch((error: unknown) => {
          expect(error instanceof BrokerUnavailableError || error instanceof ConnectionClosedError).toBe(true);
          reported.add(text);
        }),
      );
      if (i === 200) await b2.close();
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(sends);
    // Produces written to broker 2 but not confirmed are reported by confirm(), by request: their
    // messages count as reported (a broker closed before it read them loses them, and says so).
    const notConfirmed = await producer.confirm().then(
      () => 0,
      (error: unknown) => {
        expect(error).toBeInstanceOf(ProduceNotConfirmedError);
        const requests = (error as ProduceNotConfirmedError).requests;
        for (const request of requests) {
          for (const part of request instanceof MultiProduceRequest ? request.produces : [request]) {
            for (const message of part.messageSet as readonly Message[]) reported.add(new TextDecoder().decode(message.payload));
          }
        }
        return requests.length;
      },
    );
    await producer.close().catch(() => {});
    // Broker 2's log survives on disk: read it with a broker restarted on the same data, outside the cluster.
    const b2again = await startBroker({ dataDir, topicPartitions: { flow: 1 } });
    const readBack = new Set([...(await readAll(b1, "flow", 0)), ...(await readAll(b2again, "flow", 0))]);
    await b2again.close();
    rmSync(dataDir, { recursive: true, force: true });
    const unaccounted = Array.from({ length: 400 }, (_, i) => `m${i}`).filter((t) => !readBack.has(t) && !reported.has(t));
    expect(unaccounted).toEqual([]);
    expect(readBack.size + reported.size).toBeGreaterThanOrEqual(400);
    void notConfirmed;
  });

  test("with reroute, messages queued for a broker that left go to the remaining brokers", async () => {
    const b1 = await start(1, { moved: 1 });
    const b2 = await start(2, { moved: 1 });
    await createTopic(b1, "moved", 1);
    await createTopic(b2, "moved", 2);
    const producer = new Producer({ zookeeper: server().connectString, reroute: true, lingerMs: 200, batchSize: 1000 });
    await producer.connect();
    const sends = Array.from({ length: 100 }, (_, i) => producer.send("moved", `m${i}`, `k${i}`));
    await new Promise((r) => setTimeout(r, 20));
    await b2.close();
    await Promise.all(sends);
    await producer.close();
    expect((await readAll(b1, "moved", 0)).length).toBe(100);
  });
});

test("static broker list mode sends partition -1 and batches per broker (MultiProduce for several partitions)", async () => {
  const broker = await startBroker({ numPartitions: 3 });
  const log: ProxyLogEntry[] = [];
  const proxy = await startProxy({ brokerHost: broker.host, brokerPort: broker.port, log: (e) => log.push(e) });
  const producer = new Producer({ brokers: [proxy.address], batchSize: 50 });
  await Promise.all(Array.from({ length: 120 }, (_, i) => producer.send("static", `m${i}`)));
  await producer.close();
  const produces = log.filter((e) => e.type === "produce");
  expect(produces.length).toBe(3); // 50 + 50 + 20
  expect(produces.every((e) => e.partition === -1)).toBe(true);
  let total = 0;
  for (let p = 0; p < 3; p++) total += (await readAll(broker, "static", p)).length;
  expect(total).toBe(120);
  await proxy.close();
  await broker.close();
});

test("arguments are checked", () => {
  expect(() => new Producer({})).toThrow(TypeError);
  expect(() => new Producer({ brokers: [], zookeeper: "x" })).toThrow(TypeError);
  expect(() => new Producer({ brokers: ["h:1"], batchSize: 0 })).toThrow(RangeError);
});

test("lingerMs gathers messages sent over time into one request; without it each tick's messages go at once", async () => {
  const broker = await startBroker();
  const log: ProxyLogEntry[] = [];
  const proxy = await startProxy({ brokerHost: broker.host, brokerPort: broker.port, log: (e) => log.push(e) });
  const lingering = new Producer({ brokers: [proxy.address], lingerMs: 300, batchSize: 1000 });
  const sends: Promise<void>[] = [];
  for (let i = 0; i < 5; i++) {
    sends.push(lingering.send("linger", `m${i}`));
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.all(sends);
  await lingering.close();
  expect(log.filter((e) => e.topic === "linger" && e.type === "produce")).toHaveLength(1);
  const eager = new Producer({ brokers: [proxy.address] });
  for (let i = 0; i < 3; i++) {
    await eager.send("eager", `m${i}`);
  }
  await eager.close();
  expect(log.filter((e) => e.topic === "eager" && e.type === "produce")).toHaveLength(3);
  expect((await readAll(broker, "linger", 0)).length + (await readAll(broker, "eager", 0)).length).toBe(8);
  await proxy.close();
  await broker.close();
});
