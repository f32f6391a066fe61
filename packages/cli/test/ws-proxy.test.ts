/**
 * The proxy's WebSocket listener: each WebSocket bridged to its own broker connection through the
 * same proxy session as TCP clients (allow lists, log, counters, malformed frames stopped), origins
 * checked, message size capped, bounded buffering both ways, and static files for the page.
 */
import { request as httpRequest } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { startBroker, type Broker } from "@k07/broker";
import { startProxy, startWebSocketProxy, type Proxy, type ProxyLogEntry, type TopicCounters } from "@k07/cli";
import { FetchRequest, KafkaClient, ProduceRequest, createMessage, encodeFetchRequest, encodeProduceRequest } from "@k07/transport-node";
import { KafkaClient as WebSocketClient } from "@k07/transport-websocket";
import { k07 } from "./run-cli.ts";

/** A WebSocket client of the proxy that sends raw bytes, and how it ended. */
async function openPage(proxy: Proxy, headers: Record<string, string> = {}) {
  const page = new WebSocket(`ws://${proxy.address}/`, { headers });
  const received: Buffer[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    page.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  page.on("message", (data: Buffer) => received.push(data));
  await new Promise<void>((resolve, reject) => {
    page.once("open", () => resolve());
    page.once("error", reject);
  });
  return { page, received, closed };
}

/** A fake broker that records every byte it is sent. */
async function recordingBroker(): Promise<{ server: Server; port: number; bytes: () => Buffer; sockets: Socket[] }> {
  const chunks: Buffer[] = [];
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port, bytes: () => Buffer.concat(chunks), sockets };
}

const settle = (ms = 200) => new Promise((resolve) => setTimeout(resolve, ms));

let broker: Broker;
beforeAll(async () => {
  broker = await startBroker({ numPartitions: 1 });
});
afterAll(() => broker.close());

describe("frames through the bridge", () => {
  /** What reached a recording fake broker, and how the page's connection ended, after `send`. */
  async function throughFakeBroker(send: (page: WebSocket) => void, options: { maxMessageBytes?: number } = {}) {
    const fake = await recordingBroker();
    const proxy = await startWebSocketProxy({ brokerHost: "127.0.0.1", brokerPort: fake.port, ...options });
    const { page, closed } = await openPage(proxy);
    send(page);
    const ended = await closed;
    await settle();
    await proxy.close();
    fake.server.close();
    return { ended, forwarded: fake.bytes() };
  }

  test("well-formed frames reach the broker byte for byte, whatever the message chunking; a malformed one never does, and the page gets 1008 with why", async () => {
    // Produces only: the bridge closes once no response is owed, and the fake broker answers nothing.
    const first = encodeProduceRequest(new ProduceRequest("t", 0, [createMessage("x")]));
    const good = Buffer.concat([first, encodeProduceRequest(new ProduceRequest("u", 0, [createMessage("yz")]))]);
    const { ended, forwarded } = await throughFakeBroker((page) => {
      // Cut across the frame boundary and inside a size prefix.
      for (const [from, to] of [
        [0, 3],
        [3, 10],
        [10, first.length + 2],
        [first.length + 2, good.length],
      ])
        page.send(good.subarray(from, to));
      page.send(Buffer.from([0, 0, 0, 2, 0, 9])); // request type 9 does not exist
    });
    expect(ended).toEqual({ code: 1008, reason: expect.stringMatching(/^malformed request from 127\.0\.0\.1:\d+/) });
    expect(forwarded.equals(good)).toBe(true);
  });

  test("a text message closes the connection with 1003 and forwards nothing", async () => {
    const { ended, forwarded } = await throughFakeBroker((page) => page.send("\u0000\u0000\u0000\u0002\u0000\u0004"));
    expect([ended.code, forwarded.length]).toEqual([1003, 0]);
  });

  test("a message over the size cap closes the connection with 1009 and forwards nothing of it", async () => {
    const oversized = encodeProduceRequest(new ProduceRequest("t", 0, [createMessage("x".repeat(2000))]));
    const { ended, forwarded } = await throughFakeBroker((page) => page.send(oversized), { maxMessageBytes: 1000 });
    expect([ended.code, forwarded.length]).toEqual([1009, 0]);
  });

  test("the client's large produce fits under the default cap: it sends at most 64 KiB per message", async () => {
    const proxy = await startWebSocketProxy({ brokerHost: broker.host, brokerPort: broker.port });
    const kafka = new WebSocketClient(proxy.host, proxy.port);
    // One produce frame of 1.8 MB (two messages under the broker's 1,000,000-byte limit), over the 1 MiB cap.
    await kafka.sendMessagesSimple("ws-large", 0, "y".repeat(900_000), "z".repeat(900_000));
    await kafka.confirm();
    const [messages] = await kafka.getMessageSet(new FetchRequest("ws-large", 0, 0, 3_000_000));
    expect(messages.map((m) => m.payloadLength)).toEqual([900_000, 900_000]);
    await kafka.close();
    await proxy.close();
  });
});

