/** The client's connection logic, driven through a fake transport (no sockets). */
import fc from "fast-check";
import {
  Backoff,
  ConnectionClosedError,
  FetchRequest,
  KafkaClient,
  MessageTooLargeError,
  OffsetNotAtMessageBoundaryError,
  ClientConnection,
  FrameTooLargeError,
  MalformedError,
  OffsetOutOfRangeError,
  OffsetRequest,
  ProduceNotConfirmedError,
  ProduceRequest,
  TimeoutError,
  FrameDecoder,
  RequestType,
  WrongPartitionError,
  createMessage,
  crc32,
  EncodedMessageSet,
  decodeMessageSet,
  decodeRequest,
  resolveClientOptions,
  encodeFetchResponse,
  encodeMessages,
  encodeOffsetsResponse,
  type DecodedRequest,
  type Transport,
  type TransportConnection,
  type TransportHandlers,
} from "@k07/client";
import { FakeTransport, LogTransport, logOf, tick } from "./helpers/fake-transports.ts";

test("requests made in one tick are coalesced into one write", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
  const replies = Array.from({ length: 100 }, () => kafka.getOffsets(new OffsetRequest("t", 0, -1, 1)));
  await tick();
  expect(transport.writes).toHaveLength(1);
  expect(transport.writes[0]!.length).toBe(100 * 25);
  const response = encodeOffsetsResponse([7]);
  const all = new Uint8Array(response.length * 100);
  for (let i = 0; i < 100; i++) all.set(response, i * response.length);
  // Delivered in awkward chunks: frames are reassembled across them.
  for (let i = 0; i < all.length; i += 7) transport.handlers!.data(all.subarray(i, i + 7));
  expect(await Promise.all(replies)).toEqual(Array.from({ length: 100 }, () => [7]));
});

test("when the transport is full, sends wait for drain instead of queueing without bound", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
  transport.full = true;
  await kafka.sendMessagesSimple("t", 0, "first");
  await tick();
  let second = false;
  const pending = kafka.sendMessagesSimple("t", 0, "second").then(() => (second = true));
  await tick();
  expect(second).toBe(false);
  expect(transport.writes).toHaveLength(1);
  transport.full = false;
  transport.handlers!.drain();
  await pending;
  await tick();
  expect(transport.writes).toHaveLength(2);
});

test("a loop of awaited sends: the first goes out at once, the rest of the turn in one write; a request after them is not held back", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
  await kafka.sendMessagesSimple("t", 0, "warm-up"); // connects
  await tick();
  transport.writes = [];
  await kafka.sendMessagesSimple("t", 0, "first");
  await Promise.resolve();
  expect(transport.writes).toHaveLength(1); // no timer waited for: a lone send is not delayed
  const one = transport.writes[0]!.length;
  for (let i = 0; i < 50; i++) await kafka.sendMessagesSimple("t", 0, "later"); // same turn: queued
  expect(transport.writes).toHaveLength(1);
  const offsets = kafka.getOffsets(new OffsetRequest("t", 0, -1, 1));
  for (let i = 0; i < 20; i++) await Promise.resolve(); // microtasks only: no timer has run
  // The request that expects an answer goes out at once, with the 50 produces before it, in order.
  expect(transport.writes).toHaveLength(2);
  expect(transport.writes[1]!.length).toBe(50 * one + 25);
  transport.handlers!.data(encodeOffsetsResponse([1]));
  expect(await offsets).toEqual([1]);
});

test("queued produces past 1 MiB go out without waiting for the turn to end, as one writeMany where the transport has it", async () => {
  const transport = new FakeTransport();
  const batches: number[] = [];
  const connect = transport.connect.bind(transport);
  transport.connect = async (target, handlers, signal) => ({
    ...(await connect(target, handlers, signal)),
    writeMany: (chunks) => (batches.push(chunks.length), transport.writes.push(...chunks), true),
  });
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
  await kafka.sendMessagesSimple("t", 0, "warm-up");
  await tick();
  const payload = new Uint8Array(100_000);
  for (let i = 0; i < 12; i++) await kafka.sendMessagesSimple("t", 0, payload);
  // The first went out alone; 1 MiB of the next ten reached the transport in one call, still in this turn.
  expect(batches).toEqual([11]);
  await tick();
  expect(transport.writes.length).toBeGreaterThanOrEqual(13);
});

test("a connect that does not finish within connectTimeoutMs is a TimeoutError", async () => {
  const transport = new FakeTransport();
  transport.hang = true;
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport, connectTimeoutMs: 50 });
  const error = await kafka.getOffsets(new OffsetRequest("t", 0, -1, 1)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TimeoutError);
  expect((error as Error).message).toBe("Could not connect to 127.0.0.1:9092 within 50 ms");
});

test("a connect that finished in time is not aborted later", async () => {
  let signal: AbortSignal | undefined;
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, {
    connectTimeoutMs: 20,
    transport: {
      connect: (target, handlers, given) => {
        signal = given;
        return transport.connect(target, handlers, given);
      },
    },
  });
  await kafka.sendMessagesSimple("t", 0, "x");
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(signal?.aborted).toBe(false);
});

test("a response nobody asked for drops the connection after the answers that were due", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport, reconnectBackoffMs: 1 });
  const reply = kafka.getOffsets(new OffsetRequest("t", 0, -1, 1));
  await tick();
  const response = encodeOffsetsResponse([1]);
  const twice = new Uint8Array(response.length * 2);
  twice.set(response);
  twice.set(response, response.length);
  transport.handlers!.data(twice);
  expect(await reply).toEqual([1]);
  // The stream can no longer be trusted: the next request needs a new connection.
  const next = kafka.getOffsets(new OffsetRequest("t", 0, -1, 1));
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(transport.connects).toBe(2);
  transport.handlers!.data(response);
  expect(await next).toEqual([1]);
});

test("a dropped connection rejects pending requests; the next request opens a new connection", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport, reconnectBackoffMs: 1 });
  const reply = kafka.getMessageSet(new FetchRequest("t", 0, 0, 100));
  await tick();
  transport.handlers!.closed(new Error("reset by peer"));
  const error = await reply.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConnectionClosedError);
  expect((error as Error).message).toMatch(/127\.0\.0\.1:9092 was closed: reset by peer/);
  const again = kafka.getOffsets(new OffsetRequest("t", 0, -1, 1));
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(transport.connects).toBe(2);
  transport.handlers!.data(encodeOffsetsResponse([3]));
  expect(await again).toEqual([3]);
});

