/**
 * Client conformance scenarios, defined once and run by both runtimes: jest on Node
 * (packages/transport-node/test/conformance.test.ts) and `deno test` on Deno
 * (packages/transport-deno/test/conformance.test.ts), each against a real @k07/broker.
 * Runtime-neutral: no Node or Deno APIs, and a tiny assertion helper instead of a test library.
 */
import {
  ConnectionClosedError,
  CrcError,
  EncodedMessageSet,
  FetchRequest,
  KafkaClient,
  MessageTooLargeError,
  OffsetNotAtMessageBoundaryError,
  OffsetOutOfRangeError,
  OffsetRequest,
  ProduceNotConfirmedError,
  ProduceRequest,
  WrongPartitionError,
  createMessage,
  createMessageFromString,
  encodeMessages,
  type ClientOptions,
  type FetchedMessage,
} from "@k07/client";

/** What a runtime provides to the scenarios. */
export interface ScenarioContext {
  /** A client connected (lazily) to the broker under test. */
  client(options?: ScenarioClientOptions): KafkaClient;
  /** A topic name no other scenario uses. */
  topic(): string;
}

/** Client options the scenarios use (TLS settings differ per runtime and are not exercised here). */
export type ScenarioClientOptions = Omit<ClientOptions, "tls">;

