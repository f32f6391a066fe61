/**
 * Hostile compressed fetch responses, from a fake server: one
 * decompression budget per fetch response, nesting refused, and no long event-loop stall while a
 * big legitimate wrapper is decoded by `getMessageSet` or `iterMessages`.
 */
import {
  Compression,
  DecompressionLimitError,
  FetchRequest,
  KafkaClient,
  NestedCompressionError,
  createGzipMessage,
  createMessage,
  encodeFetchResponse,
  encodeMessages,
  gzipCodec,
  type Message,
} from "@k07/transport-node";
import { emptyMessageSet } from "@k07/testing/hostile.ts";
import { fakeServer, onEachRequest } from "./helpers/fake-server.ts";

/** Runs `consume` against a fake server holding `messageSet`, fetching from offset 1000 of t/2. */
async function against<T>(messageSet: Uint8Array, consume: (client: KafkaClient, fetch: FetchRequest) => Promise<T>): Promise<T> {
  // The first fetch gets `messageSet`, every later one an empty set.
  let answered = false;
  const server = await fakeServer((socket) =>
    onEachRequest(socket, () => {
      socket.write(encodeFetchResponse({ errorCode: 0, messageSet: answered ? new Uint8Array(0) : messageSet }));
      answered = true;
    }),
  );
  const client = new KafkaClient("127.0.0.1", server.port);
  try {
    return await consume(client, new FetchRequest("t", 2, 1000, 4 * 1024 * 1024));
  } finally {
    await client.close().catch(() => {});
    await server.close();
  }
}

const ways = {
  getMessageSet: async (client: KafkaClient, fetch: FetchRequest) => (await client.getMessageSet(fetch))[0].length,
  iterMessages: async (client: KafkaClient, fetch: FetchRequest) => {
    let count = 0;
    for await (const _ of client.iterMessages(fetch)) count++;
    return count;
  },
};

/** What consuming comes to: the message count, or the error. */
async function settle(promise: Promise<number>): Promise<number | Error> {
  try {
    return await promise;
  } catch (error) {
    return error as Error;
  }
}

/** 48 MiB of legitimate messages in one gzip wrapper (built once: compressing it takes seconds). */
let legitimate: Uint8Array | undefined;
function legitimateSet(): Uint8Array {
  const filler = (seed: number): Message => {
    const payload = new Uint8Array(64 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i % 251) ^ seed;
    return createMessage(payload);
  };
  return (legitimate ??= encodeMessages([createGzipMessage(Array.from({ length: 768 }, (_, i) => filler(i & 0xff)))]));
}

describe.each(Object.entries(ways))("%s", (_name, consume) => {
  test("a wrapper holding a wrapper is refused with NestedCompressionError naming topic, partition and offset", async () => {
    const plain = encodeMessages([createMessage("plain")]);
    const nested = createGzipMessage([createGzipMessage([createMessage("deep")])]);
    const result = await settle(against(new Uint8Array([...plain, ...encodeMessages([nested])]), consume));
    expect(result).toBeInstanceOf(NestedCompressionError);
    expect(result).toMatchObject({ topic: "t", partition: 2, offset: 1000 + plain.length });
  });

  test("a small gzip of two million empty messages is refused with DecompressionLimitError, within seconds", async () => {
    const bomb = encodeMessages([{ magic: 1, attributes: Compression.Gzip, payload: gzipCodec.compress(emptyMessageSet(2_000_000)) }]);
    const started = performance.now();
    const result = await settle(against(bomb, consume));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result).toBeInstanceOf(DecompressionLimitError);
    expect(result).toMatchObject({ topic: "t", partition: 2, offset: 1000, limit: 64 * 1024 * 1024 });
    expect((result as Error).message).toMatch(/raise maxDecompressedBytes/);
  });

  test("a legitimate 48 MiB wrapper is decoded while a timer on the same event loop keeps ticking", async () => {
    const set = legitimateSet();
    let worstGap = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
    }, 1);
    const started = performance.now();
    const count = await against(set, consume);
    const elapsed = performance.now() - started;
    clearInterval(ticker);
    expect(count).toBe(768);
    // Not one long stall: the decoding was cut into pieces of ~10 ms. Generous bounds (a loaded
    // machine stretches any piece): no gap of two seconds, nor one taking half the whole time (the old code spent nearly all of it in one).
    expect(worstGap).toBeLessThan(Math.min(2000, elapsed / 2));
  });
});
