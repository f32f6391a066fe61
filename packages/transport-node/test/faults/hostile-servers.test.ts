/**
 * Fault injection: hostile servers against the Node client. Each case runs the client in a child
 * process (its own RSS, and a stalled event loop cannot stall jest) against a fake server here, and
 * asserts a typed error (the named K07Error subclass), a settle time, the worst event-loop stall
 * the client's process saw, and its peak RSS growth. A child past three times its RSS bound or
 * 15 s is killed: the case then fails instead of taking the machine down.
 */
import type { Socket } from "node:net";
import { RequestType, createMessage, encodeFetchResponse, encodeMessages, encodeMultiFetchResponse } from "@k07/transport-node";
import { fakeServer, onEachRequest } from "../helpers/fake-server.ts";
import { emptyMessagesBombSet, gzipBombSet, nestedGzipSet } from "@k07/testing/hostile-payloads.ts";
import { SeededRandom, faultSeed } from "@k07/testing/seeded-random.ts";
import { WatchedChild, buildPackagesForChildren, mb } from "@k07/testing/watched-child.ts";

const seed = faultSeed("hostile-servers");
const MB = 1024 * 1024;
const TOPIC = "hostile";
/** Generous bounds: the defects they catch cost seconds and gigabytes. */
const SETTLE_LIMIT_MS = 10_000;
const STALL_LIMIT_MS = 1_000;
const GROWTH_LIMIT_BYTES = 200 * MB;
/** getMultiMessageSet asks for this many parts (client-child.mjs); each part has its own decompression budget. */
const MULTI_FETCH_PARTS = 2;

type Operation = "getMessageSet" | "getMultiMessageSet" | "iterMessages" | "getOffsets" | "produceThenConfirm";

/** What a server does with its n-th connection. */
type Serve = (socket: Socket, connection: number) => void;

interface HostileServer {
  /** Makes the server's behaviour (building its payload before the client starts). */
  readonly serve: () => Serve;
  /** The client operations run against it (each in its own child process). */
  readonly operations: readonly Operation[];
  /** The error class names accepted; "any K07Error" for random input, where several are right. */
  readonly expected: readonly string[] | "any K07Error";
  /** Runs of the operation, each with a fresh client (random cases vary per connection). */
  readonly repeat?: number;
  readonly clientOptions?: Record<string, unknown>;
  /** Extra facts the error must carry. */
  readonly names?: { readonly context?: boolean; readonly requests?: number };
}

const int32 = (n: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(n);
  return bytes;
};
/** Answers every request with the same response. */
const answerEvery = (response: () => Uint8Array) => (): Serve => {
  const bytes = response();
  return (socket) => onEachRequest(socket, () => socket.write(bytes));
};
const fetchAnswer = (messageSet: Uint8Array) => encodeFetchResponse({ errorCode: 0, messageSet });
/** Answers every Fetch, and every part of every MultiFetch, with the same message set. */
const answerFetches = (messageSet: () => Uint8Array) => (): Serve => {
  const set = messageSet();
  const single = fetchAnswer(set);
  return (socket) =>
    onEachRequest(socket, (request) => {
      const view = Buffer.from(request.buffer, request.byteOffset, request.byteLength);
      if (view.readInt16BE(0) !== RequestType.MultiFetch) return socket.write(single);
      const parts = Array.from({ length: view.readInt16BE(2) }, () => ({ errorCode: 0, messageSet: set }));
      return socket.write(encodeMultiFetchResponse(parts));
    });
};
const textSet = (...texts: string[]) => encodeMessages(texts.map((t) => createMessage(t)));

/** A message set whose second message has one payload byte flipped after its CRC was computed. */
function crcCorruptSet(): Uint8Array {
  const set = textSet("intact", "corrupted in transit");
  set[set.length - 1]! ^= 0x20;
  return set;
}

