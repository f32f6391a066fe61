#!/usr/bin/env node
// Profiling harness for the embedded broker's hot paths (not a benchmark: run.mjs does not pick it up).
// Starts the broker in a child process (with --cpu-prof when PROFILE_DIR is set), then drives it with
// the e2e bench's raw-frames client: pre-encoded 100-byte Produce frames of 200, then 1 MiB fetches
// walked by length only, and prints both rates.
//   PROFILE_DIR=/tmp/prof node bench/profile-broker.mjs produce|fetch|both [messages] [fetch rounds]
//   node bench/profile-broker.mjs summary /tmp/prof/<file>.cpuprofile     (self time by function, share of busy time)
// Extra broker flags: BROKER_ARGS="--data /tmp/d --flush-messages 10000".
import { startBrokerProcess } from "./broker-process.mjs";
import * as raw from "./e2e-peers/raw-frames.mjs";
import * as k07 from "./e2e-peers/k07.mjs";
import { readFileSync } from "node:fs";

const [what = "both", messagesArg, roundsArg] = process.argv.slice(2);
if (what === "summary") {
  summarize(JSON.parse(readFileSync(messagesArg, "utf8")));
  process.exit(0);
}
const MESSAGES = Number(messagesArg ?? 1_000_000);
const FETCH_ROUNDS = Number(roundsArg ?? 5);
const PAYLOAD_BYTES = 100;
const payloads = Buffer.alloc(MESSAGES * PAYLOAD_BYTES);
for (let i = 0; i < MESSAGES; i++) payloads.writeUInt32BE(i, i * PAYLOAD_BYTES);
const source = { count: MESSAGES, payload: (i) => payloads.subarray(i * PAYLOAD_BYTES, (i + 1) * PAYLOAD_BYTES) };

const nodeArgs = process.env.PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : [];
// BROKER_NODE_ARGS="--trace-gc" and the like; what the broker prints goes to BROKER_OUT when set.
nodeArgs.push(...(process.env.BROKER_NODE_ARGS?.split(" ").filter(Boolean) ?? []));
const brokerArgs = process.env.BROKER_ARGS?.split(" ").filter(Boolean) ?? [];
const broker = await startBrokerProcess({ nodeArgs, brokerArgs, stdoutFile: process.env.BROKER_OUT });
/** The broker process's CPU seconds so far, user and system (Linux /proc; clock ticks of 10 ms). */
const brokerCpu = () => {
  const fields = readFileSync(`/proc/${broker.pid}/stat`, "utf8").split(") ")[1].split(" ");
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
};
const perMillion = (before, after) =>
  `broker CPU per 1 M msg: user ${(((after.user - before.user) * 1e6) / MESSAGES).toFixed(2)} s, system ${(((after.system - before.system) * 1e6) / MESSAGES).toFixed(2)} s`;
try {
  const prepared = raw.prepareProduce({ topic: "p", source, batchSize: 200 });
  // Warm-up produce on its own topic (not timed), so the fetch-only profile still has data to read.
  await raw.produce({ ...broker, prepared: raw.prepareProduce({ topic: "w", source: { count: 20_000, payload: source.payload }, batchSize: 200 }) });
  let cpu = brokerCpu();
  let start = performance.now();
  await raw.produce({ ...broker, prepared });
  for (;;) {
    if ((await k07.latestOffset({ ...broker, topic: "p" })) === MESSAGES * (PAYLOAD_BYTES + 10)) break;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const produceSeconds = (performance.now() - start) / 1000;
  if (what !== "fetch") console.log(`produce: ${Math.round(MESSAGES / produceSeconds).toLocaleString("en")} msg/s; ${perMillion(cpu, brokerCpu())}`);
  if (what !== "produce") {
    const rates = [];
    cpu = brokerCpu();
    for (let r = 0; r < FETCH_ROUNDS; r++) {
      start = performance.now();
      const clientCpu = process.cpuUsage();
      const brokerBefore = brokerCpu();
      await raw.consume({ ...broker, topic: "p", count: MESSAGES, fetchBytes: 1 << 20, onSequence: () => {} });
      const seconds = (performance.now() - start) / 1000;
      const { user, system } = process.cpuUsage(clientCpu);
      const brokerAfter = brokerCpu();
      const busy = (brokerAfter.user + brokerAfter.system - brokerBefore.user - brokerBefore.system) / seconds;
      rates.push(
        `${(MESSAGES / seconds / 1e6).toFixed(2)} M (consumer busy ${((user + system) / 1e6 / seconds).toFixed(2)}, broker ${busy.toFixed(2)})`,
      );
    }
    const after = brokerCpu();
    console.log(
      `fetch msg/s:\n  ${rates.join("\n  ")}\n  ${perMillion({ user: cpu.user / FETCH_ROUNDS, system: cpu.system / FETCH_ROUNDS }, { user: after.user / FETCH_ROUNDS, system: after.system / FETCH_ROUNDS })}`,
    );
  }
} finally {
  await broker.stop();
}

/** Self time by function as a share of the busy (non-idle) time, and the busy time's share of all. */
function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  let idle = 0;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const f = byId.get(profile.samples[i]).callFrame;
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    if (f.functionName === "(idle)") {
      idle += dt;
      continue;
    }
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
  }
  const busy = total - idle;
  console.log(`busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s`);
  for (const [key, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    console.log(`${((100 * us) / busy).toFixed(1).padStart(5)}%  ${key}`);
  }
}
