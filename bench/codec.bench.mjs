#!/usr/bin/env node
// @k07/codec against the 0.7 peers on the same work. Run by `npm run bench`
// (which builds first and passes --expose-gc). Work:
//   encode  a Produce request of 1,000 × 100-byte messages;
//   decode  a 1 MiB fetch response of 100-byte messages (9,532 whole entries and a truncated tail),
//           with and without CRC checks, touching every payload (its `payloadLength`; the ".payload"
//           rows read the `payload` view, which makes one per message);
// by k07, prozess 0.7.0, franz-kafka 0.7.5 and KafkaJS's v0 message-set code, plus the limits:
// crc-32 alone over the same payloads, and a memcpy (Uint8Array.set) of the same bytes.
// k07's encode is its public path, `encodeProduceRequest(new ProduceRequest(topic, partition, payloads))`
// with the payloads given as they are (what ProduceRequest's documentation recommends, and what
// sendMessagesSimple does); a row beside it makes a `createMessage` object per payload first.
// Then the limit rows measured side by side: in each of PAIRED_PROCESSES processes (default 5),
// k07's encode (or checked and unchecked decode), a crc-32-alone loop over the same payloads and a
// plain Buffer-based reference codec, in interleaved rounds; k07 is printed as ratios of the other
// two, per process (V8 has been seen to pick fast or slow code for the same loop per process), and
// beside decode a walk that checks each CRC with crc32Range in place (what decode could become).
// Prints tables and writes bench/results/codec.json.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as k07 from "../packages/codec/dist/index.js";
import { found } from "./found.mjs";
import { payloadsOf } from "./payloads.mjs";

// Peers are loaded only in the processes that need them: loading prozess or franz-kafka slows every
// typed-array view in the process by about 40% (their dependencies patch Buffer and so disable V8's
// fast paths), which would tax whoever is measured alongside them.
const PEERS = {
  prozess: { name: "prozess 0.7.0", path: "./peers/prozess.mjs" },
  franz: { name: "franz-kafka 0.7.5", path: "./peers/franz-kafka.mjs" },
  kafkajs: { name: "KafkaJS 2.2.4 (v0 message set)", path: "./peers/kafkajs.mjs" },
};
// A paired-limit process (BENCH_PAIRED) measures no peer, so it loads none.
const measuredImpl = process.env.BENCH_PAIRED !== undefined ? "" : process.env.BENCH_ROW?.split("|")[1];
async function loadPeer(key) {
  const peer = PEERS[key];
  if (measuredImpl !== undefined && measuredImpl !== peer.name) return { name: peer.name };
  const module = await import(peer.path);
  if (module.name !== peer.name) throw new Error(`peer ${key} is ${module.name}, expected ${peer.name}`);
  return module;
}
const prozess = await loadPeer("prozess");
const franz = await loadPeer("franz");
const kafkajs = await loadPeer("kafkajs");

const require = createRequire(import.meta.url);
const CRC32 = require("crc-32");
const here = dirname(fileURLToPath(import.meta.url));

const PAYLOAD_BYTES = 100;
const PRODUCE_MESSAGES = 1000;
const FETCH_BYTES = 1 << 20;
const SAMPLE_MS = Number(process.env.BENCH_SAMPLE_MS ?? 300);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 7);

// ---- the inputs ----------------------------------------------------------------------------
const producePayloads = payloadsOf(PRODUCE_MESSAGES, 1);
const entriesInFetch = Math.floor(FETCH_BYTES / (PAYLOAD_BYTES + k07.ENTRY_OVERHEAD_MAGIC1));
const fetchPayloads = payloadsOf(entriesInFetch + 1, 2);
const fullSet = k07.encodeMessages(fetchPayloads.map((p) => k07.createMessage(p)));
const messageSet = fullSet.subarray(0, FETCH_BYTES); // as a broker cuts it: a truncated last entry
const fetchResponse = Buffer.from(k07.encodeFetchResponse({ errorCode: 0, messageSet }));
const kafkajsResponse = kafkajs.buildFetchResponse?.(fetchPayloads.slice(0, entriesInFetch));
const produceBytes = PRODUCE_MESSAGES * PAYLOAD_BYTES;
const fetchPayloadBytes = entriesInFetch * PAYLOAD_BYTES;

