/**
 * Members registered in a real ZooKeeper, with two embedded brokers, write exactly what Java 0.7.2
 * members write (protocol §9, §9.3): the registration, and the owner tables of the range assignment.
 */
import type { Broker } from "@k07/broker";
import { ZooKeeperSession } from "@k07/zookeeper";
import { describeWithZooKeeper } from "@k07/testing/zookeeper-harness.ts";
import { GroupConsumer } from "../src/group/index.ts";
import { readOwners, startRegisteredBroker, waitFor } from "./group-fixtures.ts";

const FAST = { rebalanceBackoffMs: 100, sessionTimeoutMs: 2000, autoCommitIntervalMs: 60_000 };

describeWithZooKeeper("group ownership in ZooKeeper", (server) => {
  let zk: ZooKeeperSession;
  const brokers: Broker[] = [];
  beforeAll(async () => {
    zk = await ZooKeeperSession.connect(server().connectString);
    // Topic t5 has 1-0, 1-1, 2-0, 2-1, 2-2; t2 has 1-0, 2-0; t12 has 1-0 … 1-11.
    brokers.push(await startRegisteredBroker(server().connectString, 1, { t5: 2, t2: 1, t12: 12 }));
    brokers.push(await startRegisteredBroker(server().connectString, 2, { t5: 3, t2: 1 }));
  }, 20_000);
  afterAll(async () => {
    for (const b of brokers) await b.close();
    await zk.close();
  });

  test("registration: ephemeral id node with 0.7's static value, persistent null parents", async () => {
    const consumer = await GroupConsumer.start({ zookeeper: server().connectString, group: "reg", topics: { t5: 2 }, ...FAST });
    try {
      expect(consumer.consumerId).toMatch(/^reg_.+-\d{13}-[0-9a-f]{8}$/);
      expect(await zk.read(`/consumers/reg/ids/${consumer.consumerId}`)).toBe('{ "t5": 2 }');
      for (const parent of ["/consumers", "/consumers/reg", "/consumers/reg/ids", "/consumers/reg/owners", "/consumers/reg/owners/t5"]) {
        expect(await zk.read(parent)).toBeNull();
      }
    } finally {
      await consumer.close();
    }
    // Leaving removes the member and its owners at once (no session timeout to wait for).
    expect(await zk.children("/consumers/reg/ids")).toEqual([]);
    expect(await zk.children("/consumers/reg/owners/t5")).toEqual([]);
  });

  const tables: [string, string, number, Record<string, string>][] = [
    ["(5,1)", "t5", 1, { "1-0": "-0", "1-1": "-0", "2-0": "-0", "2-1": "-0", "2-2": "-0" }],
    ["(5,2)", "t5", 2, { "1-0": "-0", "1-1": "-0", "2-0": "-0", "2-1": "-1", "2-2": "-1" }],
    ["(5,3)", "t5", 3, { "1-0": "-0", "1-1": "-0", "2-0": "-1", "2-1": "-1", "2-2": "-2" }],
    ["(5,4)", "t5", 4, { "1-0": "-0", "1-1": "-0", "2-0": "-1", "2-1": "-2", "2-2": "-3" }],
    ["(5,11)", "t5", 11, { "1-0": "-0", "1-1": "-1", "2-0": "-10", "2-1": "-2", "2-2": "-3" }],
    ["(2,4)", "t2", 4, { "1-0": "-0", "2-0": "-1" }],
    [
      "(12,2)",
      "t12",
      2,
      {
        "1-0": "-0",
        "1-1": "-0",
        "1-10": "-0",
        "1-11": "-0",
        "1-2": "-0",
        "1-3": "-0",
        "1-4": "-1",
        "1-5": "-1",
        "1-6": "-1",
        "1-7": "-1",
        "1-8": "-1",
        "1-9": "-1",
      },
    ],
    [
      "(12,3)",
      "t12",
      3,
      {
        "1-0": "-0",
        "1-1": "-0",
        "1-10": "-0",
        "1-11": "-0",
        "1-2": "-1",
        "1-3": "-1",
        "1-4": "-1",
        "1-5": "-1",
        "1-6": "-2",
        "1-7": "-2",
        "1-8": "-2",
        "1-9": "-2",
      },
    ],
  ];
  test.each(tables)("owner table %s: one member with that many streams", async (name, topic, streams, expected) => {
    const group = `tab${name.replace(/\D+/g, "_")}`;
    const consumer = await GroupConsumer.start({ zookeeper: server().connectString, group, topics: { [topic]: streams }, consumerId: "m", ...FAST });
    try {
      const table = Object.fromEntries(Object.entries(expected).map(([p, suffix]) => [p, `${group}_m${suffix}`]));
      expect(await readOwners(zk, group, topic)).toEqual(table);
      expect(Object.fromEntries([...consumer.assignment].map(([k, v]) => [k.slice(topic.length + 1), v]))).toEqual(table);
    } finally {
      await consumer.close();
    }
  });

  test("owner tables (5,3) and (12,3) formed by several members; thread ids pooled and sorted as strings", async () => {
    const start = (group: string, id: string, topic: string, streams: number) =>
      GroupConsumer.start({ zookeeper: server().connectString, group, consumerId: id, topics: { [topic]: streams }, ...FAST });
    const members = await Promise.all([start("multi5", "b", "t5", 1), start("multi5", "a", "t5", 2)]);
    members.push(...(await Promise.all([start("multi12", "x", "t12", 1), start("multi12", "y", "t12", 1), start("multi12", "z", "t12", 1)])));
    try {
      const five = { "1-0": "multi5_a-0", "1-1": "multi5_a-0", "2-0": "multi5_a-1", "2-1": "multi5_a-1", "2-2": "multi5_b-0" };
      const twelve: Record<string, string> = {};
      ["1-0", "1-1", "1-10", "1-11", "1-2", "1-3", "1-4", "1-5", "1-6", "1-7", "1-8", "1-9"].forEach(
        (p, i) => (twelve[p] = `multi12_${"xyz"[Math.floor(i / 4)]}-0`),
      );
      // Members joined concurrently; they settle after conflicts and backoff.
      await waitFor("the (5,3) table", async () => JSON.stringify(await readOwners(zk, "multi5", "t5")) === JSON.stringify(five));
      await waitFor("the (12,3) table", async () => JSON.stringify(await readOwners(zk, "multi12", "t12")) === JSON.stringify(twelve));
    } finally {
      await Promise.all(members.map((m) => m.close()));
    }
  });

  test("a whitelist member writes *<n>*<regex> and shares a group with a static member", async () => {
    const wild = await GroupConsumer.start({ zookeeper: server().connectString, group: "mixed", consumerId: "w", whitelist: "t2", ...FAST });
    const fixed = await GroupConsumer.start({ zookeeper: server().connectString, group: "mixed", consumerId: "s", topics: { t2: 1 }, ...FAST });
    try {
      expect(await zk.read("/consumers/mixed/ids/mixed_w")).toBe("*1*t2");
      await waitFor(
        "t2 split between the members",
        async () => JSON.stringify(await readOwners(zk, "mixed", "t2")) === JSON.stringify({ "1-0": "mixed_s-0", "2-0": "mixed_w-0" }),
      );
    } finally {
      await Promise.all([wild.close(), fixed.close()]);
    }
  });
});