const cases: Record<string, HostileServer> = {
  "random bytes instead of a response": {
    serve: () => (socket, connection) => {
      const random = new SeededRandom(seed, 1000 + connection);
      onEachRequest(socket, () => socket.write(random.bytes(64 * 1024)));
    },
    operations: ["getMessageSet"],
    expected: "any K07Error",
    repeat: 20,
    clientOptions: { requestTimeoutMs: 500 },
  },
  "a correctly sized frame of random bytes": {
    serve: () => (socket, connection) => {
      const random = new SeededRandom(seed, 2000 + connection);
      onEachRequest(socket, () => {
        // Half the answers claim success (error code 0), so the random rest is decoded as messages or offsets.
        const body = random.bytes(random.int(2, 2048));
        if (random.chance(0.5)) body.fill(0, 0, 2);
        socket.write(Buffer.concat([int32(body.length), body]));
      });
    },
    operations: ["getMessageSet", "getOffsets"],
    expected: "any K07Error",
    repeat: 20,
    clientOptions: { requestTimeoutMs: 500 },
  },
  "a 2 GiB size prefix": {
    serve: answerEvery(() => Buffer.concat([int32(0x7fff_ffff), Buffer.alloc(1024 * 1024)])),
    operations: ["getMessageSet"],
    expected: ["FrameTooLargeError"],
  },
  "a frame truncated at a random byte, then closed": {
    serve: () => (socket, connection) => {
      const random = new SeededRandom(seed, 3000 + connection);
      const response = fetchAnswer(textSet("one", "two", "three"));
      onEachRequest(socket, () => socket.end(response.subarray(0, random.int(0, response.length - 1))));
    },
    operations: ["getMessageSet"],
    expected: ["ConnectionClosedError"],
    repeat: 10,
  },
  "a message whose CRC does not match": {
    serve: answerFetches(() => crcCorruptSet()),
    operations: ["getMessageSet", "iterMessages", "getMultiMessageSet"],
    expected: ["CrcError"],
    names: { context: true },
  },
  "a message length of 2 GiB in a response as long as the fetch size (the client grows the fetch, then gives up)": {
    // A full response may end in a big message, so the client doubles the fetch up to maxFetchBytes.
    serve: () => (socket) =>
      onEachRequest(socket, (request) => {
        const maxSize = Buffer.from(request.buffer, request.byteOffset, request.byteLength).readInt32BE(request.length - 4);
        socket.write(fetchAnswer(Buffer.concat([int32(0x7fff_fff0), Buffer.alloc(maxSize - 4)])));
      }),
    operations: ["getMessageSet"],
    expected: ["MessageTooLargeError"],
    names: { context: true },
  },
  "a message length beyond a response shorter than the fetch size": {
    // The broker sent all the segment holds, and it never stores part of a message.
    serve: answerFetches(() => Buffer.concat([int32(0x7fff_fff0), Buffer.alloc(100)])),
    operations: ["getMessageSet", "iterMessages"],
    expected: ["OffsetNotAtMessageBoundaryError"],
    names: { context: true },
  },
  "a gzip bomb: 1 GiB of zeros in a 1 MB wrapper": {
    serve: answerFetches(() => gzipBombSet(256)),
    operations: ["getMessageSet", "iterMessages", "getMultiMessageSet"],
    expected: ["DecompressionLimitError"],
    names: { context: true },
  },
  "object amplification: 6 M empty messages in a 117 KB wrapper": {
    serve: answerFetches(() => emptyMessagesBombSet(6_000_000)),
    operations: ["getMessageSet", "iterMessages", "getMultiMessageSet"],
    expected: ["DecompressionLimitError"],
    names: { context: true },
  },
  "nested wrappers: 1,000 wrappers of 60 MiB in a 216 KB wrapper": {
    serve: answerFetches(() => nestedGzipSet(1000)),
    operations: ["getMessageSet", "iterMessages"],
    // Refused as nesting deeper than 0.7 producers write (NestedCompressionError is a CompressionError), or over the budget.
    expected: ["CompressionError", "DecompressionLimitError"],
    names: { context: true },
  },
  "an Offsets answer with error code 3": {
    serve: answerEvery(() => Buffer.concat([int32(6), Buffer.from([0, 3]), int32(0)])),
    operations: ["getOffsets"],
    expected: ["WrongPartitionError"],
  },
  "a server that accepts but never answers": {
    serve: () => () => {},
    operations: ["getOffsets", "getMessageSet"],
    expected: ["TimeoutError"],
    clientOptions: { requestTimeoutMs: 300 },
  },
  "a server that never reads, then resets, while confirm() waits for the socket to drain": {
    serve: () => (socket) => {
      socket.pause();
      setTimeout(() => socket.resetAndDestroy(), 300);
    },
    operations: ["produceThenConfirm"],
    expected: ["ProduceNotConfirmedError"],
    names: { requests: 1 },
  },
};

