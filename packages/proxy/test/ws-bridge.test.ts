/**
 * The WebSocket bridge against fake brokers: its HTTP side, the origin check, how a bridged
 * connection ends (close code and reason for each cause, onClose once), one message per batch, and
 * backpressure both ways that bounds its buffers and then lets everything through.
 */
import type { IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import { WebSocket } from "ws";
import { originRefusal, startWebSocketProxy, type Proxy, type WebSocketProxyOptions } from "@k07/proxy";
import {
  FetchRequest,
  ProduceRequest,
  createMessage,
  encodeFetchRequest,
  encodeFetchResponse,
  encodeMultiProduceRequest,
  encodeProduceRequest,
} from "@k07/codec";
import { fakeBroker, hugeFetchAnswer, settle, until, within, type FakeBroker } from "./fake-broker.ts";

/** A bridge to `brokerPort` that records every onClose call. */
async function recordingBridge(brokerPort: number, options: Partial<WebSocketProxyOptions> = {}) {
  const closes: [string, string][] = [];
  const proxy = await startWebSocketProxy({
    brokerHost: "127.0.0.1",
    brokerPort,
    onClose: (name, reason) => closes.push([name, reason]),
    ...options,
  });
  return { proxy, closes };
}

/** A page connected to the bridge: the messages it got, and how its connection ended. */
async function openPage(proxy: Proxy) {
  const page = new WebSocket(`ws://${proxy.address}/`);
  const messages: Buffer[] = [];
  let textMessages = 0;
  page.on("message", (data: Buffer, isBinary: boolean) => {
    messages.push(data);
    if (!isBinary) textMessages++;
  });
  page.on("error", () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    page.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise((resolve) => page.once("open", resolve));
  return { page, messages, closed, textMessages: () => textMessages };
}

const produce = (topic: string, bytes: number) => encodeProduceRequest(new ProduceRequest(topic, 0, [createMessage(new Uint8Array(bytes))]));
const clientName = /^127\.0\.0\.1:\d+$/;

describe("originRefusal", () => {
  const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

  test("admits clients without an Origin, the proxy's own origin, listed origins, and any origin under *", () => {
    expect(originRefusal(request({ host: "proxy:9000" }), [])).toBeUndefined();
    expect(originRefusal(request({ host: "proxy:9000", origin: "http://proxy:9000" }), [])).toBeUndefined();
    expect(originRefusal(request({ host: "proxy:9000", origin: "https://app.example" }), ["https://app.example"])).toBeUndefined();
    expect(originRefusal(request({ host: "proxy:9000", origin: "https://any.example" }), ["*"])).toBeUndefined();
  });

  test("refuses any other origin, an unparsable one, and one when the request names no host, saying why", () => {
    expect(originRefusal(request({ host: "proxy:9000", origin: "http://proxy:9001" }), ["https://app.example"])).toBe(
      "origin http://proxy:9001 is not allowed (the proxy serves proxy:9000; list other origins with --allow-origin)",
    );
    expect(originRefusal(request({ host: "proxy:9000", origin: "null" }), [])).toMatch(/^origin null is not allowed/);
    expect(originRefusal(request({ origin: "null" }), [])).toMatch(/^origin null is not allowed/);
    expect(originRefusal(request({ origin: "http://proxy:9000" }), [])).toBe(
      "origin http://proxy:9000 is not allowed (the proxy serves no host; list other origins with --allow-origin)",
    );
  });
});

describe("listening", () => {
  test("on 127.0.0.1 and a free port by default, or on the port asked for; a taken port is refused", async () => {
    const first = await startWebSocketProxy({ brokerHost: "127.0.0.1", brokerPort: 1 });
    expect(first.host).toBe("127.0.0.1");
    expect(first.address).toBe(`127.0.0.1:${first.port}`);
    const port = first.port;
    await expect(startWebSocketProxy({ port, brokerHost: "127.0.0.1", brokerPort: 1 })).rejects.toMatchObject({ code: "EADDRINUSE" });
    await first.close();
    const second = await startWebSocketProxy({ host: "127.0.0.1", port, brokerHost: "127.0.0.1", brokerPort: 1 });
    expect(second.port).toBe(port);
    await second.close();
  });

  test("maxMessageBytes and maxTopics are checked", async () => {
    for (const maxMessageBytes of [0, 1.5, Number.NaN]) {
      await expect(startWebSocketProxy({ brokerHost: "127.0.0.1", brokerPort: 1, maxMessageBytes })).rejects.toThrow(
        new RangeError(`maxMessageBytes must be a positive integer, got ${maxMessageBytes}`),
      );
    }
    await expect(startWebSocketProxy({ brokerHost: "127.0.0.1", brokerPort: 1, maxTopics: -1 })).rejects.toThrow(RangeError);
    const smallest = await startWebSocketProxy({ brokerHost: "127.0.0.1", brokerPort: 1, maxMessageBytes: 1 });
    await smallest.close();
  });

  test("without files, plain HTTP is told to use a WebSocket", async () => {
    const proxy = await startWebSocketProxy({ brokerHost: "127.0.0.1", brokerPort: 1 });
    const response = await fetch(`http://${proxy.address}/`);
    expect([response.status, response.headers.get("content-type"), await response.text()]).toEqual([
      426,
      "text/plain",
      "k07 proxy: connect with a WebSocket\n",
    ]);
    await proxy.close();
  });

  test("a page of another origin gets 403 with why, and onClose hears it", async () => {
    const { proxy, closes } = await recordingBridge(1);
    const socket = connect(proxy.port, "127.0.0.1");
    const answer = await new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
      socket.on("end", () => resolve(text));
      socket.write(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      );
    });
    const why = "origin http://evil.example is not allowed (the proxy serves 127.0.0.1; list other origins with --allow-origin)";
    expect(answer).toBe(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}\n`);
    expect(closes).toEqual([[expect.stringMatching(clientName), why]]);
    await proxy.close();
  });

  test("messages are not compressed (the bridge forwards views of the broker's bytes)", async () => {
    const fake = await fakeBroker();
    const proxy = await startWebSocketProxy({ brokerHost: "127.0.0.1", brokerPort: fake.port });
    const { page } = await openPage(proxy);
    expect(page.extensions).toBe("");
    page.terminate();
    await proxy.close();
    await fake.close();
  });
});

describe("how a bridged connection ends: a close code and reason for each cause, and onClose once", () => {
  async function ending(
    options: Partial<WebSocketProxyOptions>,
    act: (page: WebSocket, fake: FakeBroker) => void,
    answer?: (socket: Socket, chunk: Buffer) => void,
  ) {
    const fake = await fakeBroker(answer);
    const { proxy, closes } = await recordingBridge(fake.port, options);
    const { page, closed } = await openPage(proxy);
    await until(() => fake.sockets.length === 1);
    act(page, fake);
    const ended = await within(closed);
    await until(() => fake.closed.length === 1);
    await settle();
    await proxy.close();
    await fake.close();
    expect(closes).toEqual([[expect.stringMatching(clientName), expect.any(String)]]);
    return { ended, reason: closes[0]![1], forwarded: fake.received() };
  }

  test("a refused request: 1008 and why", async () => {
    const { ended, reason, forwarded } = await ending({ policy: { produce: [] } }, (page) => page.send(produce("t", 10)));
    expect(ended).toEqual({ code: 1008, reason });
    expect(reason).toMatch(/^produce to "t" is not allowed for 127\.0\.0\.1:\d+$/);
    expect(forwarded).toBe(0);
  });

  test("a long reason is cut to the 123 bytes a close frame allows, marked with an ellipsis", async () => {
    const topic = "t".repeat(200);
    const { ended, reason } = await ending({ policy: { produce: [] } }, (page) => page.send(produce(topic, 10)));
    expect(reason).toMatch(new RegExp(`^produce to "${topic}" is not allowed`));
    expect(ended).toEqual({ code: 1008, reason: `${reason.slice(0, 120)}…` });
  });

  test("a reason of 123 bytes exactly is kept whole", async () => {
    // 48 bytes around the topic with a five-digit client port (every ephemeral port range in use).
    const topic = "t".repeat(75);
    const { ended, reason } = await ending({ policy: { produce: [] } }, (page) => page.send(produce(topic, 10)));
    expect(ended).toEqual({ code: 1008, reason });
  });

  test("a text message: 1003", async () => {
    const { ended, reason, forwarded } = await ending({}, (page) => page.send("text"));
    expect(reason).toMatch(/^text message from 127\.0\.0\.1:\d+: the k07 bridge carries binary messages only$/);
    expect([ended.code, forwarded]).toEqual([1003, 0]);
  });

  test("a message over maxMessageBytes: 1009, with the WebSocket's error as the reason", async () => {
    const { ended, reason, forwarded } = await ending({ maxMessageBytes: 100 }, (page) => page.send(produce("t", 200)));
    expect(reason).toMatch(/^WebSocket error from 127\.0\.0\.1:\d+: .*payload/i);
    expect([ended.code, forwarded]).toEqual([1009, 0]);
  });

  test("the broker closes: 1000", async () => {
    const { ended, reason } = await ending({}, (_page, fake) => fake.sockets[0]!.destroy());
    expect([ended.code, reason]).toEqual([1000, "broker closed the connection"]);
  });

  test("the page closes: the broker connection is closed", async () => {
    const { reason } = await ending({}, (page) => page.close());
    expect(reason).toBe("client closed");
  });

  test("a broker that keeps its side open after the bridge ends it is disconnected all the same", async () => {
    const fake = await fakeBroker(undefined, { keepsOpen: true });
    const proxy = await startWebSocketProxy({ brokerHost: "127.0.0.1", brokerPort: fake.port });
    const { page, closed } = await openPage(proxy);
    await until(() => fake.sockets.length === 1);
    page.close();
    await within(closed);
    await until(() => fake.closed.length === 1);
    await proxy.close();
    await fake.close();
  });

  test("a broker answer nobody asked for: 1011", async () => {
    const { ended } = await ending({}, (_page, fake) => fake.sockets[0]!.write(encodeFetchResponse({ errorCode: 0, messageSet: new Uint8Array(0) })));
    expect(ended).toEqual({ code: 1011, reason: "the broker sent a response nobody asked for" });
  });

  test("a malformed broker answer: 1011", async () => {
    const { ended } = await ending(
      {},
      (page) => page.send(encodeFetchRequest(new FetchRequest("t", 0, 0, 100))),
      (socket) => socket.write(Buffer.from([0, 0, 0, 1, 0])),
    );
    expect(ended).toEqual({ code: 1011, reason: "malformed response from the broker: frame size 1" });
  });

  test("the broker cannot be reached: 1011", async () => {
    const fake = await fakeBroker();
    const port = fake.port;
    await fake.close();
    const { proxy, closes } = await recordingBridge(port);
    const { closed } = await openPage(proxy);
    const ended = await within(closed);
    expect(ended.code).toBe(1011);
    expect(ended.reason).toMatch(/^broker connection failed: .*ECONNREFUSED/);
    await settle();
    expect(closes).toEqual([[expect.stringMatching(clientName), ended.reason]]);
    await proxy.close();
  });

  test("the parts of a MultiProduce before a refused one reach the broker in full, even when the broker is slow to read them", async () => {
    const fake = await fakeBroker();
    const { proxy } = await recordingBridge(fake.port, { policy: { produce: ["open"] }, maxMessageBytes: 16_000_000 });
    const { page, closed } = await openPage(proxy);
    await until(() => fake.sockets.length === 1);
    fake.sockets[0]!.pause();
    const allowed = new ProduceRequest("open", 0, [createMessage(new Uint8Array(8_000_000))]);
    page.send(encodeMultiProduceRequest([allowed, new ProduceRequest("closed", 0, [createMessage("x")])]));
    expect((await within(closed)).code).toBe(1008);
    fake.sockets[0]!.resume();
    await within(new Promise((resolve) => fake.sockets[0]!.once("close", resolve)));
    expect(fake.received()).toBe(encodeMultiProduceRequest([allowed]).length);
    await proxy.close();
    await fake.close();
  });

  test("stopping the proxy tells its pages it is going away, and closes lingering HTTP connections", async () => {
    const fake = await fakeBroker();
    const proxy = await startWebSocketProxy({ brokerHost: "127.0.0.1", brokerPort: fake.port });
    const { closed } = await openPage(proxy);
    // An HTTP request that never finishes its headers.
    const lingering = connect(proxy.port, "127.0.0.1");
    lingering.on("error", () => {});
    const lingeringClosed = new Promise((resolve) => lingering.once("close", resolve));
    await new Promise((resolve) => lingering.once("connect", resolve));
    lingering.write("GET / HTTP/1.1\r\n");
    await until(() => fake.sockets.length === 1);
    await within(proxy.close());
    expect(await within(closed)).toEqual({ code: 1001, reason: "k07 proxy stopping" });
    await within(lingeringClosed);
    await until(() => fake.closed.length === 1);
    await fake.close();
  });
});

test("stopping the proxy drops what a broker that does not read is still owed", async () => {
  const fake = await fakeBroker();
  const proxy = await startWebSocketProxy({ brokerHost: "127.0.0.1", brokerPort: fake.port, maxMessageBytes: 16_000_000 });
  const { page, closed } = await openPage(proxy);
  await until(() => fake.sockets.length === 1);
  fake.sockets[0]!.pause();
  page.send(produce("t", 8_000_000));
  page.close();
  await within(closed);
  expect(proxy.bufferedBytes()).toBeGreaterThan(0);
  await within(proxy.close());
  await settle();
  expect(proxy.bufferedBytes()).toBe(0);
  await fake.close();
});

test("each batch the proxy forwards reaches the page as one binary message", async () => {
  const answer = encodeFetchResponse({ errorCode: 0, messageSet: new Uint8Array(0) });
  const fake = await fakeBroker((socket) => socket.write(answer));
  const proxy = await startWebSocketProxy({ brokerHost: "127.0.0.1", brokerPort: fake.port });
  const { page, messages, textMessages } = await openPage(proxy);
  page.send(encodeFetchRequest(new FetchRequest("t", 0, 0, 100)));
  await until(() => messages.length > 0);
  await settle();
  expect(messages.map((m) => m.toString("hex"))).toEqual([Buffer.from(answer).toString("hex")]);
  expect(textMessages()).toBe(0);
  page.terminate();
  await proxy.close();
  await fake.close();
});

describe("backpressure: a side that stops reading pauses the other, and nothing is lost when it reads again", () => {
  test("a broker that stops reading stops the bridge reading the page", async () => {
    const fake = await fakeBroker();
    const proxy = await startWebSocketProxy({ brokerHost: "127.0.0.1", brokerPort: fake.port });
    const { page } = await openPage(proxy);
    await until(() => fake.sockets.length === 1);
    fake.sockets[0]!.pause();
    const frame = produce("t", 60_000);
    const frames = 500; // 30 MB
    for (let i = 0; i < frames; i++) page.send(frame);
    await settle(500);
    const held = proxy.bufferedBytes();
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(4_000_000);
    fake.sockets[0]!.resume();
    await until(() => fake.received() === frames * frame.length, 20_000);
    page.terminate();
    await proxy.close();
    await fake.close();
  });

  test("a page that stops reading stops the bridge reading the broker", async () => {
    const body = 30_000_000;
    const fake = await fakeBroker(hugeFetchAnswer(body));
    const proxy = await startWebSocketProxy({ brokerHost: "127.0.0.1", brokerPort: fake.port });
    const { page, messages } = await openPage(proxy);
    page.pause();
    page.send(encodeFetchRequest(new FetchRequest("t", 0, 0, 1000)));
    await settle(500);
    const held = proxy.bufferedBytes();
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(4_000_000);
    page.resume();
    await until(() => messages.reduce((sum, m) => sum + m.length, 0) === 6 + body, 20_000);
    page.terminate();
    await proxy.close();
    await fake.close();
  });
});
