#!/usr/bin/env node
// Hostile compressed input: what one small request costs the embedded
// broker and the client. Each case runs in its own child process (so peak RSS is that case's own),
// capped at HOSTILE_TIMEOUT_S seconds (default 30). Cases:
//   broker-nested   a ~1.8 KB produce: a gzip wrapper holding 10 gzip wrappers of 60 MiB each
//   broker-empties  a ~116 KB produce: a gzip wrapper of 6 M empty messages (60 MB inflated)
//   broker-legit    a legitimate wrapper: 1,000 messages of 60 KiB (60 MiB inflated)
//   client-nested-{iter,get}   a fake server answers a fetch with a ~163 KB wrapper of 1,000
//                              inner wrappers of 60 MiB each; iterMessages / getMessageSet
//   client-empties-{iter,get}  the same with the 6 M empty messages
//   client-legit-{iter,get}    the same with the legitimate 60 MiB wrapper
// Reported per case: outcome (accepted, or the typed error / the broker's reason for closing),
// settle time, worst event-loop stall (the longest gap of a 1 ms timer in the process doing the
// work; for the broker also the worst round trip of Offsets requests on another connection),
// and peak RSS. Writes bench/results/hostile.json. Alone: `npm run bench -- hostile`; a subset:
// HOSTILE_CASES=broker-nested,client-legit-get.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const k07Path = join(here, "..", "packages", "transport-node", "dist", "index.js");
const brokerPath = join(here, "..", "packages", "broker", "dist", "index.js");
const TIMEOUT_S = Number(process.env.HOSTILE_TIMEOUT_S ?? 30);
const MiB = 1024 * 1024;
const CASES = [
  "broker-nested",
  "broker-empties",
  "broker-legit",
  "client-nested-iter",
  "client-nested-get",
  "client-empties-iter",
  "client-empties-get",
  "client-legit-iter",
  "client-legit-get",
];

if (process.argv[2] === "--case") await runCase(process.argv[3], process.argv[4]);
else if (process.argv[2] === "--build") await build(process.argv[3]);
else await main();

// ------------------------------------------------------------------ parent

async function main() {
  const dir = join(tmpdir(), `k07-hostile-${process.pid}`);
  // The payloads are built in a process of their own: a child's peak RSS starts from its parent's
  // (Linux keeps ru_maxrss across exec), so this process must stay small.
  spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--build", dir], { stdio: "inherit" });
  const rows = [];
  const only = process.env.HOSTILE_CASES?.split(",");
  for (const name of CASES.filter((c) => only === undefined || only.includes(c))) {
    const row = await runChild(name, dir);
    rows.push(row);
    console.log(format(row));
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(here, "results"), { recursive: true });
  writeFileSync(join(here, "results", "hostile.json"), JSON.stringify({ timeoutS: TIMEOUT_S, rows }, null, 2));
}

/** Writes the payloads into `dir`. */
async function build(dir) {
  const k07 = await import(k07Path);
  mkdirSync(dir, { recursive: true });
  const payloads = buildPayloads(k07);
  for (const [name, bytes] of Object.entries(payloads)) writeFileSync(join(dir, `${name}.bin`), bytes);
  console.log(
    Object.entries(payloads)
      .map(([name, bytes]) => `${name}: ${bytes.length.toLocaleString("en")} B`)
      .join(", "),
  );
}

/**
 * The hostile message sets (one top-level wrapper message each, as the wire carries it). 60 MiB of
 * zeros gzips to ~60 KB, so a wrapper of wrappers of it is tiny.
 */
