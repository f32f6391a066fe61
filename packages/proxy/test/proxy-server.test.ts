/**
 * The proxy's TCP listener against fake brokers: where it listens, how each client's connection and
 * its broker connection end together (and why, once), and backpressure that bounds its buffers and
 * then lets everything through.
 */
import { connect } from "node:net";
import { startProxy, type Proxy, type ProxyOptions, type TopicCounters } from "@k07/proxy";
import { FetchRequest, ProduceRequest, createMessage, encodeFetchRequest, encodeMultiProduceRequest, encodeProduceRequest } from "@k07/codec";
import { fakeBroker, hugeFetchAnswer, settle, until, within } from "./fake-broker.ts";

/** A client connection to `proxy`, with a promise of its close. */
async function client(proxy: Proxy, options: { allowHalfOpen?: boolean } = {}) {
  const socket = connect({ port: proxy.port, host: "127.0.0.1", allowHalfOpen: options.allowHalfOpen ?? false });
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await new Promise((resolve) => socket.once("connect", resolve));
  return { socket, closed, name: `127.0.0.1:${socket.localPort}` };
}

/** A proxy to `brokerPort` that records every onClose call. */
async function recordingProxy(brokerPort: number, options: Partial<ProxyOptions> = {}) {
  const closes: [string, string][] = [];
  const proxy = await startProxy({ brokerHost: "127.0.0.1", brokerPort, onClose: (name, reason) => closes.push([name, reason]), ...options });
  return { proxy, closes };
}

const produce = (bytes: number) => encodeProduceRequest(new ProduceRequest("t", 0, [createMessage(new Uint8Array(bytes))]));

describe("listening", () => {
  test("on 127.0.0.1 and a free port by default, or on the port asked for; its address says where", async () => {
    const fake = await fakeBroker();
    const first = await startProxy({ brokerHost: "127.0.0.1", brokerPort: fake.port });
    expect(first.host).toBe("127.0.0.1");
    expect(first.port).toBeGreaterThan(0);
    expect(first.address).toBe(`127.0.0.1:${first.port}`);
    const port = first.port;
    await first.close();
    const second = await startProxy({ host: "127.0.0.1", port, brokerHost: "127.0.0.1", brokerPort: fake.port });
    expect(second.address).toBe(`127.0.0.1:${port}`);
    // The port is taken now: a third proxy on it is refused, not left waiting.
    await expect(startProxy({ port, brokerHost: "127.0.0.1", brokerPort: fake.port })).rejects.toMatchObject({ code: "EADDRINUSE" });
    await second.close();
    await fake.close();
  });

  test("maxTopics is checked by name; counters handed in are the ones the proxy keeps", async () => {
    await expect(startProxy({ brokerHost: "127.0.0.1", brokerPort: 1, maxTopics: 1.5 })).rejects.toThrow(/maxTopics/);
    const counters = new Map<string, TopicCounters>();
    const proxy = await startProxy({ brokerHost: "127.0.0.1", brokerPort: 1, counters });
    expect(proxy.counters()).toBe(counters);
    await proxy.close();
  });
});

