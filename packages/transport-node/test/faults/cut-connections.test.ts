/**
 * Fault injection: connections between a KafkaClient and an embedded broker cut at random byte
 * positions, in either direction, while a producer sends batches and confirms them. Whatever the
 * moment of the cut, nothing confirmed is lost or duplicated, and nothing sent is forgotten: every
 * produce is either covered by a confirm() that resolved or named by exactly one
 * ProduceNotConfirmedError from confirm()/close(). The producer never resends, so a duplicate in
 * the log can only come from the client or broker.
 */
import { startBroker, type Broker } from "@k07/broker";
import { FetchRequest, K07Error, KafkaClient, ProduceNotConfirmedError, ProduceRequest, createMessage } from "@k07/transport-node";
import { CuttingRelay, type Cut } from "../helpers/cutting-relay.ts";
import { SeededRandom, faultSeed } from "@k07/testing/seeded-random.ts";

const TRIALS = 200;
/**
 * Every tenth trial sends 3 requests of 4 MB, then confirms: more than the kernel's socket buffers
 * hold, so cuts also land while confirm() waits for the socket to drain.
 */
const LARGE_EVERY = 10;
const LARGE_PAYLOAD = new Uint8Array(500_000).fill(0x61);
const TOPIC = "cut";
const seed = faultSeed("cut-connections");

/** One produce request of a trial and what became of it. */
interface Produce {
  readonly request: ProduceRequest;
  readonly texts: readonly string[];
  readonly trial: number;
  /** sendMessageSet resolved: the request was handed to a connection. */
  sent: boolean;
  /** Covered by a confirm() or close() that was called after the send and resolved. */
  confirmed: boolean;
  /** How many ProduceNotConfirmedErrors named it. */
  named: number;
}

let broker: Broker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(() => broker.close());

