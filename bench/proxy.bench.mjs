// Throughput through the protocol-aware proxy against direct, same run: produce then consume
// 500,000 × 100-byte messages with the k07 client. Broker and proxy run in child processes.
// Writes bench/results/proxy.json.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { FetchRequest, KafkaClient, ProduceRequest, createMessage } from "../packages/transport-node/dist/index.js";

const MESSAGES = Number(process.env.MESSAGES ?? 500_000);
const k07 = new URL("../packages/cli/bin/k07.js", import.meta.url).pathname;

/** Starts `k07 <args>` and resolves with the address it prints once listening. */
function startChild(args) {
  const child = spawn(process.execPath, [k07, ...args], { stdio: ["ignore", "pipe", "ignore"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (\S+?),? /.exec(out + " ");
      if (m) resolve({ child, address: m[1].replace(/,$/, "") });
    });
    child.on("exit", (code) => reject(new Error(`k07 ${args[0]} exited with ${code}`)));
  });
}

async function measure(address, topic) {
  const [host, port] = address.split(":");
  const kafka = new KafkaClient(host, Number(port));
  const payload = new Uint8Array(100).fill(97);
  let started = process.hrtime.bigint();
  for (let i = 0; i < MESSAGES; i += 200) {
    const messages = Array.from({ length: 200 }, () => createMessage(payload));
    await kafka.sendMessageSet(new ProduceRequest(topic, 0, messages));
  }
  await kafka.confirm();
  const produceSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  started = process.hrtime.bigint();
  let count = 0;
  let request = new FetchRequest(topic, 0, 0, 1024 * 1024);
  while (count < MESSAGES) {
    const [messages, next] = await kafka.getMessageSet(request);
    if (messages.length === 0) break;
    count += messages.length;
    request = next;
  }
  const consumeSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  await kafka.close();
  if (count !== MESSAGES) throw new Error(`read ${count} of ${MESSAGES}`);
  return { produce: Math.round(MESSAGES / produceSeconds), consume: Math.round(MESSAGES / consumeSeconds) };
}

const broker = await startChild(["broker", "--port", "0"]);
const proxy = await startChild(["proxy", "--listen", "127.0.0.1:0", "--broker", broker.address]);
try {
  await measure(broker.address, "warm-direct");
  await measure(proxy.address, "warm-proxy");
  const direct = await measure(broker.address, "direct");
  const proxied = await measure(proxy.address, "proxied");
  const result = { node: process.version, messages: MESSAGES, direct, proxied, produceRatio: +(proxied.produce / direct.produce).toFixed(2), consumeRatio: +(proxied.consume / direct.consume).toFixed(2) };
  console.log(`through the proxy vs direct, ${MESSAGES.toLocaleString("en")} × 100 B messages`);
  console.log(`  produce: ${proxied.produce.toLocaleString("en")} vs ${direct.produce.toLocaleString("en")} msg/s (${result.produceRatio}×)`);
  console.log(`  consume: ${proxied.consume.toLocaleString("en")} vs ${direct.consume.toLocaleString("en")} msg/s (${result.consumeRatio}×)`);
  writeFileSync(new URL("./results/proxy.json", import.meta.url), JSON.stringify(result, null, 2) + "\n");
} finally {
  proxy.child.kill("SIGTERM");
  broker.child.kill("SIGTERM");
}
