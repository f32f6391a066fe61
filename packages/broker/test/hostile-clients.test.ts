/**
 * Fault injection: hostile clients against the embedded broker. The broker runs in a child process
 * (its RSS is its own); while each hostile client does its worst, a normal client fetches from it
 * every 20 ms, and every fetch must be answered within the latency budget. Each hostile connection
 * must end the way 0.7.2 ends it: closed when its request is invalid, answered when it is merely
 * slow. The worst event-loop stall inside the broker and its peak RSS growth are printed per case.
 */
import { FetchRequest, KafkaClient, createGzipMessage, createMessage, encodeMessages, sleep } from "@k07/transport-node";
import { connect } from "node:net";
import { emptyMessagesBombSet, gzipBombSet, nestedGzipSet } from "@k07/testing/hostile-payloads.ts";
import { SeededRandom, faultSeed } from "@k07/testing/seeded-random.ts";
import { WatchedChild, buildPackagesForChildren, mb } from "@k07/testing/watched-child.ts";
import { concat, int16, int32, rawFetch, rawOffsets, rawProduce, requestFrame, shortString, textSet } from "./helpers/bytes.ts";
import { RawConnection } from "./helpers/raw-connection.ts";

const seed = faultSeed("hostile-clients");
const MB = 1024 * 1024;
/** Every probe fetch is answered within this (generous: the defects it catches stall for seconds). */
const LATENCY_BUDGET_MS = 1_000;
const GROWTH_LIMIT_BYTES = 200 * MB;
const PROBE_TOPIC = "probe";
const PROBE_MESSAGES = 10;
/** The broker's default `maxRequestBytes`. */
const MAX_REQUEST_BYTES = 104_857_600;

/** A normal client fetching the same messages back to back, timing each answer. */
class Probe {
  worstMs = 0;
  fetches = 0;
  readonly failures: string[] = [];
  private running = true;
  private readonly client: KafkaClient;
  private readonly loop: Promise<void>;

  constructor(port: number) {
    this.client = new KafkaClient("127.0.0.1", port, { requestTimeoutMs: 5_000 });
    this.loop = this.run();
  }

  /** Stops probing; the fetch in flight finishes first. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.client.close().catch(() => {});
  }

  private async run(): Promise<void> {
    while (this.running) {
      const started = performance.now();
      try {
        const [messages] = await this.client.getMessageSet(new FetchRequest(PROBE_TOPIC, 0, 0, 64 * 1024));
        if (messages.length !== PROBE_MESSAGES) this.failures.push(`a probe fetch returned ${messages.length} messages, not ${PROBE_MESSAGES}`);
      } catch (error) {
        this.failures.push(`a probe fetch failed: ${String(error)}`);
      }
      this.worstMs = Math.max(this.worstMs, performance.now() - started);
      this.fetches++;
      await sleep(20);
    }
  }
}

/** The answer to `rawOffsets(PROBE_TOPIC, 0, -1, 1)`: error 0, one offset. */
const SENTINEL = rawOffsets(PROBE_TOPIC, 0, -1, 1);
const isSentinelAnswer = (frame: Uint8Array) => frame.length === 14 && frame[0] === 0 && frame[1] === 0 && int32At(frame, 2) === 1;
const int32At = (bytes: Uint8Array, at: number) => new DataView(bytes.buffer, bytes.byteOffset).getInt32(at);

/** How a hostile connection ended. */
type Ending = "closed" | "answered" | "neither";

/**
 * After `frames`, a valid Offsets request: the broker must either close the connection (it found a
 * request invalid) or answer up to that last request. Either way, within 2 s: never silence.
 */
async function closedOrAnswered(port: number, frames: readonly Uint8Array[]): Promise<Ending> {
  const conn = await RawConnection.open(port);
  conn.send(...frames, SENTINEL);
  const deadline = Date.now() + 2_000;
  try {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return "neither";
      if (isSentinelAnswer(await conn.frame(left))) return "answered";
    }
  } catch {
    return conn.closed ? "closed" : "neither";
  } finally {
    conn.end();
  }
}

