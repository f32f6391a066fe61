import type { Transport, TransportConnection, TransportHandlers, TransportTarget } from "@k07/client";

/** Bytes the WebSocket may hold unsent (`bufferedAmount`) above which `write` asks the client to wait for `drain`. */
export const WEBSOCKET_HIGH_WATER_BYTES = 1024 * 1024;

/**
 * Largest message the transport sends: larger writes go out as several messages (the byte stream
 * may be cut anywhere), so a proxy can cap its message size well below a Kafka frame's.
 */
export const WEBSOCKET_MESSAGE_BYTES = 64 * 1024;

/** How often a connection that asked the client to wait checks whether `bufferedAmount` went down (WebSocket has no drain event). */
const DRAIN_POLL_MS = 5;

/**
 * What the transport needs of a WebSocket: the standard browser API, which Deno and Node 22+ also
 * have and the `ws` package's client implements.
 */
export interface WebSocketLike {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor: `globalThis.WebSocket`, or the `ws` package's `WebSocket` class. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Where the transport finds its WebSocket class (called once per connection). */
export type WebSocketProvider = () => WebSocketConstructor | Promise<WebSocketConstructor>;

/**
 * The close of a WebSocket that was not a normal closure: the `cause` of the client's
 * ConnectionClosedError. `code` is the WebSocket close code (1006 when the connection dropped
 * without a close frame), `reason` what the peer said, if anything.
 */
export class WebSocketCloseError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`WebSocket closed with code ${code} (${closeCodeMeaning(code)})${reason === "" ? "" : `: ${reason}`}`);
    this.name = "WebSocketCloseError";
  }
}

/** The meaning of the close codes a k07 proxy, a browser or a web server in front of it may give. */
export function closeCodeMeaning(code: number): string {
  switch (code) {
    case 1000:
      return "normal closure";
    case 1001:
      return "going away";
    case 1002:
      return "protocol error";
    case 1003:
      return "unsupported data";
    case 1005:
      return "no status";
    case 1006:
      return "connection lost";
    case 1007:
      return "invalid data";
    case 1008:
      return "policy violation";
    case 1009:
      return "message too big";
    case 1011:
      return "server error";
    case 1015:
      return "TLS handshake failed";
    default:
      return "unknown code";
  }
}

export interface WebSocketTransportOptions {
  /** Where the WebSocket class comes from. Default: `globalThis.WebSocket` (see `platformWebSocket`). */
  readonly webSocket: WebSocketProvider;
  /** The URL path of the proxy, for one behind a web server. Default "/". */
  readonly path?: string;
  /** `bufferedAmount` above which `write` returns false. Default 1 MiB. */
  readonly highWaterBytes?: number;
}

/** The URL a client connects to: `ws://host:port/path`, or `wss://` when `tls` is true. */
export function webSocketUrl(target: TransportTarget, path = "/"): string {
  if (target.tls !== undefined && typeof target.tls !== "boolean") {
    throw new TypeError(`tls must be true or false for a WebSocket connection (the runtime's TLS settings apply), got ${typeof target.tls}`);
  }
  if (typeof path !== "string" || !path.startsWith("/")) throw new TypeError(`path must start with "/", got ${String(path)}`);
  const host = target.host.includes(":") && !target.host.startsWith("[") ? `[${target.host}]` : target.host;
  return `${target.tls === true ? "wss" : "ws"}://${host}:${target.port}${path}`;
}

/**
 * A client transport over WebSocket, to a `k07 proxy --listen-ws` (which bridges each WebSocket to
 * a TCP connection to the broker). Binary messages carry the raw 0.7 bytes in any chunking: the
 * client's frame decoder reassembles them. Each received message is a fresh ArrayBuffer, so the
 * payload views the client hands out stay valid.
 */