// ---- the implementations --------------------------------------------------------------------
/** Encode options of the row being measured: @k07/transport-node's client passes its allocator (uninitialised memory from 4 KiB). */
let encodeOptions = {};
async function useNodeAllocator() {
  const { nodeAllocator } = await import("../packages/transport-node/dist/index.js");
  encodeOptions = { allocate: nodeAllocator };
}

/**
 * k07's public encode path, as ProduceRequest's documentation recommends it and as `sendMessagesSimple`
 * takes it: the payloads given to `ProduceRequest` as they are (no message object per payload), one frame.
 */
function k07EncodeProduce() {
  return k07.encodeProduceRequest(new k07.ProduceRequest("bench", 0, producePayloads), encodeOptions);
}

/** The same frame from messages made one by one with `createMessage` (a frozen object per payload). */
function k07EncodeProduceFromMessages() {
  const messages = new Array(PRODUCE_MESSAGES);
  for (let i = 0; i < PRODUCE_MESSAGES; i++) messages[i] = k07.createMessage(producePayloads[i]);
  return k07.encodeProduceRequest(new k07.ProduceRequest("bench", 0, messages), encodeOptions);
}

/** Decode, each payload touched through `payloadLength` (no view made) or, with `readPayload`, through the `payload` view. */
function k07DecodeFetch(verifyCrc, readPayload = false) {
  const response = k07.decodeFetchResponse(fetchResponse.subarray(4));
  const set = k07.decodeMessageSet(response.messageSet, { verifyCrc });
  let messages = 0;
  let bytes = 0;
  if (readPayload) {
    for (const m of set) {
      bytes += m.payload.length;
      messages++;
    }
  } else {
    for (const m of set) {
      bytes += m.payloadLength;
      messages++;
    }
  }
  return { messages, bytes };
}

function crcOver(payloads) {
  let x = 0;
  for (let i = 0; i < payloads.length; i++) x ^= CRC32.buf(payloads[i]);
  return x;
}
const fetchPayloadViews = fetchPayloads.slice(0, entriesInFetch);
const produceCopyTarget = new Uint8Array(produceBytes);
const fetchCopyTarget = new Uint8Array(FETCH_BYTES);
function copyAll(payloads, target) {
  let at = 0;
  for (let i = 0; i < payloads.length; i++) {
    target.set(payloads[i], at);
    at += payloads[i].length;
  }
  return at;
}

// ---- the plain Buffer-based reference codec: what naive Node code does, the yardstick for k07 ----
/** A Produce frame as naive code writes it: Buffer.alloc, writeInt32BE, copy, crc-32 per message. */
function referenceEncodeProduce(topic, payloads) {
  let setBytes = 0;
  for (let i = 0; i < payloads.length; i++) setBytes += 10 + payloads[i].length;
  const topicBytes = Buffer.from(topic, "utf8");
  const frame = Buffer.alloc(4 + 2 + 2 + topicBytes.length + 4 + 4 + setBytes);
  let at = frame.writeInt32BE(frame.length - 4, 0);
  at = frame.writeInt16BE(0, at); // request type Produce
  at = frame.writeInt16BE(topicBytes.length, at);
  at += topicBytes.copy(frame, at);
  at = frame.writeInt32BE(0, at); // partition
  at = frame.writeInt32BE(setBytes, at);
  for (let i = 0; i < payloads.length; i++) {
    const payload = payloads[i];
    at = frame.writeInt32BE(6 + payload.length, at);
    at = frame.writeUInt8(1, at); // magic
    at = frame.writeUInt8(0, at); // attributes: no compression
    at = frame.writeInt32BE(CRC32.buf(payload), at);
    at += payload.copy(frame, at);
  }
  return frame;
}