describe("the proxy's rules apply to WebSocket clients unchanged", () => {
  test("allow lists, the request log and per-topic counters, shared with the TCP listener", async () => {
    const log: ProxyLogEntry[] = [];
    const counters = new Map<string, TopicCounters>();
    const options = {
      brokerHost: broker.host,
      brokerPort: broker.port,
      policy: { produce: ["ws-open"], fetch: ["ws-open"] },
      log: (e: ProxyLogEntry) => log.push(e),
      counters,
    };
    const tcp = await startProxy(options);
    const ws = await startWebSocketProxy(options);
    const viaTcp = new KafkaClient(tcp.host, tcp.port);
    const viaWs = new WebSocketClient(ws.host, ws.port);
    await viaTcp.sendMessagesSimple("ws-open", 0, "from tcp");
    await viaTcp.confirm();
    await viaWs.sendMessagesSimple("ws-open", 0, "from ws");
    await viaWs.confirm();
    const [messages] = await viaWs.getMessageSet(new FetchRequest("ws-open", 0, 0, 4096));
    expect(messages.map((m) => m.text())).toEqual(["from tcp", "from ws"]);
    await expect(viaWs.getMessageSet(new FetchRequest("ws-closed", 0, 0, 4096))).rejects.toThrow("unknown error (code -1)");
    expect(log.filter((e) => e.topic === "ws-closed")).toEqual([expect.objectContaining({ type: "fetch", allowed: false })]);
    expect(counters.get("ws-open")).toMatchObject({ bytesProduced: 18 + 17, denied: 0 });
    expect(counters.get("ws-closed")).toMatchObject({ requests: 1, denied: 1 });
    expect(ws.counters()).toBe(tcp.counters());
    await viaTcp.close();
    await viaWs.close();
    await tcp.close();
    await ws.close();
  });
});

describe("origins", () => {
  let proxy: Proxy;
  beforeAll(async () => {
    proxy = await startWebSocketProxy({ brokerHost: broker.host, brokerPort: broker.port, allowOrigins: ["http://listed.example:8080"] });
  });
  afterAll(() => proxy.close());

  const handshake = (headers: Record<string, string>) =>
    new Promise<string>((resolve) => {
      const page = new WebSocket(`ws://${proxy.address}/`, { headers });
      page.once("open", () => {
        page.close();
        resolve("open");
      });
      page.once("unexpected-response", (_request, response) => resolve(`HTTP ${response.statusCode}`));
      page.once("error", () => {});
    });

  test("a page of another origin is refused with 403; the proxy's own origin, a listed one and clients without Origin are let in", async () => {
    expect(await handshake({ origin: "http://evil.example" })).toBe("HTTP 403");
    expect(await handshake({ origin: `http://${proxy.address}` })).toBe("open");
    expect(await handshake({ origin: "http://listed.example:8080" })).toBe("open");
    expect(await handshake({})).toBe("open");
  });
});