test("backoff doubles per failure with jitter, capped, and resets on success", () => {
  const backoff = new Backoff(100, 1000, () => 1);
  expect(backoff.delay()).toBe(0);
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    backoff.failed();
    delays.push(backoff.delay());
  }
  expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
  const low = new Backoff(100, 1000, () => 0);
  low.failed();
  expect(low.delay()).toBe(50);
  backoff.succeeded();
  expect(backoff.delay()).toBe(0);
});

test("the client resets its reconnect backoff after a connection succeeds", async () => {
  // Fake timers: the delays are observed by advancing the clock, not by waiting.
  jest.useFakeTimers({ doNotFake: ["nextTick", "queueMicrotask", "setImmediate"] });
  try {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport, reconnectBackoffMs: 1000, reconnectBackoffMaxMs: 60_000 });
    const offsets = () => kafka.getOffsets(new OffsetRequest("t", 0, -1, 1));
    // Three refused connects: the third failure would make the next wait 4–8 s if nothing reset it.
    transport.refuse = 3;
    for (let i = 0; i < 3; i++) {
      const refused = offsets().catch((error: unknown) => error);
      await jest.advanceTimersByTimeAsync(10_000);
      expect(await refused).toBeInstanceOf(Error);
    }
    const answered = offsets();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(transport.connects).toBe(4);
    transport.handlers!.data(encodeOffsetsResponse([5]));
    expect(await answered).toEqual([5]);
    // The connection that worked drops: one failure since the success, so the wait is 0.5–1 s.
    transport.handlers!.closed(new Error("reset by peer"));
    const again = offsets();
    await jest.advanceTimersByTimeAsync(499);
    expect(transport.connects).toBe(4);
    await jest.advanceTimersByTimeAsync(501);
    expect(transport.connects).toBe(5);
    transport.handlers!.data(encodeOffsetsResponse([6]));
    expect(await again).toEqual([6]);
  } finally {
    jest.useRealTimers();
  }
});

test("constructor arguments are checked", () => {
  const transport = new FakeTransport();
  expect(() => new KafkaClient("", 9092, { transport })).toThrow(TypeError);
  expect(() => new KafkaClient("h", 70000, { transport })).toThrow(RangeError);
  expect(() => new KafkaClient("h", 9092, {} as never)).toThrow(/needs a transport/);
  expect(() => new KafkaClient("h", 9092, { transport, requestTimeoutMs: -1 })).toThrow(RangeError);
});

/** What a confirm() settled with: "confirmed", or the requests its ProduceNotConfirmedError named. */
async function outcome(confirm: Promise<void>): Promise<"confirmed" | readonly unknown[]> {
  try {
    await confirm;
    return "confirmed";
  } catch (error) {
    if (!(error instanceof ProduceNotConfirmedError)) throw error;
    return error.requests;
  }
}

const produce = (text: string) => new ProduceRequest("t", 0, [createMessage(text)]);

test("the connection dropping while confirm() waits to write: confirm() names every produce it could not confirm", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport, reconnectBackoffMs: 1 });
  transport.full = true;
  const first = produce("first");
  await kafka.sendMessageSet(first);
  await tick();
  // The transport is full: both the confirm and a second produce wait for it to drain.
  const confirmed = outcome(kafka.confirm());
  let secondError: unknown;
  const second = kafka.sendMessageSet(produce("second")).catch((error: unknown) => (secondError = error));
  await tick();
  transport.handlers!.closed(new Error("reset by peer"));
  expect(await confirmed).toEqual([first]);
  await second;
  // The second produce was never written: its own send rejects, and no confirm names it.
  expect(secondError).toBeInstanceOf(ConnectionClosedError);
  expect(await outcome(kafka.confirm())).toBe("confirmed");
});

test("a producer that never confirms is not kept in memory: every 256 produces a checkpoint proves them applied", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport, reconnectBackoffMs: 1 });
  const sent = Array.from({ length: 600 }, (_, i) => produce(`m${i}`));
  for (const request of sent) await kafka.sendMessageSet(request);
  await tick();
  // What the client wrote: 600 produces and, behind the 256th and the 512th, an Offsets request for 0 offsets.
  const decoder = new FrameDecoder();
  for (const bytes of transport.writes) decoder.push(bytes);
  const kinds: number[] = [];
  for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) kinds.push(decodeRequest(frame).type);
  const checkpoints = kinds.flatMap((kind, at) => (kind === RequestType.Offsets ? [at] : []));
  expect(checkpoints).toEqual([256, 513]);
  // The broker answers both; then the connection drops. Only what followed the last checkpoint can be lost.
  transport.handlers!.data(encodeOffsetsResponse([]));
  transport.handlers!.data(encodeOffsetsResponse([]));
  transport.handlers!.closed(new Error("reset by peer"));
  expect(await outcome(kafka.confirm())).toEqual(sent.slice(512));
});

test("1 MiB of produces since the last checkpoint also make the connection send one", async () => {
  const transport = new FakeTransport();
  // No broker checks the CRCs here: a constant one saves hashing.
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport, crc32: () => 0 });
  // Four produce frames of exactly 256 KiB each (27 bytes of framing, topic and entry header).
  const payload = new Uint8Array(256 * 1024 - 27);
  const sent = Array.from({ length: 4 }, () => new ProduceRequest("t", 0, [createMessage(payload)]));
  for (const request of sent.slice(0, 3)) await kafka.sendMessageSet(request);
  await tick();
  expect(transport.writes.map((w) => w.length)).toEqual([256 * 1024, 256 * 1024, 256 * 1024]);
  await kafka.sendMessageSet(sent[3]!);
  await tick();
  const checkpoint = transport.writes.at(-1)!;
  expect([transport.writes.length, decodeRequest(checkpoint.subarray(4)).type]).toEqual([5, RequestType.Offsets]);
  transport.handlers!.data(encodeOffsetsResponse([]));
  transport.handlers!.closed(new Error("reset by peer"));
  expect(await outcome(kafka.confirm())).toBe("confirmed");
});