/** A fetch response walked as naive code does: readInt32BE, a subarray per payload, crc-32 checked. */
function referenceDecodeFetch(response) {
  const end = 4 + response.readInt32BE(0);
  if (response.readInt16BE(4) !== 0) throw new Error("fetch error");
  let at = 6;
  let messages = 0;
  let bytes = 0;
  while (at + 4 <= end) {
    const length = response.readInt32BE(at);
    if (at + 4 + length > end) break;
    const magic = response[at + 4];
    const headerBytes = magic === 1 ? 6 : 5;
    if (magic === 1 && response[at + 5] !== 0) throw new Error("compressed message");
    const crc = response.readUInt32BE(at + 4 + headerBytes - 4);
    const payload = response.subarray(at + 4 + headerBytes, at + 4 + length);
    if (CRC32.buf(payload) >>> 0 !== crc) throw new Error("CRC mismatch");
    bytes += payload.length;
    messages++;
    at += 4 + length;
  }
  return { messages, bytes };
}

/**
 * What checked decode could be with `crc32Range`: the same walk as the reference decoder over a plain
 * Uint8Array, the CRC computed over the payload's range in place, no view made per message.
 */
const fetchSetBytes = new Uint8Array(fetchResponse.buffer, fetchResponse.byteOffset + 6, fetchResponse.length - 6);
const fetchSetView = new DataView(fetchSetBytes.buffer, fetchSetBytes.byteOffset, fetchSetBytes.byteLength);
function rangeCheckedWalk() {
  const end = fetchSetBytes.length;
  let at = 0;
  let messages = 0;
  let bytes = 0;
  while (at + 4 <= end) {
    const length = fetchSetView.getInt32(at);
    if (at + 4 + length > end) break;
    if (fetchSetBytes[at + 4] !== 1 || fetchSetBytes[at + 5] !== 0) throw new Error("not a plain magic-1 message");
    if (k07.crc32Range(fetchSetBytes, at + 10, at + 4 + length) !== fetchSetView.getUint32(at + 6)) throw new Error("CRC mismatch");
    bytes += length - 6;
    messages++;
    at += 4 + length;
  }
  return { messages, bytes };
}

// Each row is measured in a process of its own (BENCH_ROW="<workload>|<impl>"): in one shared
// process the peers' calls make shared code (crc-32 above all) polymorphic and slow down whoever
// runs after them, which would measure the order of the rows rather than the implementations.
const onlyRow = process.env.BENCH_ROW;

// ---- checks: every implementation does the same work and gets the same answer -------------
if (onlyRow === undefined && process.env.BENCH_PAIRED === undefined) {
  const ours = Buffer.from(k07EncodeProduce()).toString("hex");
  if (prozess.encodeProduce("bench", producePayloads).toString("hex") !== ours) throw new Error("prozess encodes differently");
  if (franz.encodeProduce("bench", producePayloads).toString("hex") !== ours) throw new Error("franz-kafka encodes differently");
  const expected = { messages: entriesInFetch, bytes: fetchPayloadBytes };
  const same = (r, who) => {
    if (r.messages !== expected.messages || r.bytes !== expected.bytes)
      throw new Error(`${who} decoded ${JSON.stringify(r)}, expected ${JSON.stringify(expected)}`);
  };
  same(k07DecodeFetch(true), "k07");
  same(k07DecodeFetch(true, true), "k07 reading .payload");
  same(referenceDecodeFetch(fetchResponse), "the reference decoder");
  same(rangeCheckedWalk(), "the crc32Range walk");
  if (referenceEncodeProduce("bench", producePayloads).toString("hex") !== ours) throw new Error("the reference encoder encodes differently");
  if (Buffer.from(k07EncodeProduceFromMessages()).toString("hex") !== ours) throw new Error("k07 encodes messages and payloads differently");
  same(prozess.decodeFetch(fetchResponse, true), "prozess");
  same(franz.decodeFetch(fetchResponse), "franz-kafka");
  same(await kafkajs.decodeFetch(kafkajsResponse), "kafkajs");
}

