/**
 * The WebSocket transport's contract with the client, against a scripted WebSocket (so the test
 * decides what bufferedAmount is and how the socket closes), then against a real `ws` server.
 */
import { WebSocketServer } from "ws";
import {
  ConnectionClosedError,
  KafkaClient,
  OffsetRequest,
  WEBSOCKET_HIGH_WATER_BYTES,
  WEBSOCKET_MESSAGE_BYTES,
  WebSocketCloseError,
  createWebSocketTransport,
  webSocketUrl,
  type TransportHandlers,
  type WebSocketLike,
} from "@k07/transport-websocket";

/** A WebSocket whose network the test plays: it opens on the next tick and records what is sent. */
class ScriptedWebSocket implements WebSocketLike {
  static last: ScriptedWebSocket | undefined;
  static refuse: { code: number; reason: string } | undefined;
  binaryType = "blob";
  bufferedAmount = 0;
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null;
  readonly sent: Uint8Array[] = [];
  closedWith: number | undefined;

  constructor(readonly url: string) {
    ScriptedWebSocket.last = this;
    const refuse = ScriptedWebSocket.refuse;
    setTimeout(() => {
      if (refuse === undefined) {
        this.readyState = 1;
        this.onopen?.({});
      } else {
        this.onerror?.({});
        this.onclose?.(refuse);
      }
    }, 0);
  }

  send(data: Uint8Array): void {
    this.sent.push(data.slice());
    this.bufferedAmount += data.length;
  }

  close(code?: number): void {
    this.closedWith = code;
    setTimeout(() => this.onclose?.({ code: code ?? 1005, reason: "" }), 0);
  }
}

function recordingHandlers() {
  const events = { data: [] as Uint8Array[], drains: 0, closed: [] as (Error | undefined)[] };
  const handlers: TransportHandlers = {
    data: (chunk) => events.data.push(chunk),
    drain: () => events.drains++,
    closed: (error) => events.closed.push(error),
  };
  return { events, handlers };
}

const scripted = createWebSocketTransport({ webSocket: () => ScriptedWebSocket });
const target = { host: "127.0.0.1", port: 9094 };
const until = async (condition: () => boolean, what: string) => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
};

beforeEach(() => {
  ScriptedWebSocket.refuse = undefined;
  ScriptedWebSocket.last = undefined;
});

describe("the URL of a proxy", () => {
  test("is ws://host:port/ by default, wss:// with tls, with a path, and brackets around IPv6", () => {
    expect(webSocketUrl(target)).toBe("ws://127.0.0.1:9094/");
    expect(webSocketUrl({ ...target, tls: true }, "/kafka/ws")).toBe("wss://127.0.0.1:9094/kafka/ws");
    expect(webSocketUrl({ host: "::1", port: 9094 })).toBe("ws://[::1]:9094/");
  });

  test("refuses a path without a leading slash and TLS settings other than true/false", () => {
    expect(() => createWebSocketTransport({ webSocket: () => ScriptedWebSocket, path: "kafka" })).toThrow(TypeError);
    expect(() => webSocketUrl({ ...target, tls: { rejectUnauthorized: false } })).toThrow(TypeError);
  });
});

