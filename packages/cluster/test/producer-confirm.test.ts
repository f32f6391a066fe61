/**
 * The cluster Producer never forgets a message: every message whose send resolved is covered by a
 * confirm() that resolved or named by exactly one ProduceNotConfirmedError of a later confirm() or
 * close() — whatever the order of broker stalls, deaths, departures from ZooKeeper and concurrent
 * confirms. Each broker is an embedded broker behind a relay that can stall it (stop reading what
 * clients send) and kill it (reset every connection); the relay is what is registered in a real
 * ZooKeeper, so the registration can leave at a chosen moment.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { startBroker, type Broker } from "@k07/broker";
import { Producer, javaCompatiblePartitioner } from "@k07/cluster";
import { MultiProduceRequest, ProduceNotConfirmedError, type Message, type ProduceRequest } from "@k07/transport-node";
import { BrokerRegistration, ZooKeeperSession } from "@k07/zookeeper";
import { describeWithZooKeeper } from "@k07/testing/zookeeper-harness.ts";
import { waitFor } from "./group-fixtures.ts";

const TOPIC = "kept";

/** A registered broker that a test can stall, kill and unregister. */
interface ControlledBroker {
  /** The relay stops reading what clients send: their produces pile up unapplied. */
  stall(): void;
  resume(): void;
  /** Resets every client connection, refuses new ones and stops the broker. */
  kill(): Promise<void>;
  /** The broker's registration leaves ZooKeeper (its session ends). */
  leave(): Promise<void>;
  close(): Promise<void>;
}

