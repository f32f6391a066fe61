#!/usr/bin/env node
// Compressed produce and consume with @k07/codec: for gzip and snappy (and none, as the
// baseline), batches of 1,000 × 100-byte messages are
//   produce: wrapped and encoded as a ProduceRequest frame (what a client writes), and
//   consume:  decoded as a fetched message set and iterated, every payload touched;
// reported as messages/s, with the compression ratio of the batch. It also measures how long one
// 64 MiB-capped decompression of a large wrapper holds the event loop (the codec is synchronous).
// Needs a build first (npx tsc -b); writes bench/results/compression.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import {
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  ProduceRequest,
  compressionCodec,
  createCompressedMessage,
  createMessage,
  decodeMessageSet,
  encodeMessages,
  encodeRequest,
} from "../packages/codec/dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const BATCH = 1000;
const MESSAGE_BYTES = 100;
const MIN_SECONDS = 1.5; // per measurement, after warm-up
const CODECS = [
  ["none", 0],
  ["gzip", 1],
  ["snappy", 2],
];

/** Deterministic pseudo-random numbers (mulberry32), so every run measures the same bytes. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 100-byte log-like lines (a JSON event with varying ids and fields): what topics usually carry. */
function textPayloads(count, seed) {
  const random = prng(seed);
  const encoder = new TextEncoder();
  const events = ["click", "view", "purchase", "signup", "logout"];
  return Array.from({ length: count }, (_, i) => {
    const line = `{"ts":${1700000000000 + i * 37},"user":${Math.floor(random() * 1e6)},"ev":"${events[Math.floor(random() * 5)]}","page":"/p/${Math.floor(random() * 500)}"}`;
    return encoder.encode(line.padEnd(MESSAGE_BYTES, " ").slice(0, MESSAGE_BYTES));
  });
}

/** 100 random bytes each: incompressible, the worst case. */
function randomPayloads(count, seed) {
  const random = prng(seed);
  return Array.from({ length: count }, () => Uint8Array.from({ length: MESSAGE_BYTES }, () => Math.floor(random() * 256)));
}

/** Runs `round` until MIN_SECONDS have passed (after a warm-up) and returns rounds per second. */
function roundsPerSecond(round) {
  for (let i = 0; i < 20; i++) round();
  globalThis.gc?.();
  let rounds = 0;
  const start = performance.now();
  let elapsed;
  do {
    round();
    rounds++;
    elapsed = performance.now() - start;
  } while (elapsed < MIN_SECONDS * 1000);
  return (rounds * 1000) / elapsed;
}

function measureBatch(payloads, name, codec) {
  const messages = payloads.map((p) => createMessage(p));
  const options = codec === 0 ? {} : { compression: codec };
  const frame = encodeRequest(new ProduceRequest("bench", 0, messages, options));
  const set = encodeMessages(codec === 0 ? messages : [createCompressedMessage(messages, codec)]);
  const innerBytes = encodeMessages(messages).length;

  let sink = 0;
  const produceRounds = roundsPerSecond(() => {
    sink += encodeRequest(new ProduceRequest("bench", 0, messages, options)).length;
  });
  const consumeRounds = roundsPerSecond(() => {
    for (const message of decodeMessageSet(set, { baseOffset: 1 << 30 })) sink += message.payloadLength;
  });
  if (sink === 0) throw new Error("nothing measured");
  return {
    codec: name,
    produceMessagesPerSecond: Math.round(produceRounds * BATCH),
    consumeMessagesPerSecond: Math.round(consumeRounds * BATCH),
    innerSetBytes: innerBytes,
    wireSetBytes: set.length,
    produceFrameBytes: frame.length,
    compressionRatio: Number((innerBytes / set.length).toFixed(2)),
  };
}

/**
 * One wrapper whose inner set is just under the 64 MiB default cap: how long decompressing it
 * (the synchronous codec call) and then iterating it keep the event loop from running anything else.
 */
