#!/usr/bin/env node
// Profiling harness for the embedded broker's hot paths (not a benchmark: run.mjs does not pick it up).
// Starts the broker in a child process, then drives it with the e2e bench's raw-frames client:
// pre-encoded 100-byte messages in Produce frames of 200, then rounds of 1 MiB fetches walked by
// length only. Prints the rates and, since on a shared machine a rate mostly says how much CPU the
// scheduler gave, the CPU time each side used per million messages (Linux /proc, 10 ms ticks).
//   node bench/profile-broker.mjs produce|fetch|both [messages] [fetch rounds]
//   PROFILE_DIR=/tmp/prof node bench/profile-broker.mjs …               (the broker runs with --cpu-prof)
//   node bench/profile-broker.mjs summary /tmp/prof/<file>.cpuprofile  (self time by function, share of busy time)
// BROKER_ARGS="--data /tmp/d --flush-messages 10000" passes broker flags; BROKER_NODE_ARGS="--trace-gc"
// node flags, with what the broker prints going to the file BROKER_OUT.
import { readFileSync } from "node:fs";
import { startBrokerProcess } from "./broker-process.mjs";
import * as raw from "./e2e-peers/raw-frames.mjs";
import * as k07 from "./e2e-peers/k07.mjs";

const words = (text) => text?.split(" ").filter(Boolean) ?? [];
const [what = "both", messagesArg, roundsArg] = process.argv.slice(2);
if (what === "summary") {
  summarize(JSON.parse(readFileSync(String(messagesArg), "utf8")));
  process.exit(0);
}
const MESSAGES = Number(messagesArg ?? 1_000_000);
const FETCH_ROUNDS = Number(roundsArg ?? 5);
const PAYLOAD_BYTES = 100;
const ENTRY_BYTES = PAYLOAD_BYTES + 10;
const payloads = Buffer.alloc(MESSAGES * PAYLOAD_BYTES);
for (let i = 0; i < MESSAGES; i++) payloads.writeUInt32BE(i, i * PAYLOAD_BYTES);
const source = { count: MESSAGES, payload: (i) => payloads.subarray(i * PAYLOAD_BYTES, (i + 1) * PAYLOAD_BYTES) };

const nodeArgs = [
  ...(process.env.PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : []),
  ...words(process.env.BROKER_NODE_ARGS),
];
const broker = await startBrokerProcess({ nodeArgs, brokerArgs: words(process.env.BROKER_ARGS), stdoutFile: process.env.BROKER_OUT });

/** Runs `work` and measures it: seconds, and the CPU seconds the broker and this process used meanwhile. */
async function measured(work) {
  const brokerBefore = broker.cpuSeconds();
  const clientBefore = process.cpuUsage();
  const start = performance.now();
  await work();
  const seconds = (performance.now() - start) / 1000;
  const client = process.cpuUsage(clientBefore);
  const brokerAfter = broker.cpuSeconds();
  return {
    seconds,
    broker: brokerAfter && brokerBefore ? brokerAfter.user + brokerAfter.system - brokerBefore.user - brokerBefore.system : NaN,
    brokerSystem: brokerAfter && brokerBefore ? brokerAfter.system - brokerBefore.system : NaN,
    client: (client.user + client.system) / 1e6,
  };
}

const describe = (m, messages) =>
  `${(messages / m.seconds / 1e6).toFixed(2)} M msg/s; CPU s per 1 M msg: broker ${((m.broker * 1e6) / messages).toFixed(3)} ` +
  `(system ${((m.brokerSystem * 1e6) / messages).toFixed(3)}), client ${((m.client * 1e6) / messages).toFixed(3)}`;

try {
  // Warm-up produce on its own topic (not timed).
  await raw.produce({ ...broker, prepared: raw.prepareProduce({ topic: "w", source: { count: 20_000, payload: source.payload }, batchSize: 200 }) });
  const prepared = raw.prepareProduce({ topic: "p", source, batchSize: 200 });
  const produced = await measured(async () => {
    await raw.produce({ ...broker, prepared });
    while ((await k07.latestOffset({ ...broker, topic: "p" })) !== MESSAGES * ENTRY_BYTES) await new Promise((resolve) => setTimeout(resolve, 1));
  });
  if (what !== "fetch") console.log(`produce: ${describe(produced, MESSAGES)}`);
  if (what !== "produce") {
    for (let r = 0; r < FETCH_ROUNDS; r++) {
      const fetched = await measured(() => raw.consume({ ...broker, topic: "p", count: MESSAGES, fetchBytes: 1 << 20, onSequence: () => {} }));
      console.log(`fetch round ${r + 1}: ${describe(fetched, MESSAGES)}`);
    }
    // The round trip alone (one-message fetches), to tell waiting apart from moving bytes.
    const tiny = 300;
    const trip = await measured(() => raw.consume({ ...broker, topic: "p", count: tiny, fetchBytes: ENTRY_BYTES, onSequence: () => {} }));
    console.log(`one-message fetch round trip: ${((trip.seconds * 1000) / tiny).toFixed(3)} ms`);
  }
} finally {
  await broker.stop();
}

/** Self time by function as a share of the busy (non-idle) time, then the inclusive time of broker and codec functions. */
function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const nameOf = (f) => `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const inclusive = new Map();
  let idle = 0;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const frame = byId.get(profile.samples[i]).callFrame;
    if (frame.functionName === "(idle)") {
      idle += dt;
      continue;
    }
    self.set(nameOf(frame), (self.get(nameOf(frame)) ?? 0) + dt);
    const seen = new Set();
    for (let id = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id).callFrame;
      if (!/\/(broker|codec)\/dist\//.test(f.url) || seen.has(nameOf(f))) continue;
      seen.add(nameOf(f));
      inclusive.set(nameOf(f), (inclusive.get(nameOf(f)) ?? 0) + dt);
    }
  }
  const busy = total - idle;
  const top = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
  console.log(`busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s; self time:`);
  for (const [key, us] of top(self, 25)) console.log(`${((100 * us) / busy).toFixed(1).padStart(5)}%  ${key}`);
  console.log("inclusive (broker and codec functions):");
  for (const [key, us] of top(inclusive, 20)) console.log(`${((100 * us) / busy).toFixed(1).padStart(5)}%  ${key}`);
}
