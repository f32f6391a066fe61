#!/usr/bin/env node
// Consumer soak: how much memory `iterMessages` holds over a long consume. A k07 broker
// runs in a child process and is filled with SOAK_BYTES of 100-byte payloads (default 1 GiB, so
// ≈10.7 M messages); then a consumer in a third process (so neither the broker nor the producer
// shares its heap) reads them all from offset 0 with 1 MiB requests, checking each payload's
// sequence number, and samples its own RSS every 50 ms. Reports start, peak and end RSS and
// messages/s, and writes bench/results/soak.json. Target: RSS growth (peak − start) < 64 MiB.
// A second consume with `pageBytes` equal to the request size (1 MiB pages, what iterMessages
// read before it paged) shows what the default 256 KiB pages save.
// Run by `npm run bench` (which builds first); alone: `npm run bench -- soak`; a quick run:
// `SOAK_BYTES=100000000 npm run bench -- soak`.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as k07 from "../packages/transport-node/dist/index.js";
import { startBrokerProcess } from "./broker-process.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const PAYLOAD_BYTES = 100;
const ENTRY_BYTES = PAYLOAD_BYTES + 10; // length(4) magic(1) attributes(1) crc(4)
const BATCH = 1000;
const FETCH_BYTES = 1 << 20;
const SAMPLE_MS = 50;
const TOPIC = "soak";
const GROWTH_TARGET = 64 * 1024 * 1024;
const MB = 1024 * 1024;

if (process.argv[2] === "--consumer") {
  await consumerProcess(
    process.argv[3],
    Number(process.argv[4]),
    Number(process.argv[5]),
    process.argv[6] === "default" ? undefined : Number(process.argv[6]),
  );
} else {
  await main();
}

// ---- the consumer, in its own process: prints one JSON line with its measurements --------------
async function consumerProcess(host, port, count, pageBytes) {
  const client = new k07.KafkaClient(host, port);
  await client.latestOffset(TOPIC, 0); // connected, code loaded: what "start" means
  globalThis.gc?.();
  const start = process.memoryUsage().rss;
  let peak = start;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, SAMPLE_MS);
  let n = 0;
  const began = process.hrtime.bigint();
  for await (const m of client.iterMessages(new k07.FetchRequest(TOPIC, 0, 0, FETCH_BYTES), true, { pageBytes })) {
    const p = m.payload;
    const seq = ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
    if (p.length !== PAYLOAD_BYTES || seq !== n) throw new Error(`message ${n}: ${p.length} bytes, sequence number ${seq}`);
    if (++n === count) break;
  }
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  clearInterval(sampler);
  const end = process.memoryUsage().rss;
  peak = Math.max(peak, end);
  await client.close();
  process.stdout.write(JSON.stringify({ messages: n, seconds, startRss: start, peakRss: peak, endRss: end }) + "\n");
}

// ---- the harness -----------------------------------------------------------------------------
async function main() {
  const bytes = Number(process.env.SOAK_BYTES ?? 1024 * MB);
  if (!Number.isSafeInteger(bytes) || bytes < PAYLOAD_BYTES) throw new RangeError(`SOAK_BYTES must be an integer ≥ ${PAYLOAD_BYTES}`);
  const count = Math.floor(bytes / PAYLOAD_BYTES);
  const broker = await startBrokerProcess();
  const results = {};
  try {
    const produceStart = process.hrtime.bigint();
    await produce(broker, count);
    const produceSeconds = Number(process.hrtime.bigint() - produceStart) / 1e9;
    process.stderr.write(`soak: ${count.toLocaleString("en")} messages produced in ${produceSeconds.toFixed(1)} s; consuming\n`);
    for (const [name, pageBytes] of [
      ["default pages (256 KiB)", "default"],
      ["1 MiB pages", FETCH_BYTES],
    ]) {
      results[name] = await runConsumer(broker, count, pageBytes);
    }
  } finally {
    await broker.stop();
  }
  console.log(
    `consumer soak: ${count.toLocaleString("en")} × ${PAYLOAD_BYTES} B with iterMessages, ${FETCH_BYTES >> 20} MiB requests; broker and consumer in their own processes`,
  );
  const rows = [];
  for (const [name, result] of Object.entries(results)) {
    if (result.messages !== count) throw new Error(`${name}: consumed ${result.messages} of ${count}`);
    const row = {
      pages: name,
      messages: count,
      payloadBytes: PAYLOAD_BYTES,
      "msg/s": count / result.seconds,
      "start RSS MB": result.startRss / MB,
      "peak RSS MB": result.peakRss / MB,
      "end RSS MB": result.endRss / MB,
      "growth MB": (result.peakRss - result.startRss) / MB,
    };
    rows.push(row);
    console.log(
      `${name.padEnd(24)} ${Math.round(row["msg/s"]).toLocaleString("en").padStart(10)} msg/s; RSS start ${row["start RSS MB"].toFixed(1)} MiB, ` +
        `peak ${row["peak RSS MB"].toFixed(1)} MiB, end ${row["end RSS MB"].toFixed(1)} MiB (growth ${row["growth MB"].toFixed(1)} MiB)`,
    );
  }
  const targets = { "consumer RSS growth < 64 MiB (default pages)": rows[0]["growth MB"] * MB < GROWTH_TARGET };
  for (const [target, met] of Object.entries(targets)) console.log(`${met ? "met    " : "MISSED "} ${target}`);
  mkdirSync(join(here, "results"), { recursive: true });
  writeFileSync(
    join(here, "results", "soak.json"),
    JSON.stringify({ node: process.version, date: new Date().toISOString(), cpus: cpus().length, fetchBytes: FETCH_BYTES, rows, targets }, null, 2) +
      "\n",
  );
}

/** Fills the topic with `count` payloads whose first 4 bytes are their sequence number. */
async function produce(broker, count) {
  const client = new k07.KafkaClient(broker.host, broker.port);
  try {
    for (let i = 0; i < count; i += BATCH) {
      const n = Math.min(BATCH, count - i);
      const block = Buffer.alloc(n * PAYLOAD_BYTES, 0x61);
      const messages = new Array(n);
      for (let j = 0; j < n; j++) {
        block.writeUInt32BE(i + j, j * PAYLOAD_BYTES);
        messages[j] = k07.createMessage(block.subarray(j * PAYLOAD_BYTES, (j + 1) * PAYLOAD_BYTES));
      }
      await client.sendMessageSet(new k07.ProduceRequest(TOPIC, 0, messages));
    }
    await client.confirm();
    const end = await client.latestOffset(TOPIC, 0);
    if (end !== count * ENTRY_BYTES) throw new Error(`log end ${end}, expected ${count * ENTRY_BYTES}`);
  } finally {
    await client.close();
  }
}

/** Runs one consume in a fresh process; `pageBytes` is a number or "default". */
function runConsumer(broker, count, pageBytes) {
  const args = ["--expose-gc", fileURLToPath(import.meta.url), "--consumer", broker.host, String(broker.port), String(count), String(pageBytes)];
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk) => (out += chunk));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`consumer exited with ${code}`));
      resolve(JSON.parse(out));
    });
  });
}
