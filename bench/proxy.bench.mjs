// Throughput through the protocol-aware proxy against direct, same run: produce then consume
// 500,000 × 100-byte messages with the k07 client. Broker and proxy run in child processes.
// Writes bench/results/proxy.json.
import { writeFileSync } from "node:fs";
import { KafkaClient } from "../packages/transport-node/dist/index.js";
import { measureThroughput, startChild } from "./k07-children.mjs";

const MESSAGES = Number(process.env.MESSAGES ?? 500_000);

function measure(address, topic) {
  const [host, port] = address.split(":");
  return measureThroughput(new KafkaClient(host, Number(port)), topic, MESSAGES);
}

const broker = await startChild(["broker", "--port", "0"]);
const proxy = await startChild(["proxy", "--listen", "127.0.0.1:0", "--broker", broker.address]);
try {
  await measure(broker.address, "warm-direct");
  await measure(proxy.address, "warm-proxy");
  const direct = await measure(broker.address, "direct");
  const proxied = await measure(proxy.address, "proxied");
  const result = {
    node: process.version,
    messages: MESSAGES,
    direct,
    proxied,
    produceRatio: +(proxied.produce / direct.produce).toFixed(2),
    consumeRatio: +(proxied.consume / direct.consume).toFixed(2),
  };
  console.log(`through the proxy vs direct, ${MESSAGES.toLocaleString("en")} × 100 B messages`);
  console.log(`  produce: ${proxied.produce.toLocaleString("en")} vs ${direct.produce.toLocaleString("en")} msg/s (${result.produceRatio}×)`);
  console.log(`  consume: ${proxied.consume.toLocaleString("en")} vs ${direct.consume.toLocaleString("en")} msg/s (${result.consumeRatio}×)`);
  writeFileSync(new URL("./results/proxy.json", import.meta.url), JSON.stringify(result, null, 2) + "\n");
} finally {
  proxy.child.kill("SIGTERM");
  broker.child.kill("SIGTERM");
}