function buildPayloads(k07) {
  const zeros60 = k07.createGzipMessage([k07.createMessage(new Uint8Array(60 * MiB))]);
  const set = (messages) => k07.encodeMessages(messages);
  const nested = (count) => set([k07.createGzipMessage(Array.from({ length: count }, () => zeros60))]);
  // 6 M empty magic-1 messages: each entry is 10 bytes (length 6, magic 1, attributes 0, CRC 0 of nothing).
  const empties = new Uint8Array(6_000_000 * 10);
  for (let at = 0; at < empties.length; at += 10) ((empties[at + 3] = 6), (empties[at + 4] = 1));
  const emptiesWrapper = { magic: 1, attributes: k07.Compression.Gzip, payload: k07.gzipCodec.compress(empties) };
  const chunk = new Uint8Array(60 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7919) % 251;
  const legit = set([k07.createGzipMessage(Array.from({ length: 1000 }, (_, i) => k07.createMessage(chunk.map((b) => b ^ (i & 0xff)))))]);
  return { nested10: nested(10), nested1000: nested(1000), empties: set([emptiesWrapper]), legit };
}

function runChild(name, dir) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--case", name, dir], { stdio: ["ignore", "pipe", "inherit"] });
    let result;
    let worstStallMs = 0;
    let peakRssKiB = 0;
    let lastTickAt = performance.now();
    let buffered = "";
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = JSON.parse(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        if (line.stall !== undefined) {
          worstStallMs = Math.max(worstStallMs, line.stall);
          lastTickAt = performance.now();
        } else result = line;
      }
    });
    // Peak RSS as the kernel counts it, read while the child runs (a hung child reports nothing itself).
    const rssPoll = setInterval(() => {
      try {
        const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (hwm) peakRssKiB = Math.max(peakRssKiB, Number(hwm[1]));
      } catch {}
    }, 50);
    const timer = setTimeout(() => {
      result = { outcome: "no outcome", timedOut: true };
      // A stall still going on when the cap hits is at least as long as the silence since the last tick report.
      worstStallMs = Math.max(worstStallMs, performance.now() - lastTickAt);
      child.kill("SIGKILL");
    }, TIMEOUT_S * 1000);
    child.on("exit", () => {
      clearTimeout(timer);
      clearInterval(rssPoll);
      result ??= { outcome: "child failed" };
      resolve({
        name,
        ...result,
        settleMs: result.timedOut ? undefined : result.settleMs,
        worstStallMs: result.timedOut ? Math.max(worstStallMs, result.worstStallMs ?? 0) : (result.worstStallMs ?? worstStallMs),
        peakRssMB: Math.max(peakRssKiB / 1024, result.peakRssMB ?? 0),
        wallMs: performance.now() - started,
      });
    });
  });
}

function format(row) {
  const settle = row.timedOut ? `> ${TIMEOUT_S} s` : `${(row.settleMs / 1000).toFixed(2)} s`;
  const stall = `${row.timedOut ? "≥ " : ""}${Math.round(row.worstStallMs)} ms`;
  const probe = row.probeWorstMs === undefined ? "" : `, other connection's worst round trip ${Math.round(row.probeWorstMs)} ms`;
  return `${row.name.padEnd(20)} ${String(row.outcome).padEnd(32)} settle ${settle.padStart(8)}, worst stall ${stall}${probe}, peak RSS ${Math.round(row.peakRssMB)} MB`;
}

// ------------------------------------------------------------------ child

/** Measures the longest gap of a 1 ms timer, reporting each new worst to the parent as it is seen. */
function stallMeter() {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const gap = now - last;
    last = now;
    if (gap > worst) {
      worst = gap;
      if (gap > 20) process.stdout.write(`${JSON.stringify({ stall: gap })}\n`);
    }
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(worst, performance.now() - last);
    },
  };
}