/** Sends `bytes` one byte every 100 ms (stopping if the broker closes the connection). */
async function dribble(conn: RawConnection, bytes: Uint8Array): Promise<void> {
  for (const byte of bytes) {
    if (conn.closed) return;
    conn.send(Uint8Array.of(byte));
    await sleep(100);
  }
}

/** A valid frame with 1 to 3 random mutations of its body; the size prefix always matches the body. */
function mutate(frame: Uint8Array, random: SeededRandom): Uint8Array {
  let body: Uint8Array = frame.slice(4);
  for (let n = random.int(1, 3); n > 0; n--) {
    const at = random.int(0, Math.max(0, body.length - 1));
    switch (random.pick(["flip", "truncate", "extend", "extreme"] as const)) {
      case "flip":
        body[at]! ^= random.int(1, 255);
        break;
      case "truncate":
        body = body.slice(0, at);
        break;
      case "extend":
        body = concat(body, random.bytes(random.int(1, 50)));
        break;
      case "extreme": {
        const value = random.pick([0, -1, 0x7fff_ffff, -0x8000_0000, 0x7fff]);
        const field = random.chance(0.5) ? int32(value) : int16(value);
        if (at + field.length <= body.length) body.set(field, at);
      }
    }
  }
  return concat(int32(body.length), body);
}

/** What a hostile client saw: problems (each fails the case) and how its connections ended. */
interface HostileOutcome {
  readonly problems: string[];
  readonly ended?: Record<string, number>;
}

/** One hostile client's run against the broker at `port`. */
type HostileClient = (port: number, random: SeededRandom) => Promise<HostileOutcome>;

/** Counts each connection's outcome, and makes a problem of every "neither". */
function tally(outcomes: readonly Ending[], problems: string[]): HostileOutcome {
  const ended: Record<string, number> = {};
  for (const outcome of outcomes) ended[outcome] = (ended[outcome] ?? 0) + 1;
  return { problems, ended };
}

const MUTATED_TOPIC = "mutated";

