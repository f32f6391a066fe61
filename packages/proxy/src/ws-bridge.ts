import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { checkMaxTopics, proxySession, type Proxy, type ProxyOptions } from "./proxy-server.ts";
import type { ProxyActions, TopicCounters } from "./proxy-session.ts";
import { writeCorked } from "./corked-write.ts";
import { holdUntilBothClose } from "./socket-pairs.ts";
import { serveStatic, type StaticFiles } from "./static-files.ts";

/** Default largest WebSocket message a page may send (the k07 client sends at most 64 KiB per message). */
export const DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES = 1024 * 1024;

/** Bytes queued towards a page above which the proxy stops reading from the broker until they are sent. */
export const WEBSOCKET_HIGH_WATER_BYTES = 1024 * 1024;

export interface WebSocketProxyOptions extends ProxyOptions {
  /**
   * Origins (`scheme://host:port`) of pages allowed to connect besides the proxy's own, or "*" for
   * any. Default none: a page from another site is refused, so it cannot use a browser on the
   * proxy's network as its way in. Clients that send no Origin (not browsers) are let through.
   */
  readonly allowOrigins?: readonly string[];
  /** Largest WebSocket message accepted; a larger one closes the connection with 1009. Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Static files served over HTTP on the same port (the page, and the browser bundle). */
  readonly files?: StaticFiles;
}

/** Close codes the bridge uses, with what they tell the page. */
const CLOSE = {
  /** The broker closed its connection: the clean end, as a TCP FIN is for a direct client. */
  brokerClosed: 1000,
  proxyStopping: 1001,
  /** Text instead of binary. */
  unsupportedData: 1003,
  /** A request the proxy refused (a denied topic, a malformed frame). */
  refused: 1008,
  /** The broker could not be reached, or failed. */
  brokerFailed: 1011,
} as const;

/**
 * Starts a WebSocket listener for the proxy: each WebSocket is bridged to its own TCP connection to
 * the broker through a ProxySession, exactly as a TCP client is, so allow lists, the request log,
 * the counters and the rule that malformed frames never reach the broker apply unchanged. Binary
 * messages carry the 0.7 byte stream in any chunking. Backpressure both ways: a page that does not
 * read pauses the broker socket, a broker that does not read pauses the WebSocket.
 */