async function runCase(name, dir) {
  const k07 = await import(k07Path);
  const [side, kind, api] = name.split("-");
  const file = { nested: side === "broker" ? "nested10" : "nested1000", empties: "empties", legit: "legit" }[kind];
  const messageSet = new Uint8Array(readFileSync(join(dir, `${file}.bin`)));
  const result = side === "broker" ? await brokerCase(k07, messageSet) : await clientCase(k07, messageSet, api);
  process.stdout.write(`${JSON.stringify({ ...result, peakRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
  process.exit(0);
}

/** Produces `messageSet` to an embedded broker while another connection sends Offsets requests back to back. */
async function brokerCase(k07, messageSet) {
  const { startBroker } = await import(brokerPath);
  let closeReason;
  const broker = await startBroker({ port: 0, onEvent: (event) => (closeReason ??= event.kind === "closed-by-broker" ? event.reason : undefined) });
  const probe = await latencyProbe(k07, broker.port);
  const producer = new k07.KafkaClient(broker.host, broker.port);
  await producer.latestOffset("hostile", 0); // connected before the clock starts
  const meter = stallMeter();
  const started = performance.now();
  let outcome;
  try {
    await producer.sendMessageSet(new k07.ProduceRequest("hostile", 0, new k07.EncodedMessageSet(messageSet)));
    await producer.confirm();
    outcome = "accepted";
  } catch (error) {
    outcome = error instanceof Error ? error.name : String(error);
  }
  const settleMs = performance.now() - started;
  const worstStallMs = meter.stop();
  const probeWorstMs = await probe.stop();
  if (closeReason !== undefined) outcome = `closed: ${describeClose(closeReason)}`;
  await producer.close().catch(() => {});
  await broker.close();
  return { outcome, settleMs, worstStallMs, probeWorstMs };
}

/** The broker reports why it closed as the error's message: name the error it comes from. */
function describeClose(reason) {
  if (/never nest/.test(reason)) return "NestedCompressionError";
  if (/maxDecompressedBytes/.test(reason)) return "DecompressionLimitError";
  return reason.replace(/^produce to [^:]+: /, "").slice(0, 40);
}

/** Another client's view: Offsets requests on their own connection, one after another; the worst round trip. */
async function latencyProbe(k07, port) {
  const socket = await new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
  const request = k07.encodeOffsetRequest(new k07.OffsetRequest("probe", 0, -1, 1));
  let worst = 0;
  let running = true;
  let sentAt = 0;
  let received = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const send = () => {
    sentAt = performance.now();
    socket.write(request);
  };
  socket.on("data", (chunk) => {
    received += chunk.length;
    // An Offsets response to a request for one offset is 4 + 2 + 4 + 8 bytes.
    while (received >= 18) {
      received -= 18;
      worst = Math.max(worst, performance.now() - sentAt);
      // The next one goes at once: a request is always waiting, so any stall shows in a round trip.
      if (running) send();
      else done();
    }
  });
  send();
  return {
    async stop() {
      running = false;
      await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 1000))]);
      socket.destroy();
      return worst;
    },
  };
}

/** A fake 0.7 server answering the first fetch with `messageSet` and any later one with an empty set; the client consumes. */
async function clientCase(k07, messageSet, api) {
  const server = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let answered = false;
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        buffered = buffered.subarray(4 + buffered.readInt32BE(0));
        const body = answered ? new Uint8Array(0) : messageSet;
        answered = true;
        const header = Buffer.alloc(6);
        header.writeInt32BE(2 + body.length, 0);
        socket.write(header);
        socket.write(body);
      }
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const client = new k07.KafkaClient("127.0.0.1", /** @type {import("node:net").AddressInfo} */ (server.address()).port);
  const fetch = new k07.FetchRequest("hostile", 0, 0, 1024 * 1024);
  const meter = stallMeter();
  const started = performance.now();
  let outcome;
  try {
    let count = 0;
    if (api === "iter") for await (const _ of client.iterMessages(fetch)) count++;
    else count = (await client.getMessageSet(fetch))[0].length;
    outcome = `accepted (${count.toLocaleString("en")} messages)`;
  } catch (error) {
    outcome = error instanceof Error ? error.name : String(error);
  }
  const settleMs = performance.now() - started;
  const worstStallMs = meter.stop();
  await client.close().catch(() => {});
  server.close();
  return { outcome, settleMs, worstStallMs };
}