const cases: Record<string, HostileClient> = {
  async "random frames (a correct size prefix, random type and body)"(port, random) {
    const problems: string[] = [];
    const outcomes: Ending[] = [];
    // Half the bodies start with a valid topic and partition, so decoding gets past them.
    const body = () => concat(random.chance(0.5) ? concat(shortString("random"), int32(0)) : new Uint8Array(0), random.bytes(random.int(0, 200)));
    for (let connection = 0; connection < 40; connection++) {
      const frames = Array.from({ length: random.int(1, 3) }, () => requestFrame(random.int(0, 6), body()));
      const outcome = await closedOrAnswered(port, frames);
      if (outcome === "neither") problems.push(`connection ${connection}: neither closed nor answered within 2 s`);
      outcomes.push(outcome);
    }
    return tally(outcomes, problems);
  },

  async "mutated Produce, MultiProduce, Fetch, MultiFetch and Offsets frames"(port, random) {
    const set = textSet("one", "two", "three");
    const gzipped = encodeMessages([createGzipMessage(["four", "five"].map((t) => createMessage(t)))]);
    const bodyOf = (frame: Uint8Array) => frame.subarray(6);
    const valid = [
      rawProduce(MUTATED_TOPIC, 0, set),
      rawProduce(MUTATED_TOPIC, 0, gzipped),
      requestFrame(3, concat(int16(2), bodyOf(rawProduce(MUTATED_TOPIC, 0, set)), bodyOf(rawProduce(MUTATED_TOPIC, 0, gzipped)))),
      rawFetch(MUTATED_TOPIC, 0, 0, 1000),
      requestFrame(2, concat(int16(2), bodyOf(rawFetch(MUTATED_TOPIC, 0, 0, 1000)), bodyOf(rawFetch(PROBE_TOPIC, 0, 0, 1000)))),
      rawOffsets(MUTATED_TOPIC, 0, -1, 5),
    ];
    const problems: string[] = [];
    // The topic exists before the mutations start, so its log can be read back afterwards.
    if ((await closedOrAnswered(port, [valid[0]!])) !== "answered") problems.push("the valid produce was refused");
    const outcomes: Ending[] = [];
    for (let connection = 0; connection < 60; connection++) {
      const frame = mutate(random.pick(valid), random);
      const outcome = await closedOrAnswered(port, [frame]);
      if (outcome === "neither")
        problems.push(`connection ${connection}: neither closed nor answered within 2 s after ${Buffer.from(frame).toString("hex")}`);
      outcomes.push(outcome);
    }
    // Whatever was accepted is valid: the log reads back with every CRC checked.
    const reader = new KafkaClient("127.0.0.1", port, { requestTimeoutMs: 5_000 });
    try {
      for await (const _ of reader.iterMessages(new FetchRequest(MUTATED_TOPIC, 0, 0, 64 * 1024)));
    } catch (error) {
      problems.push(`the log of the mutated topic does not read back: ${String(error)}`);
    }
    await reader.close();
    return tally(outcomes, problems);
  },

  async "nested compression in a produce: 10 wrappers of 60 MiB in a 2.4 KB wrapper"(port) {
    return invalidProduce(port, "nested", nestedGzipSet(10));
  },

  async "object amplification in a produce: 6 M empty messages in a 117 KB wrapper"(port) {
    return invalidProduce(port, "amplified", emptyMessagesBombSet(6_000_000));
  },

  async "a gzip bomb in a produce: 512 MiB of zeros in a 0.5 MB wrapper"(port) {
    return invalidProduce(port, "bomb", gzipBombSet(128));
  },

  async "a MultiFetch whose answer would pass 2 GiB: 1,100 parts of 2 MiB over a 2.4 MB log"(port) {
    const problems: string[] = [];
    const setup = new KafkaClient("127.0.0.1", port);
    const payload = new Uint8Array(800_000);
    for (let i = 0; i < 3; i++) await setup.sendMessagesSimple("big", 0, payload);
    await setup.close();
    const part = rawFetch("big", 0, 0, 2 * MB).subarray(6);
    const multiFetch = requestFrame(2, concat(int16(1100), ...Array.from({ length: 1100 }, () => part)));
    // Only the size prefix matters: a wrong one is the defect, a closed connection the refusal.
    const prefix = await new Promise<Buffer | "closed">((resolve) => {
      const socket = connect(port, "127.0.0.1", () => socket.write(multiFetch));
      let received = Buffer.alloc(0);
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (received.length >= 4) {
          socket.destroy();
          resolve(received.subarray(0, 4));
        }
      });
      socket.on("error", () => {});
      socket.on("close", () => resolve("closed"));
    });
    if (prefix !== "closed") problems.push(`the broker answered with a size prefix of ${prefix.readInt32BE(0)} for a response of 1,100 × 2 MiB`);
    return { problems };
  },

  async "slowloris: 16 connections sending one byte per 100 ms"(port) {
    const problems: string[] = [];
    const slowValid = rawOffsets("s", 0, -1, 1);
    const slowHostile = [int32(0x7fff_ffff), requestFrame(9, new Uint8Array(10))];
    await Promise.all(
      Array.from({ length: 16 }, async (_, n) => {
        const conn = await RawConnection.open(port);
        const hostile = n % 2 === 1;
        await dribble(conn, hostile ? slowHostile[(n >> 1) % 2]! : slowValid);
        if (hostile) {
          if (!(await conn.closesWithin(1_000))) problems.push(`slow connection ${n}: a hostile frame sent slowly did not end closed`);
        } else {
          const answer = await conn.frame(2_000).catch((error: unknown) => String(error));
          if (typeof answer === "string") problems.push(`slow connection ${n}: a valid request sent slowly was not answered (${answer})`);
        }
        conn.end();
      }),
    );
    return { problems };
  },

  async "hostile size prefixes: negative, 0, over the maximum, 2 GiB"(port, random) {
    const problems: string[] = [];
    for (const prefix of [-1, -0x8000_0000, 0, MAX_REQUEST_BYTES + 1, 0x7fff_ffff]) {
      const conn = await RawConnection.open(port);
      conn.send(concat(int32(prefix), random.bytes(16)));
      if (!(await conn.closesWithin(1_000))) problems.push(`a size prefix of ${prefix} did not end closed within 1 s`);
      conn.end();
    }
    return { problems };
  },
};

