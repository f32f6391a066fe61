// Helpers shared by the proxy benchmarks: `k07` commands in child processes, and one produce-then-
// consume throughput measurement with any k07 client.
import { spawn } from "node:child_process";
import { FetchRequest, ProduceRequest, createMessage } from "../packages/transport-node/dist/index.js";

const k07 = new URL("../packages/cli/bin/k07.js", import.meta.url).pathname;

/** Starts `k07 <args>` and resolves with the address it prints once listening (`host:port`). */
export function startChild(args) {
  const child = spawn(process.execPath, [k07, ...args], { stdio: ["ignore", "pipe", "ignore"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening (?:for WebSockets )?on (?:ws:\/\/)?([\d.]+:\d+)/.exec(out);
      if (m) resolve({ child, address: m[1] });
    });
    child.on("exit", (code) => reject(new Error(`k07 ${args[0]} exited with ${code}`)));
  });
}

/**
 * Produces `messages` × 100-byte messages (batches of 200), confirms, then fetches them all back in
 * 1 MiB fetches; returns messages per second for each half. `kafka` is closed at the end.
 */
export async function measureThroughput(kafka, topic, messages) {
  const payload = new Uint8Array(100).fill(97);
  let started = process.hrtime.bigint();
  for (let i = 0; i < messages; i += 200) {
    const batch = Array.from({ length: 200 }, () => createMessage(payload));
    await kafka.sendMessageSet(new ProduceRequest(topic, 0, batch));
  }
  await kafka.confirm();
  const produceSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  started = process.hrtime.bigint();
  let count = 0;
  let request = new FetchRequest(topic, 0, 0, 1024 * 1024);
  while (count < messages) {
    const [fetched, next] = await kafka.getMessageSet(request);
    if (fetched.length === 0) break;
    count += fetched.length;
    request = next;
  }
  const consumeSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  await kafka.close();
  if (count !== messages) throw new Error(`read ${count} of ${messages}`);
  return { produce: Math.round(messages / produceSeconds), consume: Math.round(messages / consumeSeconds) };
}