// ---- the timer ---------------------------------------------------------------------------------
/** ops/s over one sample of about SAMPLE_MS (the paired rows interleave these, one per row per round). */
async function measureOnce(fn) {
  globalThis.gc?.();
  let sink = 0;
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < SAMPLE_MS) {
    for (let i = 0; i < 4; i++) sink ^= fn() ? 1 : 0;
    ops += 4;
    now = performance.now();
  }
  if (sink === 0.5) console.log(sink);
  return (ops * 1000) / (now - start);
}

/** Median ops/s over SAMPLES samples of about SAMPLE_MS each, after a warm-up. */
async function measure(fn, isAsync = false) {
  const once = isAsync ? async () => await fn() : fn;
  const warmUntil = performance.now() + SAMPLE_MS;
  let sink = 0;
  while (performance.now() < warmUntil) sink ^= (isAsync ? await once() : once()) ? 1 : 0;
  const rates = [];
  for (let s = 0; s < SAMPLES; s++) {
    globalThis.gc?.();
    let ops = 0;
    const start = performance.now();
    let now = start;
    while (now - start < SAMPLE_MS) {
      for (let i = 0; i < 4; i++) sink ^= (isAsync ? await once() : once()) ? 1 : 0;
      ops += 4;
      now = performance.now();
    }
    rates.push((ops * 1000) / (now - start));
  }
  rates.sort((a, b) => a - b);
  if (sink === 0.5) console.log(sink); // keeps the results alive
  return rates[rates.length >> 1];
}

const workloads = [
  {
    id: "encode",
    title: `encode Produce, ${PRODUCE_MESSAGES} × ${PAYLOAD_BYTES} B messages`,
    messages: PRODUCE_MESSAGES,
    payloadBytes: produceBytes,
    rows: [
      { impl: "k07", fn: k07EncodeProduce },
      { impl: "k07 with the Node transport's allocator", fn: k07EncodeProduce, setup: useNodeAllocator, note: "what @k07/transport-node users get" },
      { impl: "k07 from createMessage objects", fn: k07EncodeProduceFromMessages, note: "a frozen message object per payload" },
      { impl: prozess.name, fn: () => prozess.encodeProduce("bench", producePayloads) },
      { impl: franz.name, fn: () => franz.encodeProduce("bench", producePayloads) },
      { impl: kafkajs.name, fn: () => kafkajs.encodeProduce("bench", producePayloads) },
      { impl: "limit: crc-32 alone", fn: () => crcOver(producePayloads), limit: "crc" },
      { impl: "limit: memcpy", fn: () => copyAll(producePayloads, produceCopyTarget), limit: "memcpy" },
    ],
  },
  {
    id: "decode-checked",
    title: `decode 1 MiB fetch response (${entriesInFetch} × ${PAYLOAD_BYTES} B), CRC checked`,
    messages: entriesInFetch,
    payloadBytes: fetchPayloadBytes,
    rows: [
      { impl: "k07", fn: () => k07DecodeFetch(true) },
      { impl: "k07, reading .payload", fn: () => k07DecodeFetch(true, true), note: "a view per message" },
      { impl: prozess.name, fn: () => prozess.decodeFetch(fetchResponse, true) },
      { impl: franz.name, fn: () => franz.decodeFetch(fetchResponse) },
      { impl: "limit: crc-32 alone", fn: () => crcOver(fetchPayloadViews), limit: "crc" },
      { impl: "limit: memcpy", fn: () => fetchCopyTarget.set(messageSet), limit: "memcpy" },
    ],
  },
  {
    id: "decode-unchecked",
    title: `decode 1 MiB fetch response (${entriesInFetch} × ${PAYLOAD_BYTES} B), no CRC check`,
    messages: entriesInFetch,
    payloadBytes: fetchPayloadBytes,
    rows: [
      { impl: "k07", fn: () => k07DecodeFetch(false) },
      { impl: "k07, reading .payload", fn: () => k07DecodeFetch(false, true), note: "a view per message" },
      {
        impl: prozess.name,
        fn: () => prozess.decodeFetch(fetchResponse, false),
        note: "computes CRCs anyway (re-encodes each message to learn its length)",
      },
      { impl: franz.name, fn: () => franz.decodeFetch(fetchResponse), note: "cannot switch CRC checks off" },
      { impl: kafkajs.name, fn: () => kafkajs.decodeFetch(kafkajsResponse), async: true, note: "0.8 v0 format, never checks CRCs" },
      { impl: "limit: crc-32 alone", fn: () => crcOver(fetchPayloadViews), limit: "crc" },
      { impl: "limit: memcpy", fn: () => fetchCopyTarget.set(messageSet), limit: "memcpy" },
    ],
  },
];