export async function startWebSocketProxy(options: WebSocketProxyOptions): Promise<Proxy> {
  const counters = options.counters ?? new Map<string, TopicCounters>();
  const maxTopics = checkMaxTopics(options);
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 1)
    throw new RangeError(`maxMessageBytes must be a positive integer, got ${String(maxMessageBytes)}`);
  const bridges = new Set<{ page: WebSocket; broker: Socket }>();
  const sockets = new Set<Duplex>();
  const webSockets = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes, perMessageDeflate: false });
  const server: Server = createServer((request, response) => {
    if (options.files === undefined) {
      response.writeHead(426, { "content-type": "text/plain" }).end("k07 proxy: connect with a WebSocket\n");
    } else {
      void serveStatic(options.files, request, response);
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => {});
    const refusal = originRefusal(request, options.allowOrigins ?? []);
    if (refusal !== undefined) {
      options.onClose?.(clientName(request), refusal);
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${refusal}\n`);
      return;
    }
    webSockets.handleUpgrade(request, socket, head, (page) => bridge(page, request));
  });

  function bridge(page: WebSocket, request: IncomingMessage): void {
    const name = clientName(request);
    const broker = connect({ host: options.brokerHost, port: options.brokerPort });
    broker.setNoDelay(true);
    const pair = { page, broker };
    holdUntilBothClose(bridges, pair, [page, broker]);
    const session = proxySession(options, name, counters, maxTopics);
    let closed = false;
    let brokerPaused = false;
    const shutdown = (reason: string, code: number) => {
      if (closed) return;
      closed = true;
      options.onClose?.(name, reason);
      // The close frame goes out after what is queued; its reason is limited to 123 bytes. The
      // broker first gets what was accepted for it (the parts of a MultiProduce before a refused one).
      page.close(code, truncateUtf8(reason, 123));
      // Read the page's answer to the close frame even if it was paused (for backpressure, or for a
      // broker connection that never came up): else the closing handshake waits for ws's timeout.
      page.resume();
      broker.end(() => broker.destroy());
    };
    const resumeBrokerIfSent = () => {
      if (brokerPaused && page.bufferedAmount < WEBSOCKET_HIGH_WATER_BYTES / 2) {
        brokerPaused = false;
        broker.resume();
      }
    };
    const apply = (actions: ProxyActions) => {
      if (actions.toBroker.length > 0 && !writeCorked(broker, actions.toBroker)) page.pause();
      if (actions.toClient.length > 0 && !closed) {
        // One message per batch, its pieces (a size prefix, then views of the broker's bytes) sent as
        // that message's fragments: they travel together and are never copied into one buffer.
        const pieces = actions.toClient;
        const last = pieces.length - 1;
        for (let i = 0; i <= last; i++) page.send(pieces[i]!, { binary: true, fin: i === last }, i === last ? resumeBrokerIfSent : undefined);
        if (page.bufferedAmount >= WEBSOCKET_HIGH_WATER_BYTES && !brokerPaused) {
          brokerPaused = true;
          broker.pause();
        }
      }
      if (actions.close !== undefined) shutdown(actions.close, brokerFault(actions.close) ? CLOSE.brokerFailed : CLOSE.refused);
    };
    page.pause();
    broker.once("connect", () => page.resume());
    page.on("message", (data: RawData, isBinary: boolean) => {
      if (!isBinary) return shutdown(`text message from ${name}: the k07 bridge carries binary messages only`, CLOSE.unsupportedData);
      apply(session.fromClient(data as Buffer));
    });
    broker.on("data", (chunk: Buffer) => apply(session.fromBroker(chunk)));
    broker.on("drain", () => page.resume());
    page.on("error", (error) => shutdown(`WebSocket error from ${name}: ${error.message}`, CLOSE.refused));
    broker.on("error", (error) => shutdown(`broker connection failed: ${error.message}`, CLOSE.brokerFailed));
    page.on("close", () => shutdown("client closed", CLOSE.brokerClosed));
    broker.on("close", () => shutdown("broker closed the connection", CLOSE.brokerClosed));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const host = options.host ?? "127.0.0.1";
  const port = (server.address() as { port: number }).port;
  return {
    host,
    port,
    address: `${host}:${port}`,
    counters: () => counters,
    bufferedBytes() {
      let total = 0;
      for (const { page, broker } of bridges) total += page.bufferedAmount + broker.writableLength;
      return total;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { page, broker } of bridges) {
          page.close(CLOSE.proxyStopping, "k07 proxy stopping");
          page.terminate();
          broker.destroy();
        }
        for (const socket of sockets) socket.destroy();
        webSockets.close();
        server.close(() => resolve());
      }),
  };
}

/** `ws://` clients are named like TCP ones in the log: address and port. */
function clientName(request: IncomingMessage): string {
  return `${request.socket.remoteAddress}:${request.socket.remotePort}`;
}

/**
 * Why a WebSocket from this page's origin is refused, or undefined. A page from the proxy's own
 * origin (the Origin's host is the Host the page connected to), a listed origin, or a client that
 * sends no Origin (not a browser, which always does) may connect.
 */
export function originRefusal(request: IncomingMessage, allowOrigins: readonly string[]): string | undefined {
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  if (allowOrigins.includes("*") || allowOrigins.includes(origin)) return undefined;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host !== undefined && host === request.headers.host) return undefined;
  return `origin ${origin} is not allowed (the proxy serves ${request.headers.host ?? "no host"}; list other origins with --allow-origin)`;
}

/** Whether the session closed because of the broker (its answers made no sense) rather than the page. */
function brokerFault(reason: string): boolean {
  return reason.startsWith("malformed response from the broker") || reason.startsWith("the broker sent");
}

function truncateUtf8(text: string, maxBytes: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= maxBytes) return text;
  let cut = text;
  while (encoder.encode(cut + "…").length > maxBytes) cut = cut.slice(0, -1);
  return cut + "…";
}