export function createWebSocketTransport(options: WebSocketTransportOptions): Transport {
  const highWaterBytes = options.highWaterBytes ?? WEBSOCKET_HIGH_WATER_BYTES;
  if (!Number.isSafeInteger(highWaterBytes) || highWaterBytes < 1)
    throw new RangeError(`highWaterBytes must be a positive integer, got ${String(highWaterBytes)}`);
  const path = options.path ?? "/";
  webSocketUrl({ host: "h", port: 1 }, path); // checks the path now rather than at the first connect
  return {
    async connect(target: TransportTarget, handlers: TransportHandlers, signal: AbortSignal): Promise<TransportConnection> {
      const url = webSocketUrl(target, path);
      const WebSocketClass = await options.webSocket();
      if (signal.aborted) throw new Error("connect aborted");
      return new Promise((resolve, reject) => {
        const socket = new WebSocketClass(url);
        socket.binaryType = "arraybuffer";
        let failure: string | undefined;
        const onAbort = () => {
          socket.onopen = socket.onclose = socket.onerror = socket.onmessage = null;
          socket.close();
          reject(new Error("connect aborted"));
        };
        signal.addEventListener("abort", onAbort, { once: true });
        // Browsers say nothing about why a WebSocket failed (on purpose); the `ws` package does.
        socket.onerror = (event) => {
          failure = (event as { message?: unknown }).message as string | undefined;
        };
        socket.onclose = (event) => {
          signal.removeEventListener("abort", onAbort);
          const detail = failure ?? (event.reason || closeCodeMeaning(event.code));
          reject(new Error(`WebSocket connection to ${url} failed (code ${event.code}): ${detail}`));
        };
        socket.onopen = () => {
          signal.removeEventListener("abort", onAbort);
          resolve(new WebSocketConnection(socket, handlers, highWaterBytes));
        };
      });
    },
  };
}

class WebSocketConnection implements TransportConnection {
  private done = false;
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  private ended: (() => void)[] = [];

  constructor(
    private readonly socket: WebSocketLike,
    private readonly handlers: TransportHandlers,
    private readonly highWaterBytes: number,
  ) {
    socket.onmessage = (event) => {
      if (this.done) return;
      if (!(event.data instanceof ArrayBuffer)) {
        // A k07 proxy sends only binary messages: text is a peer that does not speak the bridge.
        this.close(new WebSocketCloseError(1003, "a text message arrived; the k07 bridge sends binary messages only"));
        return;
      }
      this.handlers.data(new Uint8Array(event.data));
    };
    socket.onerror = () => {};
    socket.onclose = (event) => {
      // 1000 is the bridge's clean end (the broker closed its connection), like a TCP FIN.
      this.finish(event.code === 1000 ? undefined : new WebSocketCloseError(event.code, event.reason));
    };
  }

  write(bytes: Uint8Array): boolean {
    if (this.done) return false;
    for (let at = 0; at < bytes.length; at += WEBSOCKET_MESSAGE_BYTES) this.socket.send(bytes.subarray(at, at + WEBSOCKET_MESSAGE_BYTES));
    if (this.socket.bufferedAmount < this.highWaterBytes) return true;
    this.drainTimer ??= setTimeout(() => this.pollDrain(), DRAIN_POLL_MS);
    return false;
  }

  /** The close frame goes out after everything queued, and the promise settles once the peer answered it. */
  end(): Promise<void> {
    if (this.done) return Promise.resolve();
    return new Promise((resolve) => {
      this.ended.push(resolve);
      this.socket.close(1000);
    });
  }

  destroy(): void {
    const terminate = (this.socket as { terminate?: () => void }).terminate;
    if (typeof terminate === "function") terminate.call(this.socket);
    else this.socket.close(1000);
    this.finish(undefined);
  }

  private pollDrain(): void {
    this.drainTimer = undefined;
    if (this.done) return;
    if (this.socket.bufferedAmount < this.highWaterBytes / 2) this.handlers.drain();
    else this.drainTimer = setTimeout(() => this.pollDrain(), DRAIN_POLL_MS);
  }

  private close(error: Error): void {
    this.socket.close(1003);
    this.finish(error);
  }

  private finish(error: Error | undefined): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.drainTimer);
    this.socket.onmessage = this.socket.onclose = null;
    for (const resolve of this.ended) resolve();
    this.ended = [];
    this.handlers.closed(error);
  }
}
