/**
 * iterMessages and getMessageSet over a fake broker log (no sockets): which fetches go out and when,
 * how iteration stops, how errors surface, and how long stretches of decoding make room for timers.
 */
import { getEventListeners } from "node:events";
import {
  CrcError,
  DecompressionLimitError,
  FetchRequest,
  KafkaClient,
  OffsetNotAtMessageBoundaryError,
  createCompressedMessage,
  createMessage,
  encodeMessages,
  sleep,
  type FetchedMessage,
  type KafkaClientOptions,
} from "@k07/client";
import { LogTransport, logOf, tick } from "./helpers/fake-transports.ts";

const clientOf = (transport: LogTransport, options: Omit<KafkaClientOptions, "transport"> = {}) =>
  new KafkaClient("127.0.0.1", 9092, { transport, ...options });

async function collect(stream: AsyncIterable<FetchedMessage>): Promise<FetchedMessage[]> {
  const messages: FetchedMessage[] = [];
  for await (const message of stream) messages.push(message);
  return messages;
}

/** Ten messages of 20-byte payloads: 30-byte entries (4 length, magic, attributes, 4 CRC, payload). */
const tenMessages = () => logOf(...Array.from({ length: 10 }, () => 20));

/** Two messages, "good" and "bad", the second changed to "bae" after its CRC was computed. */
function corruptLog(): Uint8Array {
  const log = encodeMessages([createMessage("good"), createMessage("bad")]);
  log[log.length - 1] = log.at(-1)! ^ 1;
  return log;
}

describe("paging", () => {
  test("each fetch asks for at most pageBytes, from where the last whole message ended, until one returns nothing", async () => {
    const { log, starts } = tenMessages();
    const transport = new LogTransport(log);
    const messages = await collect(clientOf(transport).iterMessages(new FetchRequest("t", 0, 0, 1000), true, { pageBytes: 64 }));
    expect(messages.map((m) => m.offset)).toEqual(starts);
    // A 64-byte page holds two 30-byte entries; the last fetch, at the end of the log, returns nothing.
    const pageStarts = [0, 2, 4, 6, 8].map((i) => starts[i]!);
    expect(transport.fetches).toEqual([...pageStarts, log.length].map((offset) => ({ offset, maxSize: 64 })));
  });

  test("pages are 256 KiB by default; a request smaller than a page is sent as it is", async () => {
    const { log } = tenMessages();
    const transport = new LogTransport(log);
    const kafka = clientOf(transport);
    await collect(kafka.iterMessages(new FetchRequest("t", 0, 0, 1024 * 1024)));
    await collect(kafka.iterMessages(new FetchRequest("t", 0, 0, 100)));
    expect(transport.fetches.map((f) => f.maxSize)).toEqual([256 * 1024, 256 * 1024, 100, 100, 100, 100, 100]);
  });

  test("one fetch runs ahead of the consumer, no more", async () => {
    const { log } = tenMessages();
    const transport = new LogTransport(log);
    const stream = clientOf(transport).iterMessages(new FetchRequest("t", 0, 0, 64));
    await stream.next();
    await tick();
    // The first page is being consumed; the second is fetched; the third waits for the consumer.
    expect(transport.fetches.map((f) => f.offset)).toEqual([0, 60]);
    await stream.next();
    await stream.next();
    await tick();
    expect(transport.fetches.map((f) => f.offset)).toEqual([0, 60, 120]);
  });

  test("auto false reads the one range requested, as requested", async () => {
    const { log, starts } = tenMessages();
    const transport = new LogTransport(log);
    const range = new FetchRequest("t", 0, starts[2]!, starts[5]! - starts[2]!);
    const messages = await collect(clientOf(transport).iterMessages(range, false));
    await tick();
    expect(messages.map((m) => m.offset)).toEqual(starts.slice(2, 5));
    expect(transport.fetches).toEqual([{ offset: starts[2], maxSize: starts[5]! - starts[2]! }]);
    // A range past the end of the log yields nothing, and is still fetched only once.
    const empty = new LogTransport(log);
    expect(await collect(clientOf(empty).iterMessages(new FetchRequest("t", 0, log.length, 1000), false))).toEqual([]);
    expect(empty.fetches).toHaveLength(1);
  });
});