test("a loop of awaited sends to a transport that takes every write at once still lets the event loop turn after each MiB", async () => {
  // A socket to a fast reader never says "full": without this, the loop would run in microtasks to
  // its end, and no timer, answer (a checkpoint's) or other connection of the process would run meanwhile.
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
  await kafka.sendMessagesSimple("t", 0, "warm-up");
  await tick();
  // What runs once the event loop has looked at I/O (on Node, where this runs).
  let timerRan = false;
  setImmediate(() => (timerRan = true));
  const payload = new Uint8Array(100_000);
  let sentBeforeTimer = 0;
  for (let i = 0; i < 40; i++) {
    await kafka.sendMessagesSimple("t", 0, payload);
    if (!timerRan) sentBeforeTimer++;
  }
  // The first send went out alone, the next ones in the same turn up to about 1 MiB; then the turn ended.
  expect(sentBeforeTimer).toBeGreaterThanOrEqual(10);
  expect(sentBeforeTimer).toBeLessThanOrEqual(12);
  await tick();
  expect(transport.writes.reduce((n, w) => n + w.length, 0)).toBeGreaterThan(40 * 100_000);
});

test("empty MultiProduces alone never make a checkpoint: there is nothing to apply and no topic to ask about", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
  for (let i = 0; i < 1100; i++) await kafka.sendMultiMessageSet([]);
  await tick();
  const decoder = new FrameDecoder();
  for (const bytes of transport.writes) decoder.push(bytes);
  let offsetsRequests = 0;
  for (let frame = decoder.next(); frame !== undefined; frame = decoder.next())
    if (decodeRequest(frame).type === RequestType.Offsets) offsetsRequests++;
  expect(offsetsRequests).toBe(0);
  expect(await outcome(kafka.confirm())).toBe("confirmed");
});

test("the error says how many produces may be lost, where, and why", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
  await kafka.sendMessageSet(produce("a"));
  await kafka.sendMessageSet(produce("b"));
  const confirming = kafka.confirm().then(
    () => new Error("confirmed"),
    (error: Error) => error,
  );
  await tick();
  transport.handlers!.closed(new Error("reset by peer"));
  expect((await confirming).message).toBe(
    "2 produce request(s) to 127.0.0.1:9092 may not have been applied: Connection to 127.0.0.1:9092 was closed: reset by peer after a Produce request for t",
  );
});

test("concurrent confirms name each lost produce exactly once, each the ones written before it", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport, reconnectBackoffMs: 1 });
  const first = produce("first");
  const second = produce("second");
  await kafka.sendMessageSet(first);
  const confirmsFirst = outcome(kafka.confirm());
  await kafka.sendMessageSet(second);
  const confirmsBoth = outcome(kafka.confirm());
  await tick();
  transport.handlers!.closed(new Error("reset by peer"));
  // The later confirm waits for the earlier one, so the earlier one names its produce first.
  expect(await confirmsBoth).toEqual([second]);
  expect(await confirmsFirst).toEqual([first]);
});

test("close() names what it could not confirm, and later confirms name nothing twice", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
  const request = produce("last words");
  await kafka.sendMessageSet(request);
  const closing = outcome(kafka.close());
  await tick();
  transport.handlers!.closed(new Error("reset by peer"));
  expect(await closing).toEqual([request]);
  expect(await outcome(kafka.confirm())).toBe("confirmed");
});

test("a response that does not decode rejects the request it answers and those behind it, and drops the connection", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport, reconnectBackoffMs: 1 });
  const answered = kafka.getOffsets(new OffsetRequest("t", 0, -1, 1));
  const malformed = kafka.getOffsets(new OffsetRequest("t", 0, -1, 1));
  const behind = kafka.getMessageSet(new FetchRequest("t", 0, 0, 100));
  await tick();
  // A good answer, then an Offsets response claiming 5 offsets but holding none.
  transport.handlers!.data(encodeOffsetsResponse([7]));
  transport.handlers!.data(Uint8Array.of(0, 0, 0, 6, 0, 0, 0, 0, 0, 5));
  expect(await answered).toEqual([7]);
  await expect(malformed).rejects.toThrow(/offset count 5 does not fit/);
  await expect(behind).rejects.toThrow(/offset count 5 does not fit/);
  const again = kafka.getOffsets(new OffsetRequest("t", 0, -1, 1));
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(transport.connects).toBe(2);
  transport.handlers!.data(encodeOffsetsResponse([3]));
  expect(await again).toEqual([3]);
});

test("an Offsets response with an error code is a typed BrokerError naming topic and partition", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
  const latest = kafka.latestOffset("t", 5);
  await tick();
  // size 6, error code 3 (WrongPartition), no offsets
  transport.handlers!.data(Uint8Array.of(0, 0, 0, 6, 0, 3, 0, 0, 0, 0));
  const error = await latest.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(WrongPartitionError);
  expect(error).toMatchObject({ topic: "t", partition: 5 });
});

test("a Fetch response with an error code is a typed BrokerError naming topic, partition and offset", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
  const fetched = kafka.getMessageSet(new FetchRequest("t", 2, 90, 100));
  await tick();
  transport.handlers!.data(encodeFetchResponse({ errorCode: 1, messageSet: new Uint8Array(0) }));
  const error = await fetched.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OffsetOutOfRangeError);
  expect(error).toMatchObject({ topic: "t", partition: 2, offset: 90 });
});

test("close() also names a produce that a send already under way wrote during the close", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
  transport.full = true;
  const first = produce("first");
  const during = produce("during");
  await kafka.sendMessageSet(first);
  await tick();
  // This send has its connection and waits for the transport to drain; close() is called meanwhile.
  const sending = kafka.sendMessageSet(during);
  await tick();
  const closing = outcome(kafka.close());
  transport.full = false;
  transport.handlers!.drain();
  await sending;
  await tick();
  transport.handlers!.closed(new Error("reset by peer"));
  expect(await closing).toEqual([first, during]);
});

test("a send racing close() is either refused or named by close(), never forgotten", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
  transport.full = true;
  await kafka.sendMessageSet(produce("first"));
  await tick();
  const closing = outcome(kafka.close());
  const late = produce("late");
  const sent = kafka.sendMessageSet(late).then(
    () => "sent",
    (error: unknown) => error,
  );
  await tick();
  transport.full = false;
  transport.handlers!.drain();
  await tick();
  transport.handlers!.data(encodeOffsetsResponse([])); // the answer to close()'s confirm
  const [lateResult, closed] = await Promise.all([sent, closing]);
  if (lateResult === "sent") expect(closed).toContain(late);
  else expect(lateResult).toBeInstanceOf(ConnectionClosedError);
});

/** One connection of a Wire: the requests written on it, in order, and which were answered. */
interface WireConnection {
  readonly handlers: TransportHandlers;
  readonly decoder: FrameDecoder;
  /** A produce's topic, or "confirm" for an Offsets request. */
  readonly written: string[];
  answered: number;
  full: boolean;
  dead: boolean;
}