describe("a connection", () => {
  test("receives binary messages as fresh Uint8Arrays, and sends large writes as messages of at most 64 KiB", async () => {
    const { events, handlers } = recordingHandlers();
    const connection = await scripted.connect(target, handlers, new AbortController().signal);
    const socket = ScriptedWebSocket.last!;
    expect([socket.url, socket.binaryType]).toEqual(["ws://127.0.0.1:9094/", "arraybuffer"]);
    const received = new Uint8Array([0, 0, 0, 2, 0, 0]).buffer;
    socket.onmessage!({ data: received });
    expect(events.data.map((chunk) => [chunk.buffer === received, Array.from(chunk)])).toEqual([[true, [0, 0, 0, 2, 0, 0]]]);
    const bytes = new Uint8Array(2 * WEBSOCKET_MESSAGE_BYTES + 10).map((_, i) => i & 0xff);
    connection.write(bytes);
    expect(socket.sent.map((m) => m.length)).toEqual([WEBSOCKET_MESSAGE_BYTES, WEBSOCKET_MESSAGE_BYTES, 10]);
    expect(Buffer.concat(socket.sent).equals(Buffer.from(bytes))).toBe(true);
    connection.destroy();
  });

  test("write returns false once bufferedAmount reaches the high-water mark, and drain follows when it falls", async () => {
    const { events, handlers } = recordingHandlers();
    const connection = await scripted.connect(target, handlers, new AbortController().signal);
    const socket = ScriptedWebSocket.last!;
    const chunk = new Uint8Array(WEBSOCKET_MESSAGE_BYTES);
    let accepted = 0;
    while (connection.write(chunk)) accepted++;
    expect((accepted + 1) * chunk.length).toBeGreaterThanOrEqual(WEBSOCKET_HIGH_WATER_BYTES);
    expect(accepted * chunk.length).toBeLessThan(WEBSOCKET_HIGH_WATER_BYTES);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events.drains).toBe(0); // nothing was sent yet: no drain
    socket.bufferedAmount = 0;
    await until(() => events.drains === 1, "drain");
    connection.destroy();
  });

  test("close code 1000 is a clean end; any other code reaches the client as a WebSocketCloseError with its code and reason", async () => {
    const clean = recordingHandlers();
    await scripted.connect(target, clean.handlers, new AbortController().signal);
    ScriptedWebSocket.last!.onclose!({ code: 1000, reason: "broker closed the connection" });
    expect(clean.events.closed).toEqual([undefined]);

    const refused = recordingHandlers();
    await scripted.connect(target, refused.handlers, new AbortController().signal);
    ScriptedWebSocket.last!.onclose!({ code: 1008, reason: 'produce to "secret" is not allowed' });
    const error = refused.events.closed[0] as WebSocketCloseError;
    expect(error).toBeInstanceOf(WebSocketCloseError);
    expect([error.code, error.reason, error.message]).toEqual([
      1008,
      'produce to "secret" is not allowed',
      'WebSocket closed with code 1008 (policy violation): produce to "secret" is not allowed',
    ]);
  });

  test("a text message is not the bridge's: the connection closes with 1003 and says why", async () => {
    const { events, handlers } = recordingHandlers();
    await scripted.connect(target, handlers, new AbortController().signal);
    ScriptedWebSocket.last!.onmessage!({ data: "hello" });
    expect(events.data).toEqual([]);
    expect(ScriptedWebSocket.last!.closedWith).toBe(1003);
    expect((events.closed[0] as WebSocketCloseError).code).toBe(1003);
  });

  test("a WebSocket that closes before opening rejects the connect with its code; an abort rejects it too", async () => {
    ScriptedWebSocket.refuse = { code: 1006, reason: "" };
    await expect(scripted.connect(target, recordingHandlers().handlers, new AbortController().signal)).rejects.toThrow(
      "WebSocket connection to ws://127.0.0.1:9094/ failed (code 1006): connection lost",
    );
    ScriptedWebSocket.refuse = undefined;
    const abort = new AbortController();
    const connecting = scripted.connect(target, recordingHandlers().handlers, abort.signal);
    await until(() => ScriptedWebSocket.last !== undefined, "the socket");
    abort.abort();
    await expect(connecting).rejects.toThrow("connect aborted");
  });

  test("end() sends the close frame (1000) and resolves once the socket closed", async () => {
    const { events, handlers } = recordingHandlers();
    const connection = await scripted.connect(target, handlers, new AbortController().signal);
    await connection.end();
    expect([ScriptedWebSocket.last!.closedWith, events.closed]).toEqual([1000, [undefined]]);
  });
});

describe("the client over a real WebSocket (the ws package on Node 20)", () => {
  test("no proxy listening: a ConnectionClosedError naming the address", async () => {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((resolve) => server.once("listening", resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const kafka = new KafkaClient("127.0.0.1", port, { reconnectBackoffMs: 0 });
    await expect(kafka.getOffsets(new OffsetRequest("t", 0, -1, 1))).rejects.toThrow(ConnectionClosedError);
    await expect(kafka.getOffsets(new OffsetRequest("t", 0, -1, 1))).rejects.toThrow(`Cannot connect to 127.0.0.1:${port}`);
    await kafka.close();
  });

  test("a server that closes with 1011 fails the pending request with a ConnectionClosedError whose cause has the code", async () => {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((resolve) => server.once("listening", resolve));
    server.on("connection", (socket) => socket.once("message", () => socket.close(1011, "broker connection failed")));
    const kafka = new KafkaClient("127.0.0.1", (server.address() as { port: number }).port);
    const error = await kafka.getOffsets(new OffsetRequest("t", 0, -1, 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect((error as Error).message).toContain("WebSocket closed with code 1011 (server error): broker connection failed");
    expect(((error as Error).cause as WebSocketCloseError).code).toBe(1011);
    await kafka.close();
    await new Promise((resolve) => server.close(resolve));
  });
});
