// Produce throughput of the ZooKeeper-aware Producer: three embedded brokers against one, same run
// (real ZooKeeper; brokers in child processes so they do not share the producer's event loop).
// Writes bench/results/cluster.json.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { Producer } from "../packages/cluster/dist/index.js";
import { startLocalZooKeeper, zooKeeperUnavailableReason } from "../packages/zookeeper/dist/index.js";
import { found } from "./found.mjs";

const unavailable = zooKeeperUnavailableReason();
if (unavailable !== undefined) {
  console.log(`skipped: ${unavailable}`);
  process.exit(0);
}
const MESSAGES = Number(process.env.MESSAGES ?? 300_000);
const payload = new Uint8Array(100).fill(120);

/** A broker child process registered in ZooKeeper; resolves once it listens. */
function startBrokerProcess(connect, id) {
  const child = spawn(
    process.execPath,
    [
      new URL("../packages/broker/bin/k07-broker.js", import.meta.url).pathname,
      "--port",
      "0",
      "--zookeeper",
      connect,
      "--broker-id",
      String(id),
      "--partitions",
      "2",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (/listening on/.test(out)) resolve(child);
    });
    child.on("exit", (code) => reject(new Error(`broker ${id} exited with ${code}`)));
  });
}

async function run(brokerCount) {
  const zk = await startLocalZooKeeper();
  const children = [];
  try {
    for (let id = 1; id <= brokerCount; id++) children.push(await startBrokerProcess(zk.connectString, id));
    const producer = new Producer({ zookeeper: zk.connectString, batchSize: 200 });
    await producer.connect();
    // Warm up and let every broker register the topic (a new topic starts on partition 0 of each).
    await Promise.all(Array.from({ length: 2000 }, (_, i) => producer.send("bench", payload, `warm-${i}`)));
    await producer.confirm();
    while ((await found(producer.cluster, "the producer's cluster view").topicPartitions("bench")).length < brokerCount * 2)
      await new Promise((r) => setTimeout(r, 20));
    const started = process.hrtime.bigint();
    let window = [];
    for (let i = 0; i < MESSAGES; i++) {
      window.push(producer.send("bench", payload, `key-${i}`));
      if (window.length === 10_000) {
        await Promise.all(window);
        window = [];
      }
    }
    await Promise.all(window);
    await producer.confirm();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await producer.close();
    return { brokers: brokerCount, messages: MESSAGES, seconds: +seconds.toFixed(3), messagesPerSecond: Math.round(MESSAGES / seconds) };
  } finally {
    for (const c of children) c.kill("SIGTERM");
    await zk.stop();
  }
}

const one = await run(1);
const three = await run(3);
const result = { node: process.version, keyed: true, one, three, ratio: +(three.messagesPerSecond / one.messagesPerSecond).toFixed(2) };
console.log("ZooKeeper-aware Producer, 100-byte keyed messages, batches of 200 per broker");
console.log(`  1 broker : ${one.messagesPerSecond.toLocaleString("en")} msg/s`);
console.log(`  3 brokers: ${three.messagesPerSecond.toLocaleString("en")} msg/s (${result.ratio}×)`);
writeFileSync(new URL("./results/cluster.json", import.meta.url), JSON.stringify(result, null, 2) + "\n");
