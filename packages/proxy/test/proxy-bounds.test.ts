/**
 * The proxy's bookkeeping is bounded: it counts at most `maxTopics` topics by name (default 1,000),
 * the first seen, and sums every later topic under OTHER_TOPICS, so clients that name endless
 * topics cannot grow it.
 */
import { connect } from "node:net";
import { startBroker, type Broker } from "@k07/broker";
import { DEFAULT_MAX_TOPICS, OTHER_TOPICS, ProxySession, startProxy, type TopicCounters } from "@k07/proxy";
import { FetchRequest, FrameDecoder, encodeFetchRequest } from "@k07/codec";

let broker: Broker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(() => broker.close());

/** Sends `frames` on one connection to the proxy and resolves once `frames.length` responses came back. */
function exchange(port: number, frames: Uint8Array[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder();
    let answered = 0;
    const socket = connect(port, "127.0.0.1", () => socket.end(Buffer.concat(frames)));
    socket.on("data", (chunk: Buffer) => {
      decoder.push(chunk);
      while (decoder.next() !== undefined) answered++;
      if (answered === frames.length) {
        socket.destroy();
        resolve(answered);
      }
    });
    socket.on("error", reject);
  });
}

test("20,000 denied fetches for distinct topics keep the counters at 1,000 names plus the other bucket", async () => {
  const proxy = await startProxy({ brokerHost: broker.host, brokerPort: broker.port, policy: { fetch: ["allowed"] } });
  try {
    const frames = Array.from({ length: 20_000 }, (_, i) => encodeFetchRequest(new FetchRequest(`probe-${i}`, 0, 0, 1024)));
    expect(await exchange(proxy.port, frames)).toBe(20_000);
    const counters = proxy.counters();
    expect(DEFAULT_MAX_TOPICS).toBe(1000);
    expect(counters.size).toBe(DEFAULT_MAX_TOPICS + 1);
    expect(counters.get("probe-999")).toEqual({ requests: 1, bytesProduced: 0, bytesFetched: 0, denied: 1 });
    expect(counters.has("probe-1000")).toBe(false);
    expect(counters.get(OTHER_TOPICS)).toEqual({ requests: 19_000, bytesProduced: 0, bytesFetched: 0, denied: 19_000 });
  } finally {
    await proxy.close();
  }
});

test("maxTopics sets the bound; topics already counted by name keep their own counters", () => {
  const counters = new Map<string, TopicCounters>();
  const session = new ProxySession({ client: "test", policy: { fetch: [] }, maxFrameBytes: 1 << 20, counters, maxTopics: 2 });
  for (const topic of ["a", "b", "c", "a", "d", "b"]) session.fromClient(encodeFetchRequest(new FetchRequest(topic, 0, 0, 100)));
  expect([...counters.keys()]).toEqual(["a", "b", OTHER_TOPICS]);
  expect(counters.get("a")!.denied).toBe(2);
  expect(counters.get("b")!.denied).toBe(2);
  expect(counters.get(OTHER_TOPICS)!.denied).toBe(2);
});

test("maxTopics is checked", async () => {
  await expect(startProxy({ brokerHost: broker.host, brokerPort: broker.port, maxTopics: -1 })).rejects.toThrow(RangeError);
});