export interface Scenario {
  readonly name: string;
  run(context: ScenarioContext): Promise<void>;
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${message}`);
}

export function checkEqual<T>(actual: T, expected: T, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

export async function checkRejects(promise: Promise<unknown>, type: abstract new (...args: never[]) => Error, what: string): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof type) return error;
    throw new Error(`${what}: expected ${type.name}, got ${String(error)}`, { cause: error });
  }
  throw new Error(`${what}: expected ${type.name}, but it succeeded`);
}

const texts = (messages: readonly FetchedMessage[]) => messages.map((m) => m.text());

async function withClient(context: ScenarioContext, body: (kafka: KafkaClient) => Promise<void>, options?: ScenarioClientOptions): Promise<void> {
  const kafka = context.client(options);
  try {
    await body(kafka);
  } finally {
    await kafka.close().catch(() => {});
  }
}

export const scenarios: readonly Scenario[] = [
  {
    name: "sendMessagesSimple then getMessageSet returns the messages and the advanced next request",
    run: (ctx) =>
      withClient(ctx, async (kafka) => {
        const topic = ctx.topic();
        await kafka.sendMessagesSimple(topic, 0, "some message", "another message");
        await kafka.confirm();
        const request = new FetchRequest(topic, 0, 0, 1024 * 1024);
        const [messages, next] = await kafka.getMessageSet(request);
        checkEqual(texts(messages), ["some message", "another message"], "payloads");
        checkEqual(
          messages.map((m) => [m.offset, m.nextOffset, m.magic, m.compression]),
          [
            [0, 22, 1, 0],
            [22, 47, 1, 0],
          ],
          "offsets",
        );
        checkEqual([next.topic, next.partition, next.offset, next.maxSize], [topic, 0, 47, 1024 * 1024], "next request");
        check(request.offset === 0, "the request is immutable");
        const [none, same] = await kafka.getMessageSet(next);
        checkEqual([none.length, same.offset], [0, 47], "at the end of the log");
      }),
  },
  {
    name: "payloads are views into the received bytes, not copies",
    run: (ctx) =>
      withClient(ctx, async (kafka) => {
        const topic = ctx.topic();
        await kafka.sendMessagesSimple(topic, 0, new Uint8Array([1, 2, 3]), "four", new Uint8Array(0));
        await kafka.confirm();
        const [messages] = await kafka.getMessageSet(new FetchRequest(topic, 0, 0, 4096));
        checkEqual(
          messages.map((m) => Array.from(m.payload)),
          [[1, 2, 3], [102, 111, 117, 114], []],
          "payload bytes",
        );
        const buffer = messages[0]!.payload.buffer;
        check(
          messages.every((m) => m.payload.buffer === buffer),
          "every payload shares one received buffer",
        );
        check(messages[1]!.payload.byteOffset > messages[0]!.payload.byteOffset, "payloads are views at their positions");
      }),
  },
  {
    name: "sendMessageSet, sendMultiMessageSet and getMultiMessageSet",
    run: (ctx) =>
      withClient(ctx, async (kafka) => {
        const [a, b] = [ctx.topic(), ctx.topic()];
        await kafka.sendMessageSet(new ProduceRequest(a, 0, [createMessageFromString("a1"), createMessage("a2", { magic: 0 })]));
        await kafka.sendMultiMessageSet([
          new ProduceRequest(a, 0, [createMessageFromString("a3")]),
          new ProduceRequest(b, 0, [createMessageFromString("b1")]),
        ]);
        await kafka.confirm();
        const results = await kafka.getMultiMessageSet([new FetchRequest(a, 0, 0, 4096), new FetchRequest(b, 0, 0, 4096)]);
        checkEqual(
          results.map(([m]) => texts(m)),
          [["a1", "a2", "a3"], ["b1"]],
          "payloads per fetch",
        );
        checkEqual(
          results[0]![0].map((m) => m.magic),
          [1, 0, 1],
          "magic bytes",
        );
        checkEqual(
          results.map(([, next]) => next.offset),
          [12 + 11 + 12, 12],
          "next offsets",
        );
      }),
  },
  {
    name: "iterMessages pages through the log and stops at its end; auto=false reads one range",
    run: (ctx) =>
      withClient(ctx, async (kafka) => {
        const topic = ctx.topic();
        const sent = Array.from({ length: 300 }, (_, i) => `message ${i}`);
        for (let i = 0; i < sent.length; i += 50) await kafka.sendMessagesSimple(topic, 0, ...sent.slice(i, i + 50));
        await kafka.confirm();
        const seen: string[] = [];
        for await (const m of kafka.iterMessages(new FetchRequest(topic, 0, 0, 1000))) seen.push(m.text());
        checkEqual(seen, sent, "every message once, in order");
        const one: string[] = [];
        for await (const m of kafka.iterMessages(new FetchRequest(topic, 0, 0, 100), false)) one.push(m.text());
        // Each entry is 10 + 9 bytes: five whole ones fit in 100.
        checkEqual(one, sent.slice(0, 5), "only the first 100 bytes' whole messages");
      }),
  },
  {
    name: "a message larger than the fetch size grows the fetch; beyond maxFetchBytes it is a MessageTooLargeError",
    run: async (ctx) => {
      const topic = ctx.topic();
      const big = "x".repeat(50_000);
      await withClient(ctx, async (kafka) => {
        await kafka.sendMessagesSimple(topic, 0, "small", big, "after");
        await kafka.confirm();
        const seen: number[] = [];
        for await (const m of kafka.iterMessages(new FetchRequest(topic, 0, 0, 16))) seen.push(m.payloadLength);
        checkEqual(seen, [5, 50_000, 5], "every message, the big one included");
      });
      await withClient(
        ctx,
        async (kafka) => {
          const error = await checkRejects(kafka.getMessageSet(new FetchRequest(topic, 0, 15, 16)), MessageTooLargeError, "too large");
          const e = error as MessageTooLargeError;
          checkEqual([e.topic, e.partition, e.offset, e.size], [topic, 0, 15, 50_010], "what the error names");
        },
        { maxFetchBytes: 40_000 },
      );
    },
  },
  {
    name: "a fetch from inside a message is an OffsetNotAtMessageBoundaryError at every position, whatever the fetch size",
    run: (ctx) =>
      withClient(ctx, async (kafka) => {
        const topic = ctx.topic();
        await kafka.sendMessagesSimple(topic, 0, ...Array.from({ length: 50 }, (_, i) => `message number ${i}`));
        await kafka.confirm();
        // Each entry is 4 + 6 + 16 or 17 bytes; the first three end at 26, 52 and 78.
        const boundaries = [0, 26, 52, 78];
        checkEqual(
          (await kafka.getMessageSet(new FetchRequest(topic, 0, 0, 78)))[0].map((m) => m.offset),
          boundaries.slice(0, 3),
          "the entries' offsets",
        );
        // A fetch size of 1000 gets the rest of the small log (the length read there runs past it);
        // a fetch size of 40 gets a full response (a magic byte no message has, or a length that
        // runs past the log once the fetch grows to it).
        for (const maxSize of [1000, 40]) {
          for (let offset = 1; offset < 78; offset++) {
            if (boundaries.includes(offset)) continue;
            const error = await checkRejects(
              kafka.getMessageSet(new FetchRequest(topic, 0, offset, maxSize)),
              OffsetNotAtMessageBoundaryError,
              `offset ${offset}, fetch size ${maxSize}`,
            );
            const e = error as OffsetNotAtMessageBoundaryError;
            checkEqual([e.topic, e.partition, e.offset], [topic, 0, offset], "what the error names");
          }
        }
        const iterated = kafka.iterMessages(new FetchRequest(topic, 0, 5, 1000))[Symbol.asyncIterator]();
        await checkRejects(iterated.next(), OffsetNotAtMessageBoundaryError, "iterMessages from offset 5");
        // The log's end is a boundary too: nothing there, no error.
        const [atEnd] = await kafka.getMessageSet(new FetchRequest(topic, 0, (await kafka.getOffsets(new OffsetRequest(topic, 0, -1, 1)))[0]!, 1000));
        checkEqual(atEnd.length, 0, "nothing at the end");
      }),
  },
  {
    name: "getOffsets lists segment boundaries newest first; latestOffset and earliestOffset",
    run: (ctx) =>
      withClient(ctx, async (kafka) => {
        const topic = ctx.topic();
        await kafka.sendMessagesSimple(topic, 0, "a", "b");
        await kafka.confirm();
        checkEqual(await kafka.getOffsets(new OffsetRequest(topic, 0, -1, 10)), [22, 0], "latest");
        checkEqual(await kafka.getOffsets(new OffsetRequest(topic, 0, -2, 10)), [0], "earliest");
        checkEqual([await kafka.latestOffset(topic, 0), await kafka.earliestOffset(topic, 0)], [22, 0], "helpers");
        checkEqual(await kafka.getOffsets(new OffsetRequest(ctx.topic(), 0, -1, 10)), [0], "a topic with no log");
      }),
  },
  {
    name: "10,000 pipelined requests are answered in order",
    run: (ctx) =>
      withClient(ctx, async (kafka) => {
        const topic = ctx.topic();
        const sends: Promise<void>[] = [];
        for (let i = 0; i < 100; i++) sends.push(kafka.sendMessagesSimple(topic, 0, `m${i}`));
        await Promise.all(sends);
        await kafka.confirm();
        const offsets: number[] = [];
        let position = 0;
        for (let i = 0; i < 100; i++) {
          offsets.push(position);
          position += 10 + `m${i}`.length;
        }
        const fetches = Array.from({ length: 10_000 }, (_, i) => kafka.getMessageSet(new FetchRequest(topic, 0, offsets[i % 100]!, 12)));
        const results = await Promise.all(fetches);
        for (let i = 0; i < results.length; i++) {
          const [messages] = results[i]!;
          if (messages[0]?.text() !== `m${i % 100}`) throw new Error(`response ${i} is ${messages[0]?.text()}`);
        }
      }),
  },
  {
    name: "broker error codes become typed errors naming topic, partition and offset",
    run: (ctx) =>
      withClient(ctx, async (kafka) => {
        const topic = ctx.topic();
        await kafka.sendMessagesSimple(topic, 0, "x");
        await kafka.confirm();
        const outOfRange = await checkRejects(kafka.getMessageSet(new FetchRequest(topic, 0, 1000, 100)), OffsetOutOfRangeError, "offset");
        checkEqual([(outOfRange as OffsetOutOfRangeError).topic, (outOfRange as OffsetOutOfRangeError).offset], [topic, 1000], "context");
        await checkRejects(kafka.getMessageSet(new FetchRequest(topic, 7, 0, 100)), WrongPartitionError, "partition");
        // The connection survives broker errors.
        checkEqual(texts((await kafka.getMessageSet(new FetchRequest(topic, 0, 0, 100)))[0]), ["x"], "still usable");
      }),
  },
  {
    name: "confirm() after a produce the broker rejects names the request that may be lost; the next request reconnects",
    run: (ctx) =>
      withClient(ctx, async (kafka) => {
        const topic = ctx.topic();
        await kafka.sendMessagesSimple(topic, 0, "before");
        await kafka.confirm();
        const corrupt = encodeMessages([createMessageFromString("bad crc")]);
        corrupt[6]! ^= 0xff;
        const rejected = new ProduceRequest(topic, 0, new EncodedMessageSet(corrupt));
        await kafka.sendMessageSet(rejected);
        const error = await checkRejects(kafka.confirm(), ProduceNotConfirmedError, "confirm");
        check((error as ProduceNotConfirmedError).requests.includes(rejected), "the error names the rejected request");
        const [messages] = await kafka.getMessageSet(new FetchRequest(topic, 0, 0, 1000));
        checkEqual(texts(messages), ["before"], "nothing of the rejected produce was appended");
        await kafka.confirm();
      }),
  },
  {
    name: "iterMessages with follow sees new messages, and an AbortSignal ends it",
    run: (ctx) =>
      withClient(ctx, async (kafka) => {
        const topic = ctx.topic();
        const producer = ctx.client();
        const abort = new AbortController();
        const seen: string[] = [];
        const reading = (async () => {
          for await (const m of kafka.iterMessages(new FetchRequest(topic, 0, 0, 4096), true, { follow: true, pollMs: 10, signal: abort.signal })) {
            seen.push(m.text());
            if (seen.length === 3) abort.abort();
          }
        })();
        for (const text of ["one", "two", "three"]) {
          await producer.sendMessagesSimple(topic, 0, text);
          await new Promise((resolve) => setTimeout(resolve, 30));
        }
        await reading;
        await producer.close();
        checkEqual(seen, ["one", "two", "three"], "followed messages");
      }),
  },
  {
    name: "arguments are checked before anything is sent",
    run: async (ctx) => {
      const bad: [string, () => unknown][] = [
        ["illegal topic", () => new FetchRequest("a/b", 0, 0, 100)],
        ["maxSize 1..3", () => new FetchRequest("t", 0, 0, 3)],
        ["negative offset", () => new FetchRequest("t", 0, -1, 100)],
        ["unsafe offset", () => new FetchRequest("t", 0, 2 ** 53, 100)],
        ["fractional partition", () => new FetchRequest("t", 0.5, 0, 100)],
        ["partition -2", () => new ProduceRequest("t", -2, [])],
        ["neither a message nor a payload", () => new ProduceRequest("t", 0, [42 as never])],
        ["offsets time -3", () => new OffsetRequest("t", 0, -3, 1)],
      ];
      for (const [what, make] of bad) {
        let threw: unknown;
        try {
          make();
        } catch (error) {
          threw = error;
        }
        check(threw instanceof RangeError || threw instanceof TypeError, `${what} throws a RangeError or TypeError`);
      }
      await withClient(
        ctx,
        async (kafka) => {
          await checkRejects(kafka.sendMessagesSimple(ctx.topic(), 0, "x".repeat(101)), MessageTooLargeError, "payload over maxMessageSize");
        },
        { maxMessageSize: 100 },
      );
    },
  },
  {
    name: "close() confirms, is harmless twice, and later requests fail clearly",
    run: async (ctx) => {
      const kafka = ctx.client();
      const topic = ctx.topic();
      await kafka.sendMessagesSimple(topic, 0, "last words");
      await kafka.close();
      await kafka.close();
      await checkRejects(kafka.getOffsets(new OffsetRequest(topic, 0, -1, 1)), ConnectionClosedError, "after close");
      await withClient(ctx, async (other) => {
        checkEqual(texts((await other.getMessageSet(new FetchRequest(topic, 0, 0, 100)))[0]), ["last words"], "flushed before close");
      });
    },
  },
  {
    name: "a CRC mismatch is a CrcError (checked on the client), or skipped and counted with onCorrupt: skip",
    run: async () => {
      // The broker refuses corrupt produces, so the check is exercised on bytes the client decodes itself:
      // the codec's decoder is what getMessageSet uses.
      const { decodeMessageSet } = await import("@k07/client");
      const set = encodeMessages([createMessageFromString("a"), createMessageFromString("b")]);
      set[6]! ^= 0xff;
      let error: unknown;
      try {
        decodeMessageSet(set, { context: { topic: "t", partition: 0 } }).toArray();
      } catch (e) {
        error = e;
      }
      check(error instanceof CrcError && error.offset === 0, "CrcError at offset 0");
      const view = decodeMessageSet(set, { onCorrupt: "skip" });
      checkEqual([texts(view.toArray()), view.corruptSkipped], [["b"], 1], "skipped and counted");
    },
  },
];
