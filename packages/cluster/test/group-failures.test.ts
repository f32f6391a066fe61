/**
 * Failures with real ZooKeeper and embedded brokers: a broker stopped and restarted, and a member
 * whose own session expires. Every scenario
 * checks at-least-once delivery and counts the duplicates.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Broker } from "@k07/broker";
import { ZooKeeperSession } from "@k07/zookeeper";
import { describeWithZooKeeper } from "@k07/testing/zookeeper-harness.ts";
import { GroupConsumer, type GroupEvent } from "../src/group/index.ts";
import {
  DeliveryLog,
  consumeInBackground,
  produce,
  readOwners,
  startRegisteredBroker,
  startRelay,
  waitFor,
  type Produced,
} from "./group-fixtures.ts";

const FAST = { rebalanceBackoffMs: 100, sessionTimeoutMs: 1500, autoCommitIntervalMs: 100, fetchBackoffMaxMs: 100 };

describeWithZooKeeper("group failures", (server) => {
  let zk: ZooKeeperSession;
  let b1: Broker;
  let b2: Broker;
  const dataDir = mkdtempSync(join(tmpdir(), "k07-group-broker-"));
  beforeAll(async () => {
    zk = await ZooKeeperSession.connect(server().connectString);
    b1 = await startRegisteredBroker(server().connectString, 1, { restart: 2, expiry: 2 });
    b2 = await startRegisteredBroker(server().connectString, 2, { restart: 2, expiry: 1 }, { dataDir });
  }, 20_000);
  afterAll(async () => {
    await b1.close();
    await b2.close();
    await zk.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("a broker stopped and restarted: its partitions leave the assignment and come back, resuming from the commits", async () => {
    const log = new DeliveryLog();
    const produced: Produced[] = [...(await produce(b1, 1, "restart", 2, 50, "r1")), ...(await produce(b2, 2, "restart", 2, 50, "r1"))];
    const member = (id: string) =>
      GroupConsumer.start({
        zookeeper: server().connectString,
        group: "g-restart",
        consumerId: id,
        topics: { restart: 1 },
        ...FAST,
        onEvent: log.listener(id),
      });
    const [a, b] = await Promise.all([member("a"), member("b")]);
    consumeInBackground(a, "a", log);
    consumeInBackground(b, "b", log);
    await waitFor("the first messages", () => log.check(produced).missing === 0);
    await b2.close();
    await waitFor(
      "broker 2's partitions to leave the owner table",
      async () => Object.keys(await readOwners(zk, "g-restart", "restart")).join() === "1-0,1-1",
    );
    produced.push(...(await produce(b1, 1, "restart", 2, 50, "r2")));
    b2 = await startRegisteredBroker(server().connectString, 2, { restart: 2, expiry: 1 }, { dataDir });
    await waitFor("broker 2's partitions to come back", async () => Object.keys(await readOwners(zk, "g-restart", "restart")).length === 4);
    produced.push(...(await produce(b2, 2, "restart", 2, 50, "r3")));
    await waitFor("every message", () => log.check(produced).missing === 0);
    await Promise.all([a.close(), b.close()]);
    const result = log.check(produced);
    expect(result.violations).toEqual([]);
    console.log(`broker stop/restart: ${produced.length} produced, ${result.delivered} delivered, ${result.duplicates} duplicates`);
  });

  test("a member's own session expires (cut off from ZooKeeper past the timeout): it re-registers under the same id and takes its share again", async () => {
    const relay = await startRelay(server().port);
    const log = new DeliveryLog();
    const events: GroupEvent[] = [];
    const produced: Produced[] = [...(await produce(b1, 1, "expiry", 2, 50, "e1")), ...(await produce(b2, 2, "expiry", 1, 50, "e1"))];
    const listener = log.listener("x");
    const cutOff = await GroupConsumer.start({
      zookeeper: relay.connectString,
      group: "g-expiry",
      consumerId: "x",
      topics: { expiry: 1 },
      ...FAST,
      onEvent: (e) => (events.push(e), listener(e)),
    });
    const other = await GroupConsumer.start({
      zookeeper: server().connectString,
      group: "g-expiry",
      consumerId: "y",
      topics: { expiry: 1 },
      ...FAST,
      onEvent: log.listener("y"),
    });
    consumeInBackground(cutOff, "x", log);
    consumeInBackground(other, "y", log);
    await waitFor("the first messages", () => log.check(produced).missing === 0);
    relay.cut();
    // A commit without ZooKeeper fails and names the offsets it tried: their write is in doubt.
    const owned = [...cutOff.assignment.keys()].sort();
    await expect(cutOff.commit()).rejects.toThrow();
    const failedCommit = events.find((e) => e.type === "error" && e.during === "commit");
    expect(failedCommit?.type === "error" && failedCommit.offsets?.map((o) => `${o.topic}/${o.brokerId}-${o.partition}`).sort()).toEqual(owned);
    // ZooKeeper expires x's session: y takes every partition.
    await waitFor(
      "y to own everything",
      async () => Object.values(await readOwners(zk, "g-expiry", "expiry")).join() === "g-expiry_y-0,g-expiry_y-0,g-expiry_y-0",
    );
    relay.restore();
    await waitFor("x back in the group", () => events.some((e) => e.type === "session"));
    await waitFor("x to own its share again", async () => Object.values(await readOwners(zk, "g-expiry", "expiry")).includes("g-expiry_x-0"));
    expect(await zk.children("/consumers/g-expiry/ids")).toEqual(["g-expiry_x", "g-expiry_y"]);
    produced.push(...(await produce(b1, 1, "expiry", 2, 50, "e2")), ...(await produce(b2, 2, "expiry", 1, 50, "e2")));
    await waitFor("every message", () => log.check(produced).missing === 0);
    await Promise.all([cutOff.close(), other.close()]);
    await relay.close();
    const result = log.check(produced);
    expect(result.violations).toEqual([]);
    console.log(`session expiry: ${produced.length} produced, ${result.delivered} delivered, ${result.duplicates} duplicates`);
  }, 15_000);
});