/** What the child reports for one run of the operation. */
interface RunResult {
  readonly outcome: "resolved" | "rejected";
  readonly value?: number;
  readonly settleMs: number;
  /** The rejection as data: class name, whether a K07Error, message and the context it names. */
  readonly error?: Record<string, unknown>;
}

/** One line per case run, printed at the end: the worst stall and peak RSS of each case, to quote. */
const summary: string[] = [];
beforeAll(() => buildPackagesForChildren(), 120_000);
afterAll(() => console.log(`hostile servers (seed ${seed}):\n${summary.join("\n")}`));

const runs = Object.entries(cases).flatMap(([name, hostile]) => hostile.operations.map((operation) => [name, operation, hostile] as const));

test.each(runs)(
  "%s: %s fails with the expected typed error, in time, in bounded memory",
  async (name, operation, hostile) => {
    const server = await fakeServer(hostile.serve());
    const repeat = hostile.repeat ?? 1;
    const growthLimit = GROWTH_LIMIT_BYTES * (operation === "getMultiMessageSet" ? MULTI_FETCH_PARTS : 1);
    const child = new WatchedChild(
      "client-child.mjs",
      // produceThenConfirm sends 40 messages of 500 KB in one request: more than the socket buffers hold.
      { port: server.port, operation, repeat, topic: TOPIC, clientOptions: hostile.clientOptions, messages: 40, messageBytes: 500_000 },
      { killAboveGrowthBytes: 3 * growthLimit, deadlineMs: 1.5 * SETTLE_LIMIT_MS },
    );
    const results: RunResult[] = [];
    let done: Record<string, unknown> | undefined;
    for (let line = await child.next(); line !== undefined; line = await child.next()) {
      if (line.result !== undefined) results.push(line.result as RunResult);
      if (line.done !== undefined) done = line;
    }
    await server.close();

    const growth = child.growthBytes(Number(done?.peakRss ?? 0));
    const worstStallMs = Number(done?.worstStallMs ?? Number.NaN);
    const slowest = Math.max(0, ...results.map((r) => r.settleMs));
    const errors = results.map((r) => (r.outcome === "rejected" ? String(r.error!.name) : `resolved (${r.value})`));
    summary.push(
      `  ${name} [${operation}]: ` +
        (child.killed
          ? `KILLED at its ${child.killed} after ${child.killedAfterMs} ms (${results.length}/${repeat} runs settled), peak RSS growth ${mb(growth)}`
          : `${[...new Set(errors)].join(", ")}; slowest settle ${slowest} ms, worst stall ${worstStallMs} ms, peak RSS growth ${mb(growth)}`),
    );

    const acceptable = (r: RunResult) => {
      if (r.outcome !== "rejected" || r.error!.k07 !== true) return false;
      // Expected classes match as instanceof would: by the error's class or any class it extends.
      const classes = [String(r.error!.name), ...(r.error!.chain as string[])];
      if (hostile.expected !== "any K07Error" && !classes.some((name) => hostile.expected.includes(name))) return false;
      if (hostile.names?.context && (r.error!.topic !== TOPIC || r.error!.partition !== 0 || r.error!.offset === undefined)) return false;
      if (hostile.names?.requests !== undefined && r.error!.requestsNamed !== hostile.names.requests) return false;
      return true;
    };
    const verdict = (r: RunResult) => {
      if (acceptable(r)) return "as expected";
      if (r.outcome === "resolved") return `resolved with ${r.value}`;
      const { name, message, topic, partition, offset, requestsNamed } = r.error!;
      return `${String(name)}: ${String(message)} (naming ${JSON.stringify({ topic, partition, offset, requests: requestsNamed })})`;
    };
    expect({
      seed,
      killed: child.killed ?? "no",
      outcomes: results.map(verdict),
      slowestSettleMs: child.killed === undefined && slowest < SETTLE_LIMIT_MS ? "in time" : slowest,
      worstStallMs: worstStallMs < STALL_LIMIT_MS ? "in bound" : worstStallMs,
      peakRssGrowth: growth < growthLimit ? "in bound" : mb(growth),
    }).toEqual({
      seed,
      killed: "no",
      outcomes: Array.from({ length: repeat }, () => "as expected"),
      slowestSettleMs: "in time",
      worstStallMs: "in bound",
      peakRssGrowth: "in bound",
    });
  },
  60_000,
);