/** A fake broker wire: records each connection's requests, answers confirms on demand, drops on demand. */
class Wire implements Transport {
  readonly connections: WireConnection[] = [];
  /** Produces a broker answered a confirm behind: they were applied. */
  readonly applied = new Set<string>();

  connect(_target: unknown, handlers: TransportHandlers): Promise<TransportConnection> {
    const connection: WireConnection = { handlers, decoder: new FrameDecoder(), written: [], answered: 0, full: false, dead: false };
    this.connections.push(connection);
    return Promise.resolve({
      write: (bytes) => {
        connection.decoder.push(bytes);
        for (let frame = connection.decoder.next(); frame !== undefined; frame = connection.decoder.next()) {
          const request = decodeRequest(frame);
          connection.written.push(request.type === RequestType.Produce ? request.topic : "confirm");
        }
        return !connection.full;
      },
      end: async () => {},
      destroy: () => void (connection.dead = true),
    });
  }

  get live(): WireConnection | undefined {
    const last = this.connections.at(-1);
    return last === undefined || last.dead ? undefined : last;
  }

  /** Answers the oldest unanswered confirm on the live connection; returns false if there is none. */
  answerOne(): boolean {
    const connection = this.live;
    if (connection === undefined) return false;
    const at = connection.written.findIndex((what, i) => what === "confirm" && i >= connection.answered);
    if (at < 0) return false;
    for (let i = connection.answered; i < at; i++) this.applied.add(connection.written[i]!);
    connection.answered = at + 1;
    connection.handlers.data(encodeOffsetsResponse([]));
    return true;
  }

  drop(): void {
    const connection = this.live;
    if (connection === undefined) return;
    connection.dead = true;
    connection.handlers.closed(new Error("cut"));
  }

  setFull(full: boolean): void {
    const connection = this.live;
    if (connection === undefined) return;
    connection.full = full;
    if (!full) connection.handlers.drain();
  }
}

test("whatever moment connections drop, every produce whose send resolved is confirmed or named by exactly one error (30 generated interleavings)", async () => {
  // fast-check prints the seed and path of a failing interleaving, to replay it with `{ seed, path }`.
  // Each step: < 30 send, < 45 confirm, < 65 answer a confirm, < 75 drop the connection, < 80 fill the transport, < 85 drain it, else wait.
  const steps = fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 10, maxLength: 60 });
  await fc.assert(
    fc.asyncProperty(steps, async (rolls) => {
      const wire = new Wire();
      const kafka = new KafkaClient("127.0.0.1", 9092, { transport: wire, reconnectBackoffMs: 1, reconnectBackoffMaxMs: 1 });
      const sent: string[] = [];
      const refused = new Set<string>();
      const confirms: { sentBefore: string[]; outcome: Promise<"confirmed" | readonly unknown[]> }[] = [];
      const sends: Promise<unknown>[] = [];
      for (const [step, roll] of rolls.entries()) {
        if (roll < 30) {
          const topic = `p${step}`;
          sends.push(
            kafka.sendMessageSet(new ProduceRequest(topic, 0, [createMessage("x")])).then(
              () => sent.push(topic),
              () => refused.add(topic),
            ),
          );
        } else if (roll < 45) {
          confirms.push({ sentBefore: [...sent], outcome: outcome(kafka.confirm()) });
        } else if (roll < 65) {
          wire.answerOne();
        } else if (roll < 75) {
          wire.drop();
        } else if (roll < 85) {
          wire.setFull(roll < 80);
        } else {
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        await tick();
      }
      // Let everything settle: the wire drains and answers every confirm, then the client closes.
      wire.setFull(false);
      const closing = outcome(kafka.close());
      const settled = Promise.all([...confirms.map((c) => c.outcome), closing, ...sends]);
      let done = false;
      const finish = () => void (done = true);
      void settled.then(finish, finish);
      while (!done) {
        wire.setFull(false);
        while (wire.answerOne());
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const outcomes = [...(await Promise.all(confirms.map((c) => c.outcome))), await closing];
      const namedBy = new Map<string, number[]>();
      outcomes.forEach((result, index) => {
        if (result === "confirmed") return;
        for (const request of result) {
          const topic = (request as ProduceRequest).topic;
          namedBy.set(topic, [...(namedBy.get(topic) ?? []), index]);
        }
      });
      for (const [topic, by] of namedBy) {
        expect([topic, by.length]).toEqual([topic, 1]);
        expect([topic, wire.applied.has(topic) || refused.has(topic)]).toEqual([topic, false]);
      }
      // Every produce sent is applied or named at the end; a confirm that resolved vouches for the
      // produces sent before it: applied, or named by an earlier confirm.
      for (const topic of sent) expect([topic, wire.applied.has(topic) || namedBy.has(topic)]).toEqual([topic, true]);
      confirms.forEach((confirm, index) => {
        if (outcomes[index] !== "confirmed") return;
        for (const topic of confirm.sentBefore) {
          const vouched = wire.applied.has(topic) || (namedBy.get(topic)?.[0] ?? Infinity) < index;
          expect([`confirm ${index}`, topic, vouched]).toEqual([`confirm ${index}`, topic, true]);
        }
      });
    }),
    { numRuns: 30 },
  );
});

describe("fetch sizes and offsets on the wire", () => {
  // An entry is 4 (length) + 1 (magic) + 4 (CRC) + payload bytes with magic 0, or one more with magic 1.
  test("a message bigger than the fetch size is fetched again with twice the size when that holds it", async () => {
    const { log } = logOf(140);
    const transport = new LogTransport(log);
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    const [messages, next] = await kafka.getMessageSet(new FetchRequest("t", 0, 0, 100));
    expect(transport.fetches).toEqual([
      { offset: 0, maxSize: 100 },
      { offset: 0, maxSize: 200 },
    ]);
    expect(messages.map((m) => m.payload.length)).toEqual([140]);
    expect(next.offset).toBe(log.length);
  });

  test("when twice is not enough the fetch grows straight to the size the message declares", async () => {
    const { log } = logOf(1000);
    const transport = new LogTransport(log);
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    await kafka.getMessageSet(new FetchRequest("t", 0, 0, 100));
    expect(transport.fetches.map((f) => f.maxSize)).toEqual([100, log.length]);
  });

  test("growth stops at maxFetchBytes with a MessageTooLargeError", async () => {
    const { log } = logOf(1000);
    const transport = new LogTransport(log);
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport, maxFetchBytes: 500 });
    const error = await kafka.getMessageSet(new FetchRequest("t", 0, 0, 100)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect(error).toMatchObject({ topic: "t", partition: 0, offset: 0, size: log.length, limit: 500 });
    expect(transport.fetches.map((f) => f.maxSize)).toEqual([100, 500]);
  });

  test("a response ending in part of a message advances the next offset past the whole messages only", async () => {
    const { log, starts } = logOf(10, 20, 30);
    const transport = new LogTransport(log);
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    // The fetch size cuts the third message 5 bytes in: those 5 bytes are not consumed.
    const [first, next] = await kafka.getMessageSet(new FetchRequest("t", 0, 0, starts[2]! + 5));
    expect(first.map((m) => m.payload.length)).toEqual([10, 20]);
    expect(next.offset).toBe(starts[2]);
    expect(next.maxSize).toBe(starts[2]! + 5);
    const [rest] = await kafka.getMessageSet(next);
    expect(rest.map((m) => m.payload.length)).toEqual([30]);
  });
});

