/** The embedded broker registers in ZooKeeper exactly as a 0.7.2 broker does (protocol §9, §9.3). */
import { startBroker, type Broker, type ConnectionEvent } from "@k07/broker";
import { ZooKeeperSession } from "@k07/zookeeper";
import { describeWithZooKeeper } from "@k07/testing/zookeeper-harness.ts";
import { rawProduce, textSet } from "./helpers/bytes.ts";
import { RawConnection } from "./helpers/raw-connection.ts";

describeWithZooKeeper("broker registration in ZooKeeper", (server) => {
  let zk: ZooKeeperSession;
  const brokers: Broker[] = [];
  beforeAll(async () => {
    zk = await ZooKeeperSession.connect(server().connectString);
  });
  afterAll(async () => {
    for (const b of brokers) await b.close();
    await zk.close();
  });

  test("ids, topics and parents have 0.7.2's values", async () => {
    const before = Date.now();
    const broker = await startBroker({ zookeeper: server().connectString, brokerId: 1, topicPartitions: { zt: 2 } });
    brokers.push(broker);
    const value = await zk.read("/brokers/ids/1");
    expect(value).toMatch(new RegExp(`^127\\.0\\.0\\.1-(\\d+):127\\.0\\.0\\.1:${broker.port}$`));
    const ms = Number(/-(\d+):/.exec(value!)![1]);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
    for (const parent of ["/brokers", "/brokers/ids", "/brokers/topics"]) expect(await zk.read(parent)).toBeNull();
    // A topic appears when its first log is created, with the configured partition count.
    expect(await zk.children("/brokers/topics")).toEqual([]);
    const conn = await RawConnection.open(broker.port);
    conn.send(rawProduce("zt", 0, textSet("m")));
    for (let i = 0; i < 50 && (await zk.read("/brokers/topics/zt/1")) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    conn.end();
    expect(await zk.read("/brokers/topics/zt/1")).toBe("2");
    expect(await zk.read("/brokers/topics/zt")).toBeNull();
  });

  test("a second broker with the same id is refused, as in 0.7", async () => {
    await expect(startBroker({ zookeeper: server().connectString, brokerId: 1 })).rejects.toThrow(/already registered on the path \/brokers\/ids\/1/);
  });

  test("a topic ZooKeeper refuses to register after start is reported as a zookeeper-error event, and the broker goes on serving", async () => {
    // ZooKeeper refuses children under an ephemeral node: the topic's registration fails.
    await zk.createParents("/brokers/topics");
    await zk.create("/brokers/topics/unregistrable", null, "ephemeral");
    const events: ConnectionEvent[] = [];
    const broker = await startBroker({ zookeeper: server().connectString, brokerId: 9, onEvent: (event) => events.push(event) });
    brokers.push(broker);
    const conn = await RawConnection.open(broker.port);
    conn.send(rawProduce("unregistrable", 0, textSet("m")));
    for (let i = 0; i < 100 && !events.some((e) => e.kind === "zookeeper-error"); i++) await new Promise((r) => setTimeout(r, 20));
    conn.end();
    expect(events).toContainEqual({
      kind: "zookeeper-error",
      remote: server().connectString,
      reason: expect.stringContaining("/brokers/topics/unregistrable"),
    });
    expect(broker.logs.get("unregistrable", 0)).toBeDefined(); // the message was appended all the same
  });

  test("a clean stop removes its ephemeral nodes at once; a restart on the same data re-registers its topics", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dataDir = mkdtempSync(join(tmpdir(), "k07-zk-broker-"));
    let broker = await startBroker({ zookeeper: server().connectString, brokerId: 7, dataDir });
    const conn = await RawConnection.open(broker.port);
    conn.send(rawProduce("kept", 0, textSet("x")));
    for (let i = 0; i < 50 && (await zk.read("/brokers/topics/kept/7")) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    conn.end();
    await broker.close();
    expect(await zk.read("/brokers/ids/7")).toBeUndefined();
    expect(await zk.read("/brokers/topics/kept/7")).toBeUndefined();
    expect(await zk.children("/brokers/topics/kept")).toEqual([]);
    broker = await startBroker({ zookeeper: server().connectString, brokerId: 7, dataDir });
    expect(await zk.read("/brokers/topics/kept/7")).toBe("1");
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
});