describe("backpressure", () => {
  test("a page that stops reading pauses the broker connection instead of filling the proxy's memory", async () => {
    const writer = new KafkaClient(broker.host, broker.port);
    const payload = "p".repeat(10_000);
    for (let i = 0; i < 10; i++) await writer.sendMessagesSimple("ws-bp", 0, ...Array.from({ length: 100 }, () => payload));
    await writer.confirm();
    await writer.close();
    const proxy = await startWebSocketProxy({ brokerHost: broker.host, brokerPort: broker.port });
    const { page } = await openPage(proxy);
    page.pause();
    const fetch = encodeFetchRequest(new FetchRequest("ws-bp", 0, 0, 1_000_000));
    // 300 fetches of ~1 MB: 300 MB if the proxy buffered every response.
    for (let i = 0; i < 300; i++) page.send(fetch);
    await settle(1000);
    expect(proxy.bufferedBytes()).toBeLessThan(4 * 1_000_000);
    expect(broker.bufferedBytes()).toBeLessThan(32 * 1_000_000);
    page.terminate();
    await proxy.close();
  });

  test("a broker that stops reading stops the proxy reading the page", async () => {
    const fake = await recordingBroker();
    const proxy = await startWebSocketProxy({ brokerHost: "127.0.0.1", brokerPort: fake.port });
    const { page } = await openPage(proxy);
    await settle(100);
    for (const socket of fake.sockets) socket.pause();
    const produce = encodeProduceRequest(new ProduceRequest("t", 0, [createMessage(new Uint8Array(60_000))]));
    // ~120 MB sent by the page: the proxy must not hold it.
    for (let i = 0; i < 2000; i++) page.send(produce);
    await settle(1000);
    expect(proxy.bufferedBytes()).toBeLessThan(4 * 1_000_000);
    page.terminate();
    await proxy.close();
    fake.server.close();
  });
});

describe("static files", () => {
  const dir = mkdtempSync(join(tmpdir(), "k07-serve-"));
  let proxy: Proxy;
  const get = (path: string) =>
    new Promise<[number, string, string]>((resolve, reject) => {
      const request = httpRequest({ host: proxy.host, port: proxy.port, path }, (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () => resolve([response.statusCode!, String(response.headers["content-type"]), body]));
      });
      request.on("error", reject);
      request.end();
    });
  beforeAll(async () => {
    mkdirSync(join(dir, "site"));
    writeFileSync(join(dir, "site/index.html"), "<p>page</p>");
    writeFileSync(join(dir, "secret.txt"), "not served");
    writeFileSync(join(dir, "bundle.js"), "export {};");
    proxy = await startWebSocketProxy({
      brokerHost: broker.host,
      brokerPort: broker.port,
      files: { dir: join(dir, "site"), routes: { "/k07-browser.js": join(dir, "bundle.js") } },
    });
  });
  afterAll(async () => {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the directory's files and the routes are served with their types; nothing outside the directory is", async () => {
    expect(await get("/")).toEqual([200, "text/html; charset=utf-8", "<p>page</p>"]);
    expect(await get("/k07-browser.js")).toEqual([200, "text/javascript; charset=utf-8", "export {};"]);
    expect((await get("/nothing.html"))[0]).toBe(404);
    expect((await get("/../secret.txt"))[0]).not.toBe(200);
    expect((await get("/%2e%2e/secret.txt"))[0]).toBe(404); // the URL parser already resolved the dots
    expect((await get("/..%2fsecret.txt"))[0]).toBe(403);
  });
});

describe("k07 proxy --listen-ws", () => {
  test("the WebSocket-only options need --listen-ws, and --serve a directory", async () => {
    const result = await k07(["proxy", "--broker", `${broker.host}:${broker.port}`, "--serve", "examples/browser"]);
    expect(result).toMatchObject({ status: 2, stderr: "k07: --serve needs --listen-ws\n" });
    const missing = await k07(["proxy", "--broker", `${broker.host}:${broker.port}`, "--listen-ws", "127.0.0.1:0", "--serve", "no/such/dir"]);
    expect(missing).toMatchObject({ status: 2, stderr: "k07: --serve: no/such/dir is not a directory\n" });
  });
});