describe("the first entry of a fetch response shows an offset inside a message", () => {
  const int32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  /** A magic-0 message whose CRC's first byte has its two low bits set, like a codec-3 attributes byte would. */
  const lookalike = (() => {
    for (let i = 0; ; i++) {
      const payload = new TextEncoder().encode(`m${i}`);
      if (((crc32(payload) >>> 24) & 3) === 3) return encodeMessages([createMessage(payload, { magic: 0 })]);
    }
  })();
  const fetchFirst = (log: readonly number[] | Uint8Array, maxSize = 100) =>
    new KafkaClient("127.0.0.1", 9092, { transport: new LogTransport(Uint8Array.from(log)) }).getMessageSet(new FetchRequest("t", 0, 0, maxSize));

  test.each([
    ["a length below the shortest message", [...int32(4), 0, 0, 0, 0, 0, 0], /a message length of 4/],
    ["fewer bytes than a length prefix, in a short response", [0, 0, 1], /only 3 byte\(s\) left in the segment, less than a length prefix/],
    ["an entry longer than a short response holds", [...int32(20), 0, 1, 2, 3, 4, 5], /a message of 20 bytes where the segment holds only 6 more/],
    ["a length prefix alone in a short response", int32(20), /a message of 20 bytes where the segment holds only 0 more/],
    ["magic byte 2", [...int32(6), 2, 0, 0, 0, 0, 0], /magic byte 2/],
    ["a magic-1 message without room for its attributes", [...int32(5), 1, 0, 0, 0, 0], /a magic-1 message of 5 bytes/],
    ["compression codec 3", [...int32(6), 1, 3, 0, 0, 0, 0], /compression codec 3/],
  ])("%s is an OffsetNotAtMessageBoundaryError", async (_what, log, message) => {
    const error = await fetchFirst(log).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OffsetNotAtMessageBoundaryError);
    expect((error as Error).message).toMatch(message);
    expect(error).toMatchObject({ topic: "t", partition: 0, offset: 0 });
  });

  test("what a 0.7 broker does store passes: the shortest messages of magic 0 and 1, and a magic-0 CRC byte like codec 3", async () => {
    const emptyCrc = [0, 0, 0, 0]; // CRC-32 of no bytes
    expect((await fetchFirst([...int32(5), 0, ...emptyCrc]))[0].map((m) => m.payload.length)).toEqual([0]);
    expect((await fetchFirst([...int32(6), 1, 0, ...emptyCrc]))[0].map((m) => m.payload.length)).toEqual([0]);
    expect((await fetchFirst(lookalike))[0]).toHaveLength(1);
  });

  test("an incomplete entry filling the whole fetch size may be a big message: the fetch grows", async () => {
    const log = encodeMessages([createMessage(new Uint8Array(50))]);
    const transport = new LogTransport(log);
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    const [messages] = await kafka.getMessageSet(new FetchRequest("t", 0, 0, 10));
    expect(messages).toHaveLength(1);
  });
});

/** The request frames a FakeTransport received, decoded. */
function writtenRequests(transport: FakeTransport): DecodedRequest[] {
  const decoder = new FrameDecoder();
  for (const bytes of transport.writes) decoder.push(bytes);
  const requests: DecodedRequest[] = [];
  for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) requests.push(decodeRequest(frame));
  return requests;
}

describe("what the connection writes", () => {
  /** A produce of topic "t" whose frame is `frameBytes` long: 27 bytes of framing, topic and entry header. */
  const produceOfFrame = (frameBytes: number) => new ProduceRequest("t", 0, [createMessage(new Uint8Array(frameBytes - 27))]);

  test("frames written in one tick are merged into one write up to 64 KiB; a larger burst goes frame by frame, uncopied", async () => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    await Promise.all([kafka.sendMessageSet(produceOfFrame(32 * 1024)), kafka.sendMessageSet(produceOfFrame(32 * 1024))]);
    await tick();
    expect(transport.writes.map((w) => w.length)).toEqual([64 * 1024]);
    await Promise.all([kafka.sendMessageSet(produceOfFrame(32 * 1024)), kafka.sendMessageSet(produceOfFrame(32 * 1024 + 1))]);
    await tick();
    expect(transport.writes.map((w) => w.length)).toEqual([64 * 1024, 32 * 1024, 32 * 1024 + 1]);
  });

  test("confirm() with nothing to confirm sends nothing; after only empty MultiProduces it has nothing to ask either", async () => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    await kafka.confirm();
    await kafka.sendMultiMessageSet([]);
    await kafka.confirm();
    await tick();
    expect(writtenRequests(transport).map((r) => r.type)).toEqual([RequestType.MultiProduce]);
  });

  test("confirm() asks for no offsets of partition 0 of the topic last produced to", async () => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    await kafka.sendMessageSet(new ProduceRequest("first", 3, [createMessage("a")]));
    await kafka.sendMultiMessageSet([new ProduceRequest("second", 1, [createMessage("b")]), new ProduceRequest("third", 1, [createMessage("c")])]);
    const confirming = kafka.confirm();
    await tick();
    expect(writtenRequests(transport).at(-1)).toEqual({ type: RequestType.Offsets, topic: "second", partition: 0, time: -1, maxNumOffsets: 0 });
    transport.handlers!.data(encodeOffsetsResponse([]));
    await confirming;
  });

  test("latestOffset and earliestOffset ask for one offset before time −1 and −2; an empty answer is offset 0", async () => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    const latest = kafka.latestOffset("t", 2);
    const earliest = kafka.earliestOffset("t", 2);
    await tick();
    expect(writtenRequests(transport)).toEqual([
      { type: RequestType.Offsets, topic: "t", partition: 2, time: -1, maxNumOffsets: 1 },
      { type: RequestType.Offsets, topic: "t", partition: 2, time: -2, maxNumOffsets: 1 },
    ]);
    transport.handlers!.data(encodeOffsetsResponse([]));
    transport.handlers!.data(encodeOffsetsResponse([]));
    expect([await latest, await earliest]).toEqual([0, 0]);
  });
});