describe("following the end of the log", () => {
  /** Fake timers: the polls are observed by advancing the clock, not by waiting. */
  async function withFakeTimers(run: () => Promise<void>): Promise<void> {
    jest.useFakeTimers({ doNotFake: ["nextTick", "queueMicrotask", "setImmediate"] });
    try {
      await run();
    } finally {
      jest.useRealTimers();
    }
  }

  /** The time between one fetch and the next. */
  const pollGaps = (transport: LogTransport) => transport.fetchedAt.slice(1).map((at, i) => at - transport.fetchedAt[i]!);

  test("polls wait pollMs, doubling up to pollMaxMs; new messages reset the wait; an abort ends the iteration", () =>
    withFakeTimers(async () => {
      const { log } = logOf(20, 20);
      const transport = new LogTransport(log);
      const abort = new AbortController();
      const stream = clientOf(transport).iterMessages(new FetchRequest("t", 0, 0, 1000), true, {
        follow: true,
        pollMs: 100,
        pollMaxMs: 300,
        signal: abort.signal,
      });
      const offsets: number[] = [];
      const following = collect(stream).then((messages) => messages.map((m) => m.offset));
      void following.then((all) => offsets.push(...all));
      await jest.advanceTimersByTimeAsync(1000);
      expect(pollGaps(transport)).toEqual([0, 100, 200, 300, 300]);
      transport.append(logOf(20).log);
      await jest.advanceTimersByTimeAsync(550);
      // The poll at 1,200 ms finds the new message; the waits start again from 100 ms.
      expect(pollGaps(transport)).toEqual([0, 100, 200, 300, 300, 300, 0, 100, 200]);
      abort.abort();
      expect(await following).toEqual([0, 30, 60]);
      await jest.advanceTimersByTimeAsync(5000);
      expect(pollGaps(transport)).toHaveLength(9);
    }));

  test("by default the waits start at 100 ms and double up to 5 s; return() ends the polling", () =>
    withFakeTimers(async () => {
      const transport = new LogTransport(new Uint8Array(0));
      const stream = clientOf(transport).iterMessages(new FetchRequest("t", 0, 0, 1000), true, { follow: true });
      const following = collect(stream);
      await jest.advanceTimersByTimeAsync(17_000);
      expect(pollGaps(transport)).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
      await stream.return!();
      await jest.advanceTimersByTimeAsync(10_000);
      expect(await following).toEqual([]);
      expect(pollGaps(transport)).toHaveLength(8);
    }));

  test("a pollMs above the default pollMaxMs is kept as the longest wait", () =>
    withFakeTimers(async () => {
      const transport = new LogTransport(new Uint8Array(0));
      const abort = new AbortController();
      const following = collect(
        clientOf(transport).iterMessages(new FetchRequest("t", 0, 0, 1000), true, { follow: true, pollMs: 8000, signal: abort.signal }),
      );
      await jest.advanceTimersByTimeAsync(25_000);
      expect(pollGaps(transport)).toEqual([8000, 8000, 8000]);
      abort.abort();
      await following;
    }));

  test("without follow, or with auto false, the end of the log ends the iteration", async () => {
    const transport = new LogTransport(new Uint8Array(0));
    const kafka = clientOf(transport);
    expect(await collect(kafka.iterMessages(new FetchRequest("t", 0, 0, 1000)))).toEqual([]);
    expect(await collect(kafka.iterMessages(new FetchRequest("t", 0, 0, 1000), false, { follow: true }))).toEqual([]);
    await tick();
    expect(transport.fetches).toHaveLength(2);
  });
});