describe("a client's connection and its broker connection end together, and onClose says why once", () => {
  test("the client leaves: its broker connection is closed", async () => {
    const fake = await fakeBroker();
    const { proxy, closes } = await recordingProxy(fake.port);
    const page = await client(proxy);
    await until(() => fake.sockets.length === 1);
    page.socket.end();
    await until(() => fake.closed.length === 1);
    await until(() => closes.length > 0);
    await settle();
    expect(closes).toEqual([[page.name, "client closed"]]);
    await proxy.close();
    await fake.close();
  });

  test("a broker that keeps its side open after the proxy ends it is disconnected all the same", async () => {
    const fake = await fakeBroker(undefined, { keepsOpen: true });
    const { proxy } = await recordingProxy(fake.port);
    const page = await client(proxy);
    await until(() => fake.sockets.length === 1);
    page.socket.end();
    await until(() => fake.closed.length === 1);
    await proxy.close();
    await fake.close();
  });

  test("the broker leaves: the client's connection is closed", async () => {
    const fake = await fakeBroker();
    const { proxy, closes } = await recordingProxy(fake.port);
    const page = await client(proxy);
    await until(() => fake.sockets.length === 1);
    fake.sockets[0]!.destroy();
    await within(page.closed);
    await settle();
    expect(closes).toEqual([[page.name, "broker closed the connection"]]);
    await proxy.close();
    await fake.close();
  });

  test("the broker cannot be reached: the client's connection is closed", async () => {
    const fake = await fakeBroker();
    const port = fake.port;
    await fake.close();
    const { proxy, closes } = await recordingProxy(port);
    const page = await client(proxy);
    await within(page.closed);
    await settle();
    expect(closes).toEqual([[page.name, expect.stringMatching(/^broker connection failed: .*ECONNREFUSED/)]]);
    await proxy.close();
  });

  test("a broker answer of impossible size (over the default frame limit) closes both", async () => {
    const fake = await fakeBroker((socket) => socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0])));
    const { proxy, closes } = await recordingProxy(fake.port);
    const page = await client(proxy);
    page.socket.write(encodeFetchRequest(new FetchRequest("t", 0, 0, 100)));
    await within(page.closed);
    await until(() => fake.closed.length === 1);
    expect(closes).toEqual([[page.name, "malformed response from the broker: frame size 2147483647"]]);
    await proxy.close();
    await fake.close();
  });

  test("a request over maxFrameBytes never reaches the broker", async () => {
    const fake = await fakeBroker();
    const { proxy, closes } = await recordingProxy(fake.port, { maxFrameBytes: 100 });
    const page = await client(proxy);
    page.socket.write(produce(50));
    page.socket.write(produce(200));
    await within(page.closed);
    await until(() => fake.closed.length === 1);
    expect(fake.received()).toBe(produce(50).length);
    expect(closes).toEqual([[page.name, expect.stringMatching(/^malformed request from 127\.0\.0\.1:\d+: /)]]);
    await proxy.close();
    await fake.close();
  });

  test("a refused client that keeps its side open is disconnected all the same", async () => {
    const fake = await fakeBroker();
    const { proxy, closes } = await recordingProxy(fake.port, { policy: { produce: [] } });
    const page = await client(proxy, { allowHalfOpen: true });
    // Keep writing after the proxy's end: a connection the proxy had only half closed would take it.
    page.socket.once("end", () => {
      const timer = setInterval(() => page.socket.write(produce(10)), 50);
      page.socket.once("close", () => clearInterval(timer));
    });
    page.socket.write(produce(10));
    await within(page.closed);
    expect(fake.received()).toBe(0);
    expect(closes).toEqual([[page.name, `produce to "t" is not allowed for ${page.name}`]]);
    await proxy.close();
    await fake.close();
  });

  test("the parts of a MultiProduce before a refused one reach the broker in full, even when the broker is slow to read them", async () => {
    const fake = await fakeBroker();
    const { proxy } = await recordingProxy(fake.port, { policy: { produce: ["open"] } });
    const page = await client(proxy);
    await until(() => fake.sockets.length === 1);
    fake.sockets[0]!.pause();
    const allowed = new ProduceRequest("open", 0, [createMessage(new Uint8Array(8_000_000))]);
    const refused = new ProduceRequest("closed", 0, [createMessage("x")]);
    page.socket.write(encodeMultiProduceRequest([allowed, refused]));
    await within(page.closed);
    // The client is gone; the proxy still holds what it owes the broker, and counts it.
    expect(proxy.bufferedBytes()).toBeGreaterThan(0);
    fake.sockets[0]!.resume();
    await within(new Promise((resolve) => fake.sockets[0]!.once("close", resolve)));
    expect(fake.received()).toBe(encodeMultiProduceRequest([allowed]).length);
    await proxy.close();
    await fake.close();
  });

  test("stopping the proxy closes the connections it holds", async () => {
    const fake = await fakeBroker();
    const { proxy } = await recordingProxy(fake.port);
    const page = await client(proxy);
    await until(() => fake.sockets.length === 1);
    await within(proxy.close());
    await within(page.closed);
    await until(() => fake.closed.length === 1);
    await fake.close();
  });
});

test("stopping the proxy drops what a broker that does not read is still owed", async () => {
  const fake = await fakeBroker();
  const { proxy } = await recordingProxy(fake.port);
  const page = await client(proxy);
  await until(() => fake.sockets.length === 1);
  fake.sockets[0]!.pause();
  page.socket.write(produce(8_000_000));
  page.socket.end();
  await within(page.closed);
  expect(proxy.bufferedBytes()).toBeGreaterThan(0);
  await within(proxy.close());
  await settle();
  expect(proxy.bufferedBytes()).toBe(0);
  await fake.close();
});

describe("backpressure: a side that stops reading pauses the other, and nothing is lost when it reads again", () => {
  test("a broker that stops reading stops the proxy reading its client", async () => {
    const fake = await fakeBroker();
    const { proxy } = await recordingProxy(fake.port);
    const page = await client(proxy);
    await until(() => fake.sockets.length === 1);
    fake.sockets[0]!.pause();
    const frame = produce(60_000);
    const frames = 500; // 30 MB, far more than the sockets' buffers hold
    for (let i = 0; i < frames; i++) page.socket.write(frame);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const held = proxy.bufferedBytes();
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(4_000_000);
    fake.sockets[0]!.resume();
    await until(() => fake.received() === frames * frame.length, 20_000);
    page.socket.destroy();
    await proxy.close();
    await fake.close();
  });

  test("a client that stops reading stops the proxy reading its broker", async () => {
    const body = 30_000_000;
    const fake = await fakeBroker(hugeFetchAnswer(body));
    const { proxy } = await recordingProxy(fake.port);
    const page = await client(proxy);
    page.socket.pause();
    page.socket.write(encodeFetchRequest(new FetchRequest("t", 0, 0, 1000)));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const held = proxy.bufferedBytes();
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(4_000_000);
    let received = 0;
    page.socket.on("data", (chunk: Buffer) => (received += chunk.length));
    page.socket.resume();
    await until(() => received === 6 + body, 20_000);
    page.socket.destroy();
    await proxy.close();
    await fake.close();
  });
});

test("connections to the proxy are named by the client's address and port, in onClose and in the log alike", async () => {
  const fake = await fakeBroker();
  const log: string[] = [];
  const { proxy, closes } = await recordingProxy(fake.port, { log: (entry) => log.push(entry.client) });
  const page = await client(proxy);
  page.socket.write(encodeFetchRequest(new FetchRequest("t", 0, 0, 100)));
  await until(() => log.length === 1);
  page.socket.end();
  await until(() => closes.length === 1);
  expect(log).toEqual([page.name]);
  expect(closes[0]![0]).toBe(page.name);
  await proxy.close();
  await fake.close();
});