describe("sendMessagesSimple", () => {
  test("payloads may be text, bytes or messages; the options form sets partition (default −1) and compression", async () => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    await kafka.sendMessagesSimple("t", 4, "text", Uint8Array.of(1, 2), createMessage("message"));
    await kafka.sendMessagesSimple({ topic: "u" }, "one", "two");
    await kafka.sendMessagesSimple({ topic: "v", partition: 1, compression: "gzip" });
    await kafka.sendMessagesSimple({ topic: "w", partition: 2, compression: "gzip" }, "zipped");
    await tick();
    const [plain, defaults, empty, zipped] = writtenRequests(transport) as Extract<DecodedRequest, { type: typeof RequestType.Produce }>[];
    expect([...decodeMessageSet(plain!.messageSet)].map((m) => m.text())).toEqual(["text", "\x01\x02", "message"]);
    expect(plain!.partition).toBe(4);
    expect([defaults!.topic, defaults!.partition, [...decodeMessageSet(defaults!.messageSet)].map((m) => m.text())]).toEqual([
      "u",
      -1,
      ["one", "two"],
    ]);
    expect([empty!.partition, empty!.messageSet.length]).toEqual([1, 0]);
    // One wrapper entry whose attributes byte (after the length and magic) says gzip; inside it the payload.
    expect([zipped!.partition, zipped!.messageSet[5]! & 3, [...decodeMessageSet(zipped!.messageSet)].map((m) => m.text())]).toEqual([
      2,
      1,
      ["zipped"],
    ]);
  });

  test("wrong arguments are TypeErrors, and nothing is sent", async () => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    await expect(kafka.sendMessagesSimple("t", "0" as never, "x")).rejects.toThrow(
      new TypeError("sendMessagesSimple(topic, partition, ...payloads) needs a partition number"),
    );
    await expect(kafka.sendMessagesSimple(null as never, 0)).rejects.toThrow(
      new TypeError("sendMessagesSimple needs a topic or { topic, partition, compression }"),
    );
    await expect(kafka.sendMessagesSimple(7 as never, 0)).rejects.toThrow(
      new TypeError("sendMessagesSimple needs a topic or { topic, partition, compression }"),
    );
    await expect(kafka.sendMessagesSimple("t", 0, null as never)).rejects.toThrow(
      new TypeError("messages[0] is not a message (use createMessage) or a payload (bytes or a string), got null"),
    );
    await expect(kafka.sendMessagesSimple("t", 0, "ok", 5 as never)).rejects.toThrow(
      new TypeError("messages[1] is not a message (use createMessage) or a payload (bytes or a string), got 5"),
    );
    await expect(kafka.sendMessagesSimple("t", 0, { payload: "not bytes" } as never)).rejects.toThrow(
      /messages\[0\] is not a message .*got an object/,
    );
    await expect(kafka.sendMessageSet({ topic: "t" } as never)).rejects.toThrow(new TypeError("sendMessageSet needs a ProduceRequest"));
    await expect(kafka.getMessageSet({} as never)).rejects.toThrow(new TypeError("getMessageSet needs a FetchRequest"));
    await expect(kafka.getOffsets({} as never)).rejects.toThrow(new TypeError("getOffsets needs an OffsetRequest"));
    expect(() => kafka.iterMessages({} as never)).toThrow(new TypeError("iterMessages needs a FetchRequest"));
    expect(transport.connects).toBe(0);
  });

  test("a payload over maxMessageSize is refused before anything is sent, in every produce of a MultiProduce", async () => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport, maxMessageSize: 10 });
    await kafka.sendMessagesSimple("t", 0, new Uint8Array(10));
    const tooBig = new ProduceRequest("big", 3, [createMessage("ok"), createMessage(new Uint8Array(11))]);
    const error = await kafka.sendMultiMessageSet([produce("fine"), tooBig]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect(error).toMatchObject({
      message: 'A payload of 11 bytes exceeds maxMessageSize 10; the broker would drop it silently (topic "big", partition 3)',
      topic: "big",
      partition: 3,
    });
    await expect(kafka.sendMessageSet(tooBig)).rejects.toThrow(MessageTooLargeError);
    // Pre-encoded bytes pass as they are: the client does not parse them.
    await kafka.sendMessageSet(new ProduceRequest("t", 0, new EncodedMessageSet(encodeMessages([createMessage(new Uint8Array(11))]))));
    await tick();
    expect(writtenRequests(transport)).toHaveLength(2);
  });
});

describe("getMultiMessageSet", () => {
  test("one result per fetch, in order; a part holding no whole message is fetched again alone, grown", async () => {
    const { log, starts } = logOf(10, 150, 10);
    const transport = new LogTransport(log);
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    const results = await kafka.getMultiMessageSet([new FetchRequest("a", 0, 0, 100), new FetchRequest("b", 0, starts[1]!, 100)]);
    expect(results.map(([messages, next]) => [messages.map((m) => m.payload.length), next.offset])).toEqual([
      [[10], starts[1]],
      [[150, 10], log.length],
    ]);
    expect(transport.requestTypes).toEqual([RequestType.MultiFetch, RequestType.Fetch]);
    expect(transport.fetches.at(-1)).toEqual({ offset: starts[1], maxSize: 200 });
  });

  test("a part already at maxFetchBytes that holds no whole message is a MessageTooLargeError, with no second request", async () => {
    const { log, starts } = logOf(10, 150);
    const transport = new LogTransport(log);
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport, maxFetchBytes: 100 });
    const parts = [new FetchRequest("a", 0, 0, 100), new FetchRequest("b", 0, starts[1]!, 100)];
    await expect(kafka.getMultiMessageSet(parts)).rejects.toThrow(MessageTooLargeError);
    expect(transport.requestTypes).toEqual([RequestType.MultiFetch]);
  });
});

