/** The client's connection logic, driven through a fake transport (no sockets). */
import {
  Backoff,
  ConnectionClosedError,
  FetchRequest,
  KafkaClient,
  OffsetRequest,
  ProduceNotConfirmedError,
  ProduceRequest,
  TimeoutError,
  WrongPartitionError,
  createMessage,
  encodeOffsetsResponse,
  type Transport,
  type TransportConnection,
  type TransportHandlers,
} from "@k07/client";

/** A transport whose connection records writes and lets the test deliver bytes and drains. */
class FakeTransport implements Transport {
  writes: Uint8Array[] = [];
  handlers: TransportHandlers | undefined;
  full = false;
  connects = 0;
  hang = false;

  connect(_target: unknown, handlers: TransportHandlers, signal: AbortSignal): Promise<TransportConnection> {
    this.connects++;
    this.handlers = handlers;
    if (this.hang) return new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
    return Promise.resolve({
      write: (bytes) => {
        this.writes.push(bytes);
        return !this.full;
      },
      end: async () => {},
      destroy: () => {},
    });
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

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

test("a connect that does not finish within connectTimeoutMs is a TimeoutError", async () => {
  const transport = new FakeTransport();
  transport.hang = true;
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport, connectTimeoutMs: 50 });
  await expect(kafka.getOffsets(new OffsetRequest("t", 0, -1, 1))).rejects.toThrow(TimeoutError);
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

test("the error says how many produces may be lost, where, and why", async () => {
  const transport = new FakeTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
  await kafka.sendMessageSet(produce("a"));
  await kafka.sendMessageSet(produce("b"));
  const confirming = kafka.confirm().then(() => new Error("confirmed"), (error: Error) => error);
  await tick();
  transport.handlers!.closed(new Error("reset by peer"));
  expect((await confirming).message).toBe("2 produce request(s) to 127.0.0.1:9092 may not have been applied: Connection to 127.0.0.1:9092 was closed: reset by peer");
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