/** A produce the broker must refuse (by closing the connection, as 0.7.2 does) without appending any of it. */
async function invalidProduce(port: number, topic: string, messageSet: Uint8Array): Promise<HostileOutcome> {
  const problems: string[] = [];
  const conn = await RawConnection.open(port);
  conn.send(rawProduce(topic, 0, messageSet));
  if (!(await conn.closesWithin(5_000))) problems.push(`the produce of ${messageSet.length} bytes was not refused (the connection stayed open 5 s)`);
  conn.end();
  const checker = new KafkaClient("127.0.0.1", port, { requestTimeoutMs: 5_000 });
  const appended = await checker.latestOffset(topic, 0).catch((error: unknown) => String(error));
  if (appended !== 0) problems.push(`the broker appended it: latest offset ${appended}`);
  await checker.close();
  return { problems };
}

const summary: string[] = [];
beforeAll(() => {
  buildPackagesForChildren();
  // Build the payloads now, so their cost does not count against the broker.
  nestedGzipSet(10);
  emptyMessagesBombSet(6_000_000);
  gzipBombSet(128);
}, 120_000);
afterAll(() => console.log(`hostile clients (seed ${seed}):\n${summary.join("\n")}`));

test.each(Object.entries(cases).map(([name, run], index) => [name, run, index] as const))(
  "%s: the broker keeps answering a normal client within its budget",
  async (name, run, index) => {
    const broker = new WatchedChild("broker-child.mjs", {}, { killAboveGrowthBytes: 3 * GROWTH_LIMIT_BYTES, deadlineMs: 45_000 });
    const ready = await broker.next();
    if (ready === undefined) throw new Error("the broker child exited before listening");
    const port = Number(ready.port);
    const setup = new KafkaClient("127.0.0.1", port);
    await setup.sendMessagesSimple(PROBE_TOPIC, 0, ...Array.from({ length: PROBE_MESSAGES }, (_, i) => `probe ${i}`));
    await setup.close();

    const probe = new Probe(port);
    let outcome: HostileOutcome;
    try {
      outcome = await run(port, new SeededRandom(seed, index));
    } catch (error) {
      outcome = { problems: [`the hostile client failed: ${String(error)}`] };
    }
    const { problems, ended } = outcome;
    await sleep(100);
    await probe.stop();
    broker.send({ report: true });
    const report = (await broker.next()) ?? {};
    await broker.stop();

    const growth = broker.growthBytes(Number(report.peakRss ?? 0));
    const worstStall = report.worstStallMs === undefined ? "n/a (killed)" : `${Number(report.worstStallMs)} ms`;
    summary.push(
      `  ${name}: worst probe latency ${Math.round(probe.worstMs)} ms over ${probe.fetches} fetches, broker's worst stall ${worstStall}, ` +
        `peak RSS growth ${mb(growth)}, connections closed by the broker ${report.closedByBroker === undefined ? "n/a" : Number(report.closedByBroker)}` +
        (ended ? ` (hostile connections: ${JSON.stringify(ended)})` : "") +
        (broker.killed ? `; KILLED at its ${broker.killed}` : "") +
        (problems.length > 0 ? `; ${problems.length} problem(s)` : ""),
    );
    expect({
      seed,
      problems: problems.slice(0, 10),
      probeFailures: probe.failures.slice(0, 5),
      probeWorstMs: probe.worstMs < LATENCY_BUDGET_MS ? "within budget" : Math.round(probe.worstMs),
      peakRssGrowth: growth < GROWTH_LIMIT_BYTES ? "in bound" : mb(growth),
      killed: broker.killed ?? "no",
    }).toEqual({ seed, problems: [], probeFailures: [], probeWorstMs: "within budget", peakRssGrowth: "in bound", killed: "no" });
  },
  60_000,
);