/** A random cut: most in the client → broker direction, where the produce bytes are. */
function randomCut(random: SeededRandom, large: boolean): Cut {
  const direction = random.chance(0.65) ? "up" : "down";
  return {
    direction,
    // Up: a trial writes a few hundred bytes (large: about 12 MB); down: each confirm's Offsets answer is 10 bytes.
    afterBytes: direction === "down" ? random.int(0, 40) : large ? random.int(0, 12_000_000) : random.int(0, 700),
    how: random.chance(0.5) ? "end" : "reset",
    // Large trials hold the cut long enough for the client's socket buffer to fill.
    delayMs: large ? random.int(100, 300) : random.int(0, 3),
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
}

test(`${TRIALS} trials of random cuts: confirmed messages are in the log exactly once, unconfirmed ones are named once (seed printed above)`, async () => {
  const produces: Produce[] = [];
  const problems: string[] = [];
  const stats = { cuts: 0, connections: 0, confirmsResolved: 0, notConfirmed: 0, sendsRejected: 0 };

  /** A rejection of confirm()/close(): must be a ProduceNotConfirmedError naming produces sent and not yet confirmed. */
  const recordNotConfirmed = (trial: number, what: string, error: unknown, trialProduces: Produce[]) => {
    if (!(error instanceof ProduceNotConfirmedError)) {
      problems.push(`trial ${trial}: ${what} rejected with ${describeError(error)}, not a ProduceNotConfirmedError`);
      return;
    }
    stats.notConfirmed++;
    if (error.requests.length === 0) problems.push(`trial ${trial}: ${what} rejected with a ProduceNotConfirmedError naming no request`);
    for (const request of error.requests) {
      const produce = trialProduces.find((p) => p.request === request);
      if (produce === undefined || !produce.sent) problems.push(`trial ${trial}: ${what} named a request that was never sent`);
      else produce.named++;
    }
  };

  for (let trial = 0; trial < TRIALS; trial++) {
    const random = new SeededRandom(seed, trial);
    const large = trial % LARGE_EVERY === LARGE_EVERY - 1;
    // The first connection of a trial is always cut; a reconnection is cut now and then.
    const relay = await CuttingRelay.start(broker.port, (n) => (n === 0 || random.chance(0.3) ? randomCut(random, large) : undefined));
    const kafka = new KafkaClient("127.0.0.1", relay.port, { reconnectBackoffMs: 1, reconnectBackoffMaxMs: 4, requestTimeoutMs: 5_000 });
    const trialProduces: Produce[] = [];
    /** Sent produces no confirm() call has resolved for or named yet. */
    let uncovered: Produce[] = [];
    const confirmCovered = async (what: "confirm()" | "close()") => {
      const covered = uncovered;
      uncovered = [];
      try {
        await (what === "confirm()" ? kafka.confirm() : kafka.close());
        stats.confirmsResolved++;
        for (const produce of covered) if (produce.named === 0) produce.confirmed = true;
      } catch (error) {
        recordNotConfirmed(trial, what, error, trialProduces);
        // What the error did not name is still pending: a later confirm() covers it or names it.
        uncovered = [...covered.filter((p) => p.named === 0), ...uncovered];
      }
    };

    const batches = large ? 3 : random.int(2, 6);
    for (let batch = 0; batch < batches; batch++) {
      const texts = Array.from({ length: large ? 8 : random.int(1, 5) }, (_, i) => `${trial}.${batch}.${i}`);
      // A large message carries its text as a prefix of a 500 KB payload.
      const payload = (text: string) => (large ? Buffer.concat([Buffer.from(`${text}|`), LARGE_PAYLOAD]) : text);
      const request = new ProduceRequest(
        TOPIC,
        0,
        texts.map((t) => createMessage(payload(t))),
      );
      const produce: Produce = { request, texts, trial, sent: false, confirmed: false, named: 0 };
      produces.push(produce);
      trialProduces.push(produce);
      try {
        await kafka.sendMessageSet(produce.request);
        produce.sent = true;
        uncovered.push(produce);
      } catch (error) {
        stats.sendsRejected++;
        if (!(error instanceof K07Error)) problems.push(`trial ${trial}: sendMessageSet rejected with ${describeError(error)}, not a K07Error`);
      }
      if (large ? batch === batches - 1 : random.chance(0.6)) await confirmCovered("confirm()");
    }
    await confirmCovered("close()");
    stats.cuts += relay.cuts;
    stats.connections += relay.connections;
    await relay.close();
  }

  // What the broker holds, read directly (not through the relay).
  const reader = new KafkaClient(broker.host, broker.port);
  const inLog = new Map<string, number>();
  for await (const message of reader.iterMessages(new FetchRequest(TOPIC, 0, 0, 1024 * 1024))) {
    const text = message.payloadLength > 100 ? message.text().slice(0, message.text().indexOf("|")) : message.text();
    inLog.set(text, (inLog.get(text) ?? 0) + 1);
  }
  await reader.close();

  for (const produce of produces) {
    const at = `trial ${produce.trial}, request [${produce.texts.join(" ")}]`;
    const copies = produce.texts.map((t) => inLog.get(t) ?? 0);
    if (copies.some((n) => n > 1)) problems.push(`${at}: in the log more than once (${copies.join(",")})`);
    if (!produce.sent) {
      if (copies.some((n) => n > 0)) problems.push(`${at}: its send was rejected, yet it is in the log`);
      continue;
    }
    if (produce.named > 1) problems.push(`${at}: named by ${produce.named} ProduceNotConfirmedErrors`);
    if (produce.confirmed && produce.named > 0) problems.push(`${at}: covered by a resolved confirm, yet named as not confirmed`);
    if (!produce.confirmed && produce.named === 0) problems.push(`${at}: sent, never confirmed, and named by no error (forgotten)`);
    if (produce.confirmed && copies.some((n) => n !== 1)) problems.push(`${at}: confirmed, but in the log ${copies.join(",")} times`);
    // A partly applied request would mean the broker appended a torn message set.
    if (new Set(copies).size > 1) problems.push(`${at}: only part of the request is in the log (${copies.join(",")})`);
  }

  console.log(`cut-connections (seed ${seed}): ${JSON.stringify({ trials: TRIALS, produces: produces.length, ...stats })}`);
  expect({ seed, problems: problems.slice(0, 20), count: problems.length }).toEqual({ seed, problems: [], count: 0 });
  // The trials exercised both outcomes (a suite that never cut would pass vacuously).
  expect({ seed, cuts: stats.cuts >= TRIALS / 2, notConfirmed: stats.notConfirmed > 10, confirmed: stats.confirmsResolved > 10 }).toEqual({
    seed,
    cuts: true,
    notConfirmed: true,
    confirmed: true,
  });
}, 120_000);