// ---- the limit rows, side by side in one process ---------------------------------------------------
const PAIRED = {
  encode: [
    ["k07", k07EncodeProduce],
    ["crc-32 alone", () => crcOver(producePayloads)],
    ["reference encoder", () => referenceEncodeProduce("bench", producePayloads)],
  ],
  decode: [
    ["k07 checked", () => k07DecodeFetch(true)],
    ["k07 unchecked", () => k07DecodeFetch(false)],
    ["k07 checked, .payload", () => k07DecodeFetch(true, true)],
    ["k07 unchecked, .payload", () => k07DecodeFetch(false, true)],
    ["crc-32 alone", () => crcOver(fetchPayloadViews)],
    ["reference decoder", () => referenceDecodeFetch(fetchResponse)],
    ["crc32Range walk, no views", rangeCheckedWalk],
  ],
};
const PAIRED_ROUNDS = Number(process.env.BENCH_PAIRED_ROUNDS ?? 5);
if (process.env.BENCH_PAIRED !== undefined) {
  const rows = PAIRED[process.env.BENCH_PAIRED];
  for (const [, fn] of rows) for (let i = 0; i < 200; i++) fn(); // every row warm before any is timed
  const rates = Object.fromEntries(rows.map(([name]) => [name, []]));
  for (let round = 0; round < PAIRED_ROUNDS; round++) {
    for (const [name, fn] of rows) rates[name].push(await measureOnce(fn));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(JSON.stringify(Object.fromEntries(Object.entries(rates).map(([name, xs]) => [name, median(xs)]))));
  process.exit(0);
}

if (onlyRow !== undefined) {
  const [id, impl] = onlyRow.split("|");
  const row = found(
    found(
      workloads.find((w) => w.id === id),
      `workload ${id}`,
    ).rows.find((r) => r.impl === impl),
    `row ${impl}`,
  );
  await row.setup?.();
  console.log(JSON.stringify({ opsPerSec: await measure(row.fn, row.async === true) }));
  process.exit(0);
}

/** Processes per row: V8 settles on fast or slow code for the same loop from one process to the next, so take the median. */
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 3);

function measureIsolated(id, impl) {
  const rates = [];
  for (let i = 0; i < PROCESSES; i++) {
    const child = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url)], {
      env: { ...process.env, BENCH_ROW: `${id}|${impl}` },
      encoding: "utf8",
    });
    if (child.status !== 0) throw new Error(`measuring ${impl} (${id}) failed: ${child.stderr}`);
    rates.push(JSON.parse(found(child.stdout.trim().split("\n").pop(), `output of ${impl}`)).opsPerSec);
  }
  rates.sort((a, b) => a - b);
  return rates[rates.length >> 1];
}

