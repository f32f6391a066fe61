#!/usr/bin/env node
// Profiling harness for the codec's hot paths (not a benchmark: run.mjs does not pick it up).
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile-codec.mjs encode|encode-node-allocator|encode-messages|decode-checked|decode-unchecked [seconds]
//   node bench/profile-codec.mjs summary /tmp/prof/<file>.cpuprofile      (self time by function)
//   node --trace-gc bench/profile-codec.mjs encode 2 | grep -c Scavenge  (young-generation GCs)
//   node --trace-gc-nvp bench/profile-codec.mjs encode 2 | node bench/profile-codec.mjs allocated
//                                                           (V8 heap bytes allocated per message)
//   PROFILE_HEAP=1 node bench/profile-codec.mjs decode-checked 2   (allocation sites, garbage included)
// Runs one workload of codec.bench.mjs in a loop and prints the ops done.
import { readFileSync } from "node:fs";
import { found } from "./found.mjs";
import * as k07 from "../packages/codec/dist/index.js";
import { payloadsOf } from "./payloads.mjs";
import { nodeAllocator } from "../packages/transport-node/dist/index.js";

const [what, arg] = process.argv.slice(2);

if (what === "allocated") {
  const text = readFileSync(0, "utf8");
  const bytes = [...text.matchAll(/allocated=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  const { messagesIncludingWarmUp } = JSON.parse(
    found(
      text.split("\n").find((line) => line.startsWith("{")),
      "the profiled run's JSON line",
    ),
  );
  console.log(
    `${bytes} heap bytes allocated over ${messagesIncludingWarmUp} messages: ${(bytes / messagesIncludingWarmUp).toFixed(1)} B per message`,
  );
  process.exit(0);
}

if (what === "summary") {
  const profile = JSON.parse(readFileSync(arg, "utf8"));
  const dt = profile.timeDeltas;
  const selfUs = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const f = node.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + (dt[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  for (const [key, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
  }
  process.exit(0);
}

const PAYLOAD_BYTES = 100;
// PROFILE_PLAIN=1: plain Uint8Array payloads, so crc-32 never sees a Buffer (bimodality probe).
const asInput = (b) => (process.env.PROFILE_PLAIN ? new Uint8Array(b.buffer, b.byteOffset, b.length) : b);
const producePayloads = payloadsOf(1000, 1).map(asInput);
const fetchPayloads = payloadsOf(Math.floor((1 << 20) / (PAYLOAD_BYTES + 10)) + 1, 2).map(asInput);
const messageSet = k07.encodeMessages(fetchPayloads.map((p) => k07.createMessage(p))).subarray(0, 1 << 20);
const fetchResponse = Buffer.from(k07.encodeFetchResponse({ errorCode: 0, messageSet }));

const workloads = {
  // The public path of codec.bench.mjs's encode row: the payloads given to ProduceRequest as they are.
  encode: {
    messages: producePayloads.length,
    run: () => k07.encodeProduceRequest(new k07.ProduceRequest("bench", 0, producePayloads)).length,
  },
  // The same with @k07/transport-node's allocator (Buffer.allocUnsafeSlow from 4 KiB), as its client encodes.
  "encode-node-allocator": {
    messages: producePayloads.length,
    run: () => k07.encodeProduceRequest(new k07.ProduceRequest("bench", 0, producePayloads), { allocate: nodeAllocator }).length,
  },
  "encode-messages": {
    messages: producePayloads.length,
    run() {
      const messages = new Array(producePayloads.length);
      for (let i = 0; i < producePayloads.length; i++) messages[i] = k07.createMessage(producePayloads[i]);
      return k07.encodeProduceRequest(new k07.ProduceRequest("bench", 0, messages)).length;
    },
  },
  "decode-checked": { messages: fetchPayloads.length - 1, run: () => decode(true) },
  "decode-unchecked": { messages: fetchPayloads.length - 1, run: () => decode(false) },
};
// PROFILE_PAYLOAD_VIEW=1: the consumer reads each `payload` view (one per message) instead of `payloadLength`.
const readPayload = process.env.PROFILE_PAYLOAD_VIEW !== undefined;
function decode(verifyCrc) {
  const response = k07.decodeFetchResponse(fetchResponse.subarray(4));
  let bytes = 0;
  if (readPayload) for (const m of k07.decodeMessageSet(response.messageSet, { verifyCrc })) bytes += m.payload.length;
  else for (const m of k07.decodeMessageSet(response.messageSet, { verifyCrc })) bytes += m.payloadLength;
  return bytes;
}

const workload = workloads[what];
if (workload === undefined)
  throw new Error(`usage: profile-codec.mjs encode|encode-node-allocator|encode-messages|decode-checked|decode-unchecked|summary [seconds|file]`);
const seconds = Number(arg ?? 5);
const WARM_OPS = 300;
for (let i = 0; i < WARM_OPS; i++) workload.run();
const heapSession = process.env.PROFILE_HEAP ? await startHeapSampling() : undefined;
let ops = 0;
let sink = 0;
const start = performance.now();
while (performance.now() - start < seconds * 1000) {
  sink ^= workload.run();
  ops++;
}
const elapsed = (performance.now() - start) / 1000;
if (heapSession) await printHeapSampling(heapSession, ops * workload.messages);
// messagesIncludingWarmUp divides the sum of --trace-gc-nvp's "allocated=" (heap bytes per GC cycle).
console.log(
  JSON.stringify({
    workload: what,
    ops,
    msgPerSec: (ops * workload.messages) / elapsed,
    messagesIncludingWarmUp: (ops + WARM_OPS) * workload.messages,
    sink,
  }),
);

/** V8's sampling heap profiler, counting objects that were already collected (the garbage is the point). */
async function startHeapSampling() {
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return session;
}

async function printHeapSampling(session, messages) {
  const { profile } = await session.post("HeapProfiler.stopSampling");
  const bySite = new Map();
  const walk = (node, parent) => {
    const f = node.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1} (from ${parent})`;
    const bytes = node.selfSize;
    if (bytes > 0) bySite.set(key, (bySite.get(key) ?? 0) + bytes);
    for (const child of node.children) walk(child, f.functionName || "(anonymous)");
  };
  walk(profile.head, "");
  const total = [...bySite.values()].reduce((a, b) => a + b, 0);
  console.log(`sampled ${(total / messages).toFixed(1)} heap bytes per message; by allocation site:`);
  for (const [key, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 12))
    console.log(`${(bytes / messages).toFixed(1).padStart(7)} B/msg  ${key}`);
}