function measureLargeWrapper(name, codec) {
  const payloads = textPayloads(2000, 7);
  const messageCount = Math.floor((DEFAULT_MAX_DECOMPRESSED_BYTES - 1024) / (MESSAGE_BYTES + 10));
  const inner = new Uint8Array(messageCount * (MESSAGE_BYTES + 10));
  const block = encodeMessages(payloads.map((p) => createMessage(p)));
  for (let at = 0; at < inner.length; at += block.length) inner.set(block.subarray(0, Math.min(block.length, inner.length - at)), at);
  const compressed = compressionCodec(codec).compress(inner);
  const set = encodeMessages([{ magic: 1, attributes: codec, payload: compressed }]);

  const runs = [];
  for (let run = 0; run < 3; run++) {
    globalThis.gc?.();
    const start = performance.now();
    compressionCodec(codec).decompress(compressed, DEFAULT_MAX_DECOMPRESSED_BYTES);
    const decompressMs = performance.now() - start;
    globalThis.gc?.();
    const iterateStart = performance.now();
    let count = 0;
    const iterator = decodeMessageSet(set)[Symbol.iterator]();
    const first = iterator.next(); // decompresses the wrapper: the one long synchronous step
    const firstMessageMs = performance.now() - iterateStart;
    if (!first.done) count++;
    for (let r = iterator.next(); !r.done; r = iterator.next()) count++;
    const iterateMs = performance.now() - iterateStart;
    if (count !== messageCount) throw new Error(`expected ${messageCount} messages, got ${count}`);
    runs.push({ decompressMs, firstMessageMs, iterateMs });
  }
  const best = (key) => Number(Math.min(...runs.map((r) => r[key])).toFixed(1));
  const worst = (key) => Number(Math.max(...runs.map((r) => r[key])).toFixed(1));
  return {
    codec: name,
    innerBytes: inner.length,
    compressedBytes: compressed.length,
    messages: messageCount,
    decompressMsBest: best("decompressMs"),
    decompressMsWorst: worst("decompressMs"),
    firstMessageMsBest: best("firstMessageMs"),
    fullIterationMsBest: best("iterateMs"),
  };
}

/** The event-loop delay seen by a timer while one large wrapper is decompressed and iterated, as a cross-check. */
async function eventLoopDelayDuring(codec) {
  const payloads = textPayloads(2000, 11);
  const block = encodeMessages(payloads.map((p) => createMessage(p)));
  const inner = new Uint8Array(Math.floor((DEFAULT_MAX_DECOMPRESSED_BYTES - 1024) / block.length) * block.length);
  for (let at = 0; at < inner.length; at += block.length) inner.set(block, at);
  const set = encodeMessages([{ magic: 1, attributes: codec, payload: compressionCodec(codec).compress(inner) }]);
  globalThis.gc?.();
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) =>
    setImmediate(() => {
      let count = 0;
      for (const message of decodeMessageSet(set)) count += message.payloadLength > 0 ? 1 : 0;
      resolve(count);
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  histogram.disable();
  return Number((histogram.max / 1e6).toFixed(1));
}

const batches = {};
for (const [dataset, payloads] of [
  ["text", textPayloads(BATCH, 1)],
  ["random", randomPayloads(BATCH, 2)],
]) {
  batches[dataset] = CODECS.map(([name, codec]) => measureBatch(payloads, name, codec));
  console.log(`\n1,000 × ${MESSAGE_BYTES}-byte ${dataset} messages per batch`);
  console.table(batches[dataset]);
}

const largeWrapper = [];
for (const [name, codec] of CODECS.slice(1)) {
  const result = measureLargeWrapper(name, codec);
  result.maxEventLoopDelayMs = await eventLoopDelayDuring(codec);
  largeWrapper.push(result);
}
console.log("\nOne wrapper of just under 64 MiB (the default maxDecompressedBytes), decompressed synchronously");
console.table(largeWrapper);

const results = {
  bench: "compression",
  date: new Date().toISOString(),
  node: process.version,
  cpus: (await import("node:os")).cpus().length,
  batchMessages: BATCH,
  messageBytes: MESSAGE_BYTES,
  batches,
  largeWrapper,
};
mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "compression.json"), JSON.stringify(results, null, 2) + "\n");
console.log("\nwrote bench/results/compression.json");
