/**
 * Consuming with real ZooKeeper and two embedded brokers: offsets committed as Java commits them
 * (protocol §6.3, §9.3), members leaving and joining, an ownership conflict resolved by backoff, each checked for at-least-once delivery with the duplicates counted.
 */
import type { Broker } from "@k07/broker";
import { ZooKeeperSession } from "@k07/zookeeper";
import { describeWithZooKeeper } from "@k07/testing/zookeeper-harness.ts";
import { GroupConsumer, type GroupEvent } from "../src/group/index.ts";
import { DeliveryLog, consumeInBackground, produce, readOwners, startRegisteredBroker, waitFor, type Produced } from "./group-fixtures.ts";

const FAST = { rebalanceBackoffMs: 100, sessionTimeoutMs: 1500, autoCommitIntervalMs: 100, fetchBackoffMaxMs: 100 };

describeWithZooKeeper("group consumption", (server) => {
  let zk: ZooKeeperSession;
  let b1: Broker;
  let b2: Broker;
  beforeAll(async () => {
    zk = await ZooKeeperSession.connect(server().connectString);
    b1 = await startRegisteredBroker(server().connectString, 1, { ev: 2, once: 2, conflict: 1 });
    b2 = await startRegisteredBroker(server().connectString, 2, { ev: 2, once: 1, conflict: 1 });
  }, 20_000);
  afterAll(async () => {
    await b1.close();
    await b2.close();
    await zk.close();
  });

  test("one member reads every partition, commits the offset after the last message, and resumes there", async () => {
    const produced = [...(await produce(b1, 1, "once", 2, 20)), ...(await produce(b2, 2, "once", 1, 20))];
    const log = new DeliveryLog();
    const consumer = await GroupConsumer.start({
      zookeeper: server().connectString,
      group: "g-once",
      topics: { once: 1 },
      ...FAST,
      autoCommit: false,
      onEvent: log.listener("a"),
    });
    const reader = consumeInBackground(consumer, "a", log);
    await waitFor("every message", () => log.check(produced).missing === 0);
    // The message a loop holds counts once the loop asks for the next: wait for all fetched to be handed out.
    await waitFor("the queue to drain", () => consumer.queuedBytes === 0);
    await consumer.close();
    await reader.done;
    // Offsets nodes hold the log end for each partition (the loop finished with every message).
    for (const [name, broker, partition] of [
      ["1-0", b1, 0],
      ["1-1", b1, 1],
      ["2-0", b2, 0],
    ] as const) {
      const end = await (
        await import("@k07/transport-node")
      ).KafkaClient.prototype.latestOffset.call(new (await import("@k07/transport-node")).KafkaClient(broker.host, broker.port), "once", partition);
      expect(await zk.read(`/consumers/g-once/offsets/once/${name}`)).toBe(String(end));
    }
    expect(log.check(produced)).toMatchObject({ missing: 0, duplicates: 0, violations: [] });

    // A new member of the same group starts from the commits: nothing old again, only new messages.
    const more = await produce(b1, 1, "once", 1, 5, "later");
    const again = new DeliveryLog();
    const second = await GroupConsumer.start({
      zookeeper: server().connectString,
      group: "g-once",
      topics: { once: 1 },
      ...FAST,
      onEvent: again.listener("b"),
    });
    const starts: GroupEvent[] = [];
    consumeInBackground(second, "b", again);
    await waitFor("the new messages", () => again.check(more).missing === 0);
    await second.close();
    expect(again.total).toBe(5);
    expect(starts).toEqual([]);
  });

  test("members leave and join while messages flow: every message at least once, duplicates only after rebalances", async () => {
    const log = new DeliveryLog();
    const produced: Produced[] = [];
    const member = (id: string) =>
      GroupConsumer.start({
        zookeeper: server().connectString,
        group: "g-ev",
        consumerId: id,
        topics: { ev: 1 },
        ...FAST,
        onEvent: log.listener(id),
      });
    const a = await member("a");
    consumeInBackground(a, "a", log);
    const b = await member("b");
    consumeInBackground(b, "b", log);
    produced.push(...(await produce(b1, 1, "ev", 2, 100, "r1")), ...(await produce(b2, 2, "ev", 2, 100, "r1")));
    const c = await member("c");
    consumeInBackground(c, "c", log);
    produced.push(...(await produce(b1, 1, "ev", 2, 100, "r2")), ...(await produce(b2, 2, "ev", 2, 100, "r2")));
    await a.close(); // leaves mid-stream
    await waitFor("b and c to own all four partitions", async () => {
      const owners = Object.values(await readOwners(zk, "g-ev", "ev"));
      return owners.length === 4 && owners.every((o) => o.startsWith("g-ev_b") || o.startsWith("g-ev_c"));
    });
    produced.push(...(await produce(b1, 1, "ev", 2, 100, "r3")), ...(await produce(b2, 2, "ev", 2, 100, "r3")));
    await waitFor("every message", () => log.check(produced).missing === 0);
    await Promise.all([b.close(), c.close()]);
    const result = log.check(produced);
    expect(result.violations).toEqual([]);
    expect(result.missing).toBe(0);
    // Duplicates can only come from partitions restarted at a commit.
    if (result.duplicates > 0) expect(log.restarts).toBeGreaterThan(0);
    console.log(
      `leave/join: ${produced.length} produced, ${result.delivered} delivered, ${result.duplicates} duplicates, ${log.restarts} partition restarts`,
    );
  });

  test("an owner node held by someone else is waited out with backoff, then claimed", async () => {
    await zk.createWithParents("/consumers/g-conflict/owners/conflict/2-0", "someone-else-0", "ephemeral");
    const events: GroupEvent[] = [];
    const joining = GroupConsumer.start({
      zookeeper: server().connectString,
      group: "g-conflict",
      consumerId: "m",
      topics: { conflict: 1 },
      ...FAST,
      rebalanceBackoffMs: 150,
      onEvent: (e) => events.push(e),
    });
    await waitFor("a conflict", () => events.some((e) => e.type === "owner-conflict"));
    await zk.remove("/consumers/g-conflict/owners/conflict/2-0");
    const consumer = await joining;
    try {
      expect(events.find((e) => e.type === "owner-conflict")).toMatchObject({ attempt: 0, partitions: ["conflict/2-0"] });
      expect(await readOwners(zk, "g-conflict", "conflict")).toEqual({ "1-0": "g-conflict_m-0", "2-0": "g-conflict_m-0" });
    } finally {
      await consumer.close();
    }
  });

  test("an owner node that never goes away: every try fails, then the member gives up (4 tries, 0.7's default)", async () => {
    await zk.createWithParents("/consumers/g-stuck/owners/conflict/1-0", "someone-else-0", "ephemeral");
    const events: GroupEvent[] = [];
    await expect(
      GroupConsumer.start({
        zookeeper: server().connectString,
        group: "g-stuck",
        topics: { conflict: 1 },
        ...FAST,
        rebalanceBackoffMs: 20,
        onEvent: (e) => events.push(e),
      }),
    ).rejects.toThrow(/could not rebalance group g-stuck after 4 tries/);
    expect(events.filter((e) => e.type === "owner-conflict").length).toBe(4);
    // It left: nothing of it remains.
    expect(await zk.children("/consumers/g-stuck/ids")).toEqual([]);
    expect(await readOwners(zk, "g-stuck", "conflict")).toEqual({ "1-0": "someone-else-0" });
    await zk.remove("/consumers/g-stuck/owners/conflict/1-0");
  });
});