describe("stopping", () => {
  test("a break stops the stream: nothing more is fetched and next() says done", async () => {
    const { log } = tenMessages();
    const transport = new LogTransport(log);
    const stream = clientOf(transport).iterMessages(new FetchRequest("t", 0, 0, 64));
    for await (const _ of stream) break;
    await tick();
    expect(transport.fetches).toHaveLength(2);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    await tick();
    expect(transport.fetches).toHaveLength(2);
  });

  test("an abort ends the iteration at the next message, also in the middle of a page", async () => {
    const { log } = tenMessages();
    const abort = new AbortController();
    const seen: number[] = [];
    for await (const message of clientOf(new LogTransport(log)).iterMessages(new FetchRequest("t", 0, 0, 1000), true, { signal: abort.signal })) {
      seen.push(message.offset);
      abort.abort();
    }
    expect(seen).toEqual([0]);
    const aborted = AbortSignal.abort();
    expect(await collect(clientOf(new LogTransport(log)).iterMessages(new FetchRequest("t", 0, 0, 1000), true, { signal: aborted }))).toEqual([]);
  });

  test("a failed fetch surfaces at the consumer, after the messages before it; then the stream is done", async () => {
    const { log } = logOf(20);
    // Behind the first entry, 30 bytes that cannot start a message: a length of 1.
    const transport = new LogTransport(Uint8Array.from([...log, 0, 0, 0, 1, ...new Uint8Array(26)]));
    const stream = clientOf(transport).iterMessages(new FetchRequest("t", 0, 0, 32));
    expect((await stream.next()).value?.offset).toBe(0);
    await expect(stream.next()).rejects.toThrow(OffsetNotAtMessageBoundaryError);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    await tick();
    expect(transport.fetches.map((f) => f.offset)).toEqual([0, 30]);
  });

  test("a message that fails to decode in the middle of a page ends the stream there", async () => {
    const log = Uint8Array.from([...corruptLog(), ...encodeMessages([createMessage("after")])]);
    const stream = clientOf(new LogTransport(log)).iterMessages(new FetchRequest("t", 0, 0, 1000));
    expect((await stream.next()).value?.text()).toBe("good");
    await expect(stream.next()).rejects.toThrow(CrcError);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  test("pageBytes below 4 is a RangeError naming it", () => {
    expect(() => clientOf(new LogTransport(new Uint8Array(0))).iterMessages(new FetchRequest("t", 0, 0, 100), true, { pageBytes: 3 })).toThrow(
      new RangeError("pageBytes must be in [4, 2147483647], got 3"),
    );
  });

  test("a message that fails to decode surfaces at the consumer; then the stream is done", async () => {
    const stream = clientOf(new LogTransport(corruptLog())).iterMessages(new FetchRequest("t", 0, 0, 1000));
    expect((await stream.next()).value?.text()).toBe("good");
    const error = await stream.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CrcError);
    expect(error).toMatchObject({ topic: "t", partition: 0 });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });
});

describe("the client's decoding options apply to every fetch", () => {
  test("onCorrupt skip leaves a message with a bad CRC out; verifyCrc false does not check", async () => {
    const fetch = new FetchRequest("t", 0, 0, 1000);
    const skipping = clientOf(new LogTransport(corruptLog()), { onCorrupt: "skip" });
    expect((await collect(skipping.iterMessages(fetch))).map((m) => m.text())).toEqual(["good"]);
    const [messages] = await clientOf(new LogTransport(corruptLog()), { verifyCrc: false }).getMessageSet(fetch);
    expect(messages.map((m) => m.text())).toEqual(["good", "bae"]);
  });
});

describe("room for timers and I/O while decoding", () => {
  /** A clock that advances 20 ms each time it is read: decoding looks slow, deterministically. */
  async function withSlowClock(run: () => Promise<void>): Promise<void> {
    let now = 0;
    const clock = jest.spyOn(performance, "now").mockImplementation(() => (now += 20));
    try {
      await run();
    } finally {
      clock.mockRestore();
    }
  }

  /** How many messages `consume` had received when a timer set before it ran, or undefined if it ran after. */
  async function messagesBeforeTimer(consume: (count: () => void) => Promise<void>): Promise<number | undefined> {
    let received = 0;
    let atTimer: number | undefined;
    let done = false;
    setTimeout(() => {
      if (!done) atTimer = received;
    }, 0);
    await consume(() => received++);
    done = true;
    return atTimer;
  }

  test("a long plain set is consumed in microtasks, with a timer turn after each 256 messages once 10 ms passed", () =>
    withSlowClock(async () => {
      const { log } = logOf(...Array.from({ length: 600 }, () => 1));
      const kafka = clientOf(new LogTransport(log));
      const atTimer = await messagesBeforeTimer(async (count) => {
        for await (const _ of kafka.iterMessages(new FetchRequest("t", 0, 0, 100_000))) count();
      });
      expect(atTimer).toBe(255);
    }));

  test("a compressed batch is inflated in slices, with timer turns between them", () =>
    withSlowClock(async () => {
      // 300 KiB inflated: more than one 256 KiB slice.
      const batch = createCompressedMessage(
        Array.from({ length: 300 }, () => createMessage(new Uint8Array(1024))),
        "gzip",
      );
      const kafka = clientOf(new LogTransport(encodeMessages([batch])));
      let count = 0;
      const atTimer = await messagesBeforeTimer(async (received) => {
        for await (const _ of kafka.iterMessages(new FetchRequest("t", 0, 0, 100_000))) {
          received();
          count++;
        }
      });
      expect(atTimer).toBe(0);
      expect(count).toBe(300);
    }));

  test("a batch over the decompression budget is a DecompressionLimitError at the consumer; then the stream is done", async () => {
    const batch = createCompressedMessage(
      Array.from({ length: 300 }, () => createMessage(new Uint8Array(1024))),
      "gzip",
    );
    const stream = clientOf(new LogTransport(encodeMessages([batch])), { maxDecompressedBytes: 100_000 }).iterMessages(
      new FetchRequest("t", 0, 0, 100_000),
    );
    await expect(stream.next()).rejects.toThrow(DecompressionLimitError);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    // Over the budget only after the first 256 KiB slice: the error comes from a later slice, the same way.
    const late = clientOf(new LogTransport(encodeMessages([batch])), { maxDecompressedBytes: 300_000 }).iterMessages(
      new FetchRequest("t", 0, 0, 100_000),
    );
    await expect(late.next()).rejects.toThrow(DecompressionLimitError);
    expect(await late.next()).toEqual({ done: true, value: undefined });
  });

  test("getMessageSet collects a big set in slices, with timer turns between them", () =>
    withSlowClock(async () => {
      // 600 messages of 1,000 bytes: about 600 KiB of work, three 256 KiB slices.
      const { log } = logOf(...Array.from({ length: 600 }, () => 1000));
      const kafka = clientOf(new LogTransport(log));
      let timerRan = false;
      setTimeout(() => (timerRan = true), 0);
      const [messages] = await kafka.getMessageSet(new FetchRequest("t", 0, 0, log.length));
      expect(timerRan).toBe(true);
      expect(messages).toHaveLength(600);
    }));
});

test("sleep resolves after its time, or at once when its signal aborts, and leaves no listener behind", async () => {
  const abort = new AbortController();
  const started = Date.now();
  await sleep(20, abort.signal);
  expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  expect(getEventListeners(abort.signal, "abort")).toHaveLength(0);
  const cut = sleep(60_000, abort.signal);
  expect(getEventListeners(abort.signal, "abort")).toHaveLength(1);
  abort.abort();
  await cut;
  const quick = Date.now();
  await sleep(60_000, AbortSignal.abort());
  expect(Date.now() - quick).toBeLessThan(1000);
});