const results = {
  node: process.version,
  date: new Date().toISOString(),
  sampleMs: SAMPLE_MS,
  samples: SAMPLES,
  isolated: true,
  workloads: /** @type {object[]} */ ([]),
};
for (const w of workloads) {
  for (const row of w.rows) row.opsPerSec = measureIsolated(w.id, row.impl);
  const crcLimit = found(
    w.rows.find((r) => r.limit === "crc"),
    "the CRC limit row",
  ).opsPerSec;
  const k07Row = found(
    w.rows.find((r) => r.impl === "k07"),
    "the k07 row",
  );
  const peers = w.rows.filter((r) => !r.impl.startsWith("k07") && !r.limit);
  const table = w.rows.map((r) => ({
    impl: r.impl,
    "ops/s": r.opsPerSec,
    "messages/s": r.opsPerSec * w.messages,
    "MB/s": (r.opsPerSec * w.payloadBytes) / 1e6,
    "÷ CRC limit": r.opsPerSec / crcLimit,
    "k07 ÷ this": k07Row.opsPerSec / r.opsPerSec,
    note: r.note,
  }));
  results.workloads.push({
    id: w.id,
    title: w.title,
    messages: w.messages,
    payloadBytes: w.payloadBytes,
    rows: table,
    k07VsCrcLimit: k07Row.opsPerSec / crcLimit,
    k07VsPeers: Object.fromEntries(peers.map((p) => [p.impl, k07Row.opsPerSec / p.opsPerSec])),
  });
  printTable(w.title, table);
}

// ---- the limit rows: each process measures k07 beside the crc-32 loop and the reference codec --------
const PAIRED_PROCESSES = Number(process.env.PAIRED_PROCESSES ?? 5);
results.paired = {};
for (const [kind, rows] of Object.entries(PAIRED)) {
  const processes = [];
  for (let p = 0; p < PAIRED_PROCESSES; p++) {
    const child = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url)], {
      env: { ...process.env, BENCH_PAIRED: kind },
      encoding: "utf8",
    });
    if (child.status !== 0) throw new Error(`measuring the ${kind} limit rows failed: ${child.stderr}`);
    processes.push(JSON.parse(found(child.stdout.trim().split("\n").pop(), `the ${kind} limit rows' result line`)));
  }
  const messages = kind === "encode" ? PRODUCE_MESSAGES : entriesInFetch;
  const reference = kind === "encode" ? "reference encoder" : "reference decoder";
  const measured = rows.map((row) => String(row[0])).filter((name) => name.startsWith("k07") || name.startsWith("crc32Range"));
  const fmt = (n, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const lines = [
    `| ${kind}: process | ${rows.map((row) => `${String(row[0])} msg/s`).join(" | ")} | ${measured.map((m) => `${m} ÷ crc-32 | ${m} ÷ reference`).join(" | ")} |`,
    `|---|${rows.map(() => "---:").join("|")}|${measured.map(() => "---:|---:").join("|")}|`,
  ];
  processes.forEach((rates, p) => {
    const cells = rows.map((row) => fmt(rates[String(row[0])] * messages));
    const ratios = measured.map((m) => `${fmt(rates[m] / rates["crc-32 alone"], 2)} | ${fmt(rates[m] / rates[reference], 2)}×`);
    lines.push(`| ${p + 1} | ${cells.join(" | ")} | ${ratios.join(" | ")} |`);
  });
  console.log("\n" + lines.join("\n"));
  results.paired[kind] = {
    messagesPerOp: messages,
    rounds: PAIRED_ROUNDS,
    processes: processes.map((rates) => ({
      msgPerSec: Object.fromEntries(Object.entries(rates).map(([name, r]) => [name, r * messages])),
      ratios: Object.fromEntries(
        measured.flatMap((m) => [
          [`${m} ÷ crc-32 alone`, rates[m] / rates["crc-32 alone"]],
          [`${m} ÷ ${reference}`, rates[m] / rates[reference]],
        ]),
      ),
    })),
  };
}

mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "codec.json"), JSON.stringify(results, null, 2) + "\n");
console.log("\nsaved bench/results/codec.json");

function printTable(title, rows) {
  const fmt = (n, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const lines = [
    `| ${title} | ops/s | messages/s | MB/s | ÷ CRC limit | k07 ÷ this |`,
    "|---|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.impl}${r.note ? ` (${r.note})` : ""} | ${fmt(r["ops/s"])} | ${fmt(r["messages/s"])} | ${fmt(r["MB/s"], 1)} | ${fmt(r["÷ CRC limit"], 2)} | ${fmt(r["k07 ÷ this"], 2)}× |`,
    ),
  ];
  console.log("\n" + lines.join("\n"));
}