describe("how a connection ends", () => {
  test("close() writes what is queued, waits for the answers due, then ends the transport cleanly", async () => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    const reply = kafka.getOffsets(new OffsetRequest("t", 0, -1, 1));
    await tick();
    let closed = false;
    const closing = kafka.close().then(() => (closed = true));
    await tick();
    expect(closed).toBe(false);
    transport.handlers!.data(encodeOffsetsResponse([4]));
    expect(await reply).toEqual([4]);
    await closing;
    expect([transport.ended, transport.destroyed]).toEqual([1, 0]);
    expect(transport.writes).toHaveLength(1);
    // close() again is the same promise; later requests fail clearly and open nothing.
    expect(kafka.close()).toBe(kafka.close());
    await expect(kafka.getOffsets(new OffsetRequest("t", 0, -1, 1))).rejects.toThrow(
      new ConnectionClosedError("The client for 127.0.0.1:9092 is closed"),
    );
    expect(transport.connects).toBe(1);
  });

  test("close() while the connection is being opened: nothing is written on it and it is closed", async () => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    const request = kafka.getOffsets(new OffsetRequest("t", 0, -1, 1));
    const closing = kafka.close();
    await expect(request).rejects.toThrow(new ConnectionClosedError("The client for 127.0.0.1:9092 is closed"));
    await closing;
    expect([transport.writes.length, transport.ended]).toEqual([0, 1]);
  });

  test("a connection that fails is dropped at once (destroyed, not ended)", async () => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    const reply = kafka.getOffsets(new OffsetRequest("t", 0, -1, 1));
    await tick();
    transport.handlers!.data(Uint8Array.of(0, 0, 0, 6, 0, 0, 0, 0, 0, 5));
    await expect(reply).rejects.toThrow(/offset count 5 does not fit/);
    expect([transport.ended, transport.destroyed]).toEqual([0, 1]);
  });

  test("each request has requestTimeoutMs from when it was sent; past it the connection is dropped", async () => {
    jest.useFakeTimers({ doNotFake: ["nextTick", "queueMicrotask", "setImmediate"] });
    try {
      const transport = new FakeTransport();
      const kafka = new KafkaClient("127.0.0.1", 9092, { transport, requestTimeoutMs: 1000 });
      const first = kafka.getOffsets(new OffsetRequest("t", 0, -1, 1));
      await jest.advanceTimersByTimeAsync(600);
      const second = kafka.getOffsets(new OffsetRequest("t", 0, -1, 1)).catch((error: unknown) => error);
      await jest.advanceTimersByTimeAsync(300);
      transport.handlers!.data(encodeOffsetsResponse([1]));
      expect(await first).toEqual([1]);
      // The second was sent at 600 ms: at 1,599 ms it still has time, at 1,600 ms it has none.
      await jest.advanceTimersByTimeAsync(699);
      expect(transport.destroyed).toBe(0);
      await jest.advanceTimersByTimeAsync(1);
      const timeout = await second;
      expect(timeout).toBeInstanceOf(TimeoutError);
      expect((timeout as Error).message).toBe("No response from 127.0.0.1:9092 within 1000 ms; the connection was dropped");
      expect(transport.destroyed).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });

  test("a deadline timer that fires after every answer came does nothing", async () => {
    jest.useFakeTimers({ doNotFake: ["nextTick", "queueMicrotask", "setImmediate"] });
    try {
      const transport = new FakeTransport();
      const kafka = new KafkaClient("127.0.0.1", 9092, { transport, requestTimeoutMs: 1000 });
      const answered = kafka.latestOffset("t", 0);
      await jest.advanceTimersByTimeAsync(0);
      transport.handlers!.data(encodeOffsetsResponse([1]));
      expect(await answered).toBe(1);
      await jest.advanceTimersByTimeAsync(5000);
      const again = kafka.latestOffset("t", 0);
      await jest.advanceTimersByTimeAsync(0);
      transport.handlers!.data(encodeOffsetsResponse([2]));
      expect([await again, transport.connects, transport.destroyed]).toEqual([2, 1, 0]);
    } finally {
      jest.useRealTimers();
    }
  });

  test("a transport that cannot connect: its reason is kept, whatever it threw", async () => {
    const refusing = (thrown: unknown): Transport => ({ connect: () => Promise.reject(thrown) });
    const cause = new Error("ECONNREFUSED");
    const error = await new KafkaClient("127.0.0.1", 9092, { transport: refusing(cause) })
      .getOffsets(new OffsetRequest("t", 0, -1, 1))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect((error as Error).message).toBe("Cannot connect to 127.0.0.1:9092: ECONNREFUSED");
    expect((error as Error).cause).toBe(cause);
    await expect(new KafkaClient("127.0.0.1", 9092, { transport: refusing("no route") }).latestOffset("t", 0)).rejects.toThrow(
      "Cannot connect to 127.0.0.1:9092: no route",
    );
  });

  test("a connection closed while it was being opened fails the request with why", async () => {
    const transport: Transport = {
      connect: async (_target, handlers) => {
        handlers.closed(new Error("closed at once"));
        return { write: () => true, end: async () => {}, destroy: () => {} };
      },
    };
    const error = await new KafkaClient("127.0.0.1", 9092, { transport }).latestOffset("t", 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect((error as Error).message).toBe("Connection to 127.0.0.1:9092 was closed: closed at once");
    expect(((error as Error).cause as Error).message).toBe("closed at once");
  });

  test("close() waits for every answer due, not just the first", async () => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    const first = kafka.latestOffset("t", 0);
    const second = kafka.latestOffset("t", 0);
    await tick();
    const closing = kafka.close();
    await tick();
    transport.handlers!.data(encodeOffsetsResponse([1]));
    await tick();
    transport.handlers!.data(encodeOffsetsResponse([2]));
    expect([await first, await second]).toEqual([1, 2]);
    await closing;
  });

  test("close() confirms the produces written: once the broker answers, it resolves", async () => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    await kafka.sendMessageSet(produce("applied"));
    const closing = outcome(kafka.close());
    await tick();
    expect(writtenRequests(transport).map((r) => r.type)).toEqual([RequestType.Produce, RequestType.Offsets]);
    transport.handlers!.data(encodeOffsetsResponse([]));
    expect(await closing).toBe("confirmed");
    expect(transport.ended).toBe(1);
  });

  test("close() after the connection failed, or while it fails, does not end the dropped transport", async () => {
    for (const failWhileClosing of [false, true]) {
      const transport = new FakeTransport();
      const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
      const reply = kafka.latestOffset("t", 0).catch((e: unknown) => e);
      await tick();
      if (!failWhileClosing) transport.handlers!.closed(new Error("reset"));
      const closing = kafka.close();
      await tick();
      if (failWhileClosing) transport.handlers!.closed(new Error("reset"));
      await closing;
      expect(await reply).toBeInstanceOf(ConnectionClosedError);
      expect([failWhileClosing, transport.ended, transport.destroyed]).toEqual([failWhileClosing, 0, 1]);
    }
  });

  test("a failed connection stays failed with its first error, is dropped once and leaves no timer", async () => {
    jest.useFakeTimers({ doNotFake: ["nextTick", "queueMicrotask", "setImmediate"] });
    try {
      const transport = new FakeTransport();
      const connection = await ClientConnection.open(transport, { host: "127.0.0.1", port: 9092 }, resolveClientOptions());
      const reply = connection.request(new OffsetRequest("t", 0, -1, 1)).catch((e: unknown) => e);
      await jest.advanceTimersByTimeAsync(0);
      expect(jest.getTimerCount()).toBe(1); // the request's deadline
      transport.handlers!.data(Uint8Array.of(0, 0, 0, 6, 0, 0, 0, 0, 0, 5));
      expect(await reply).toBeInstanceOf(MalformedError);
      expect(jest.getTimerCount()).toBe(0);
      transport.handlers!.closed(new Error("late"));
      expect([connection.failed, transport.destroyed]).toEqual([true, 1]);
      await expect(connection.request(new OffsetRequest("t", 0, -1, 1))).rejects.toThrow(/offset count 5 does not fit/);
      await expect(connection.produce(produce("x"))).rejects.toThrow(/offset count 5 does not fit/);
    } finally {
      jest.useRealTimers();
    }
  });

  test("a connection closed by the client refuses requests, saying so", async () => {
    const transport = new FakeTransport();
    const connection = await ClientConnection.open(transport, { host: "127.0.0.1", port: 9092 }, resolveClientOptions());
    await connection.close();
    await expect(connection.request(new OffsetRequest("t", 0, -1, 1))).rejects.toThrow(
      new ConnectionClosedError("Connection to 127.0.0.1:9092 was closed by the client"),
    );
    // The transport reporting its end afterwards changes nothing.
    transport.handlers!.closed();
    await expect(connection.produce(produce("x"))).rejects.toThrow("Connection to 127.0.0.1:9092 was closed by the client");
    expect([transport.ended, transport.destroyed]).toEqual([1, 0]);
  });
});