async function startControlledBroker(zookeeper: string, brokerId: number): Promise<ControlledBroker> {
  const broker: Broker = await startBroker({ topicPartitions: { [TOPIC]: 1 } });
  const clients = new Set<Socket>();
  let stalled = false;
  const relay: Server = createServer((client) => {
    const upstream = connect(broker.port, "127.0.0.1");
    clients.add(client);
    if (stalled) client.pause();
    client.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => client.write(chunk));
    const drop = () => {
      clients.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const port = (relay.address() as { port: number }).port;
  const registration = await ZooKeeperSession.connect(zookeeper);
  await BrokerRegistration.register(registration, { brokerId, host: "127.0.0.1", port, topics: () => [[TOPIC, 1]] });
  let killed = false;
  let left = false;
  const controlled: ControlledBroker = {
    stall() {
      stalled = true;
      for (const client of clients) client.pause();
    },
    resume() {
      stalled = false;
      for (const client of clients) client.resume();
    },
    async kill() {
      if (killed) return;
      killed = true;
      for (const client of clients) client.resetAndDestroy();
      await new Promise((resolve) => relay.close(resolve));
      await broker.close();
    },
    async leave() {
      if (left) return;
      left = true;
      await registration.close();
    },
    async close() {
      await controlled.kill();
      await controlled.leave();
    },
  };
  return controlled;
}

/** A key the Java-compatible partitioner sends to broker-partition `index` of `count`. */
function keyFor(index: number, count: number): string {
  for (let i = 0; ; i++) if (javaCompatiblePartitioner(`key${i}`, count) === index) return `key${i}`;
}

/** The payload texts an error from confirm() or close() names as possibly not applied. */
function named(outcome: unknown): string[] {
  if (outcome === "resolved") return [];
  if (!(outcome instanceof ProduceNotConfirmedError)) throw outcome;
  const produces = outcome.requests.flatMap((r) => (r instanceof MultiProduceRequest ? r.produces : [r as ProduceRequest]));
  return produces.flatMap((p) => (p.messageSet as readonly Message[]).map((m) => new TextDecoder().decode(m.payload)));
}

/** What a confirm() or close() settled with: "resolved" or its error. */
const settled = (promise: Promise<void>): Promise<unknown> =>
  promise.then(
    () => "resolved",
    (error: unknown) => error,
  );

const texts = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}-${i}`);

describeWithZooKeeper("the Producer names every message it could not confirm", (server) => {
  let brokers: ControlledBroker[] = [];
  let producer: Producer;
  /** Keys that go to broker 0 and broker 1 (one partition each). */
  const toBroker = [keyFor(0, 2), keyFor(1, 2)] as const;

  beforeEach(async () => {
    brokers = [await startControlledBroker(server().connectString, 0), await startControlledBroker(server().connectString, 1)];
    producer = new Producer({ zookeeper: server().connectString, client: { reconnectBackoffMs: 10, maxMessageSize: 6_000_000 } });
    // Both connections open and in use before the trouble starts.
    await Promise.all([producer.send(TOPIC, "warm-up", toBroker[0]), producer.send(TOPIC, "warm-up", toBroker[1])]);
    await producer.confirm();
  });
  afterEach(async () => {
    await producer.close().catch(() => {});
    for (const broker of brokers) await broker.close();
  });

  /** Broker 0 dies and leaves ZooKeeper; resolves once the producer has seen it go. */
  const brokerZeroGoes = async () => {
    await brokers[0]!.kill();
    await brokers[0]!.leave();
    await waitFor("broker 0 to leave the producer's view", () => !producer.cluster!.brokers.has(0));
  };

  test("a broker leaving while another confirm() waits on a stalled broker: a later confirm() names what it lost", async () => {
    brokers[1]!.stall();
    await producer.send(TOPIC, "held", toBroker[1]);
    const waiting = settled(producer.confirm());
    brokers[0]!.stall();
    const lost = texts("lost", 5);
    await Promise.all(lost.map((text) => producer.send(TOPIC, text, toBroker[0])));
    await brokerZeroGoes();
    brokers[1]!.resume();
    const outcomes = [await waiting, await settled(producer.confirm()), await settled(producer.close())];
    expect(outcomes[0]).toBe("resolved"); // the 5 were sent after it
    expect(outcomes.flatMap(named).sort()).toEqual(lost);
  });

  test("a broker that left before confirm(): confirm() names what it lost, in a message that says it once", async () => {
    brokers[0]!.stall();
    const lost = texts("lost", 5);
    await Promise.all(lost.map((text) => producer.send(TOPIC, text, toBroker[0])));
    await brokerZeroGoes();
    const error = await settled(producer.confirm());
    expect(named(error).sort()).toEqual(lost);
    expect((error as Error).message).toMatch(/^1 produce request\(s\) to 127\.0\.0\.1:\d+ may not have been applied: Connection to .* was closed/);
    expect((error as Error).message.match(/may not have been applied/g)).toHaveLength(1);
    expect(await settled(producer.close())).toBe("resolved");
  });

  test("a connection failing while confirm() waits for a 5 MB batch to drain: that confirm() names every message", async () => {
    brokers[0]!.stall();
    const lost = [...texts("small", 4), "x".repeat(5_000_000)];
    await Promise.all(lost.map((text) => producer.send(TOPIC, text, toBroker[0])));
    const confirming = settled(producer.confirm());
    await new Promise((resolve) => setTimeout(resolve, 300));
    await brokers[0]!.kill();
    expect(named(await confirming).sort()).toEqual(lost.sort());
    expect(await settled(producer.close())).toBe("resolved");
  });

  test("two concurrent confirms and a broker death: each lost message is named once, by the first confirm after it", async () => {
    brokers[0]!.stall();
    await producer.send(TOPIC, "first", toBroker[0]);
    const first = settled(producer.confirm());
    await producer.send(TOPIC, "second", toBroker[0]);
    const second = settled(producer.confirm());
    await new Promise((resolve) => setTimeout(resolve, 50));
    await brokers[0]!.kill();
    expect(named(await first)).toEqual(["first"]);
    expect(named(await second)).toEqual(["second"]);
    expect(await settled(producer.close())).toBe("resolved");
  });

  test("a stalled broker leaves, then dies during two confirms: the later one settles only after the earlier one named what it lost", async () => {
    brokers[0]!.stall();
    const lost = texts("lost", 3);
    await Promise.all(lost.map((text) => producer.send(TOPIC, text, toBroker[0])));
    await brokers[0]!.leave();
    await waitFor("broker 0 to leave the producer's view", () => !producer.cluster!.brokers.has(0));
    const order: string[] = [];
    const first = settled(producer.confirm()).then((outcome) => (order.push("first"), outcome));
    const second = settled(producer.confirm()).then((outcome) => (order.push("second"), outcome));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await brokers[0]!.kill();
    expect(named(await first).sort()).toEqual(lost);
    expect(await second).toBe("resolved");
    expect(order).toEqual(["first", "second"]);
  });

  test("messages to two brokers that both die: one error names them all and each broker's reason once", async () => {
    brokers[0]!.stall();
    brokers[1]!.stall();
    const lost = [...texts("zero", 3), ...texts("one", 2)];
    await Promise.all(lost.map((text) => producer.send(TOPIC, text, toBroker[text.startsWith("zero") ? 0 : 1])));
    const confirming = settled(producer.confirm());
    await brokers[0]!.kill();
    await brokers[1]!.kill();
    const error = await confirming;
    expect(named(error).sort()).toEqual(lost.sort());
    expect((error as Error).message).toMatch(
      /^2 produce request\(s\) may not have been applied: 1 because Connection to .*; 1 because Connection to .*$/,
    );
    expect((error as Error).message.match(/may not have been applied/g)).toHaveLength(1);
  });
});
