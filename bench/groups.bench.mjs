// Consume throughput of a consumer group: one member against a group of three, same run, same data
// (three embedded brokers × 2 partitions, in this process; real ZooKeeper). Needs `tsc -b` first.
import { writeFileSync } from "node:fs";
import { startLocalZooKeeper, zooKeeperUnavailableReason } from "../packages/zookeeper/dist/index.js";
import { startBroker } from "../packages/broker/dist/index.js";
import { KafkaClient } from "../packages/transport-node/dist/index.js";
import { GroupConsumer } from "../packages/cluster/dist/index.js";

const unavailable = zooKeeperUnavailableReason();
if (unavailable !== undefined) {
  console.log(`skipped: ${unavailable}`);
  process.exit(0);
}
const PER_PARTITION = Number(process.env.MESSAGES ?? 50_000);
const payload = "x".repeat(100);
const server = await startLocalZooKeeper();
const brokers = [];
try {
  await new Promise((r) => setTimeout(r, 1000));
  for (const id of [1, 2, 3]) brokers.push(await startBroker({ zookeeper: server.connectString, brokerId: id, numPartitions: 2 }));
  for (const b of brokers) {
    const kafka = new KafkaClient(b.host, b.port);
    for (const p of [0, 1]) for (let i = 0; i < PER_PARTITION; i += 500) await kafka.sendMessagesSimple("bench", p, ...Array(500).fill(payload));
    await kafka.confirm();
    await kafka.close();
  }
  const total = PER_PARTITION * 6;
  const run = async (group, members) => {
    const consumers = await Promise.all(
      Array.from({ length: members }, (_, i) =>
        GroupConsumer.start({
          zookeeper: server.connectString,
          group,
          consumerId: `m${i}`,
          topics: { bench: 1 },
          rebalanceBackoffMs: 200,
          fetchSize: 1024 * 1024,
        }),
      ),
    );
    // Wait until the group has settled (every partition owned) before timing.
    while (consumers.reduce((n, c) => n + c.assignment.size, 0) < 6) await new Promise((r) => setTimeout(r, 20));
    let count = 0;
    const started = process.hrtime.bigint();
    await new Promise((resolve) => {
      for (const c of consumers)
        (async () => {
          for await (const m of c) {
            if (m.payload.length === 100 && ++count === total) resolve(undefined);
          }
        })();
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await Promise.all(consumers.map((c) => c.close()));
    return {
      members,
      messages: count,
      seconds,
      messagesPerSecond: Math.round(count / seconds),
      mbPerSecond: +((count * 100) / seconds / 1e6).toFixed(1),
    };
  };
  const one = await run("bench-one", 1);
  const three = await run("bench-three", 3);
  const result = { node: process.version, one, three, ratio: +(three.messagesPerSecond / one.messagesPerSecond).toFixed(2) };
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(new URL("./results/groups.json", import.meta.url), JSON.stringify(result, null, 2) + "\n");
} finally {
  for (const b of brokers) await b.close();
  await server.stop();
}