describe("what confirm() vouches for", () => {
  test("an answer to a request written before a produce says nothing about that produce", async () => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    const offsets = kafka.latestOffset("t", 0);
    await tick();
    const request = produce("after the offsets request");
    await kafka.sendMessageSet(request);
    transport.handlers!.data(encodeOffsetsResponse([3]));
    expect(await offsets).toBe(3);
    const confirming = outcome(kafka.confirm());
    await tick();
    transport.handlers!.closed(new Error("reset"));
    expect(await confirming).toEqual([request]);
  });

  test("confirm() with nothing to confirm resolves at once, even while the transport is full", async () => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    transport.full = true;
    const offsets = kafka.latestOffset("t", 0);
    await tick();
    expect(await outcome(kafka.confirm())).toBe("confirmed");
    transport.handlers!.data(encodeOffsetsResponse([3]));
    expect(await offsets).toBe(3);
  });
});

describe("frame limits", () => {
  test("a response frame over maxResponseBytes is a FrameTooLargeError; a request over maxRequestBytes a RangeError, and nothing is sent", async () => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport, maxResponseBytes: 50, maxRequestBytes: 100 });
    await expect(kafka.sendMessagesSimple("t", 0, new Uint8Array(100))).rejects.toThrow(RangeError);
    const fetched = kafka.getMessageSet(new FetchRequest("t", 0, 0, 1000));
    await tick();
    transport.handlers!.data(encodeFetchResponse({ errorCode: 0, messageSet: encodeMessages([createMessage(new Uint8Array(60))]) }));
    await expect(fetched).rejects.toThrow(FrameTooLargeError);
    expect(writtenRequests(transport).map((r) => r.type)).toEqual([RequestType.Fetch]);
  });
});

describe("a close names the request it most likely answers", () => {
  const closedError = async (send: (kafka: KafkaClient) => Promise<unknown>, reason?: Error): Promise<string> => {
    const transport = new FakeTransport();
    const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
    const sent = send(kafka).then(
      () => kafka.confirm(),
      (error: unknown) => Promise.reject(error),
    );
    const settled = sent.then(
      () => "no error",
      (error: Error) => error.message,
    );
    await tick();
    transport.handlers!.closed(reason);
    return settled;
  };
  const reset = new Error("reset");

  test.each([
    ["a Fetch", (kafka: KafkaClient) => kafka.getMessageSet(new FetchRequest("f", 0, 0, 100)), "a Fetch request for f"],
    [
      "a MultiFetch",
      (kafka: KafkaClient) =>
        kafka.getMultiMessageSet([new FetchRequest("a", 0, 0, 100), new FetchRequest("b", 0, 0, 100), new FetchRequest("a", 1, 0, 100)]),
      "a MultiFetch request for a, b",
    ],
    ["an Offsets", (kafka: KafkaClient) => kafka.latestOffset("o", 0), "an Offsets request for o"],
    ["a Produce", (kafka: KafkaClient) => kafka.sendMessageSet(produce("x")), "a Produce request for t"],
    [
      "a MultiProduce",
      (kafka: KafkaClient) => kafka.sendMultiMessageSet([produce("x"), new ProduceRequest("u", 0, [createMessage("y")])]),
      "a MultiProduce request for t, u",
    ],
  ])("%s request", async (_kind, send, named) => {
    expect(await closedError(send, reset)).toMatch(`Connection to 127.0.0.1:9092 was closed: reset after ${named}`);
  });

  test("a produce written before the oldest unanswered request is named, since the broker may have closed on it", async () => {
    const message = await closedError(async (kafka) => {
      await kafka.sendMessageSet(new ProduceRequest("bad", 0, [createMessage("x")]));
      await kafka.latestOffset("o", 0);
    }, reset);
    expect(message).toBe("Connection to 127.0.0.1:9092 was closed: reset after a Produce request for bad");
  });

  test("a close without an error, after a request: the broker (or a proxy) refused it", async () => {
    expect(await closedError((kafka) => kafka.latestOffset("o", 0))).toBe(
      "Connection to 127.0.0.1:9092 was closed by the broker (or a proxy in front of it) after an Offsets request for o: " +
        "a 0.7 broker closes the connection on an invalid produce or on Offsets for a partition it does not have, a proxy on a request its allow lists deny",
    );
  });
});
