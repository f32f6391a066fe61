/** A crashed member (cut off from ZooKeeper, never closed) and its restart, with real ZooKeeper and two brokers. */
import type { Broker } from "@k07/broker";
import { ZooKeeperSession } from "@k07/zookeeper";
import { describeWithZooKeeper } from "@k07/testing/zookeeper-harness.ts";
import { GroupConsumer } from "../src/group/index.ts";
import { DeliveryLog, consumeInBackground, produce, startRegisteredBroker, startRelay, waitFor } from "./group-fixtures.ts";

const FAST = { rebalanceBackoffMs: 100, sessionTimeoutMs: 1500, autoCommitIntervalMs: 100, fetchBackoffMaxMs: 100 };

describeWithZooKeeper("group crash and restart", (server) => {
  let zk: ZooKeeperSession;
  let b1: Broker;
  let b2: Broker;
  beforeAll(async () => {
    zk = await ZooKeeperSession.connect(server().connectString);
    b1 = await startRegisteredBroker(server().connectString, 1, { crash: 2 });
    b2 = await startRegisteredBroker(server().connectString, 2, { crash: 1 });
  }, 20_000);
  afterAll(async () => {
    await b1.close();
    await b2.close();
    await zk.close();
  });

  test("a crashed member (cut off, never closed) is replaced after its session expires; the restart resumes from the commits", async () => {
    const relay = await startRelay(server().port);
    const log = new DeliveryLog();
    const produced = [...(await produce(b1, 1, "crash", 2, 200)), ...(await produce(b2, 2, "crash", 1, 200))];
    const crashed = await GroupConsumer.start({
      zookeeper: relay.connectString,
      group: "g-crash",
      consumerId: "old",
      topics: { crash: 1 },
      ...FAST,
      onEvent: log.listener("old"),
      fetchSize: 1024,
    });
    consumeInBackground(crashed, "old", log, 300);
    await waitFor("300 messages", () => log.total >= 300);
    relay.cut(); // the process "dies": no commit, no goodbye; its nodes stay until its session expires
    const deliveredBeforeCrash = log.total;
    // Its owner nodes stay until ZooKeeper expires its session (1.5 s here), so the restart backs off meanwhile.
    const restarted = await GroupConsumer.start({
      zookeeper: server().connectString,
      group: "g-crash",
      consumerId: "new",
      topics: { crash: 1 },
      ...FAST,
      rebalanceBackoffMs: 400,
      rebalanceRetries: 10,
      onEvent: log.listener("new"),
    });
    consumeInBackground(restarted, "new", log);
    await waitFor("every message", () => log.check(produced).missing === 0, 9000);
    await restarted.close();
    const result = log.check(produced);
    expect(result.violations).toEqual([]);
    expect(result.missing).toBe(0);
    console.log(`crash/restart: ${deliveredBeforeCrash} delivered before the crash, ${result.duplicates} duplicates after the restart`);
    await crashed.close();
    await relay.close();
  }, 20_000);
});
