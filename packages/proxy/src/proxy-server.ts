import { connect, createServer, type Server, type Socket } from "node:net";
import { DEFAULT_MAX_FRAME_BYTES, optionalInteger } from "@k07/codec";
import { writeCorked } from "./corked-write.ts";
import { holdUntilBothClose } from "./socket-pairs.ts";
import type { ProxyPolicy } from "./policy.ts";
import { DEFAULT_MAX_TOPICS, ProxySession, type ProxyActions, type ProxyLogEntry, type TopicCounters } from "./proxy-session.ts";

export interface ProxyOptions {
  /** Where to listen. Default 127.0.0.1, port 0 (a free port). */
  readonly host?: string;
  readonly port?: number;
  /** The broker to forward to. */
  readonly brokerHost: string;
  readonly brokerPort: number;
  /** Topic allow lists per operation. Default: everything allowed. */
  readonly policy?: ProxyPolicy;
  /** Largest request frame let through (default 104,857,600, the broker's). */
  readonly maxFrameBytes?: number;
  /**
   * Most topics counted by name (default 1,000): the first ones seen; requests for any later topic
   * are summed under OTHER_TOPICS (""), so the counters stay bounded whatever names clients send.
   */
  readonly maxTopics?: number;
  /** One call per request (and per part of a multi-request). */
  readonly log?: (entry: ProxyLogEntry) => void;
  /** Called when the proxy closes a client's connection, with why. */
  readonly onClose?: (client: string, reason: string) => void;
  /** Counters shared with another listener of the same proxy (its WebSocket one). Default: its own. */
  readonly counters?: Map<string, TopicCounters>;
}

export interface Proxy {
  readonly host: string;
  readonly port: number;
  readonly address: string;
  /** Requests and bytes per topic since the start: at most `maxTopics` names, plus OTHER_TOPICS ("") for the rest. */
  counters(): ReadonlyMap<string, Readonly<TopicCounters>>;
  /** Bytes waiting in the proxy's socket buffers (bounded by backpressure). */
  bufferedBytes(): number;
  close(): Promise<void>;
}

/** What every connection of one proxy shares: the counters, and the open client/broker pairs. */
interface ProxyState {
  readonly options: ProxyOptions;
  readonly counters: Map<string, TopicCounters>;
  readonly maxTopics: number;
  readonly pairs: Set<SocketPair>;
}

/** A client's connection and the broker connection opened for it. */
interface SocketPair {
  readonly client: Socket;
  readonly broker: Socket;
}

/** `options.maxTopics`, checked (once per listener, before it listens). */
export function checkMaxTopics(options: ProxyOptions): number {
  return optionalInteger("maxTopics", options.maxTopics, DEFAULT_MAX_TOPICS, 0);
}

/** The protocol logic for one client connection of a proxy (TCP or WebSocket alike). */
export function proxySession(options: ProxyOptions, client: string, counters: Map<string, TopicCounters>, maxTopics: number): ProxySession {
  return new ProxySession({
    client,
    policy: options.policy ?? {},
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    log: options.log,
    counters,
    maxTopics,
  });
}

/**
 * Starts a protocol-aware Kafka 0.7 proxy: one broker connection per client connection, frames
 * forwarded as received, allow lists enforced, and backpressure end to end (a side that does not
 * read pauses the other side instead of filling memory).
 */
export async function startProxy(options: ProxyOptions): Promise<Proxy> {
  const state: ProxyState = {
    options,
    counters: options.counters ?? new Map<string, TopicCounters>(),
    maxTopics: checkMaxTopics(options),
    pairs: new Set(),
  };
  const server = createServer((client) => forwardConnection(client, state));
  const host = options.host ?? "127.0.0.1";
  const port = await listen(server, host, options.port ?? 0);
  return proxyHandle(server, host, port, state);
}

/** Opens the broker connection for a new client and forwards between the two through a `ProxySession`. */
function forwardConnection(client: Socket, state: ProxyState): void {
  const { options } = state;
  const name = `${client.remoteAddress}:${client.remotePort}`;
  const broker = connect({ host: options.brokerHost, port: options.brokerPort });
  // Responses are forwarded piece by piece as they arrive: Nagle's algorithm would hold the last
  // piece of each back for the peer's delayed ACK.
  client.setNoDelay(true);
  broker.setNoDelay(true);
  const pair: SocketPair = { client, broker };
  holdUntilBothClose(state.pairs, pair, [client, broker]);
  const session = proxySession(options, name, state.counters, state.maxTopics);
  let closed = false;
  const shutdown = (reason: string) => {
    if (closed) return;
    closed = true;
    options.onClose?.(name, reason);
    // Each side first gets what was accepted for it: the answers owed to the client, and for the
    // broker the parts of a MultiProduce before a refused one.
    client.end(() => client.destroy());
    broker.end(() => broker.destroy());
  };
  const apply = (actions: ProxyActions) => {
    writeAll(broker, actions.toBroker, client);
    writeAll(client, actions.toClient, broker);
    if (actions.close !== undefined) shutdown(actions.close);
  };
  // Nothing is read from the client until its broker connection is up.
  client.pause();
  broker.once("connect", () => client.resume());
  client.on("data", (chunk: Buffer) => apply(session.fromClient(chunk)));
  broker.on("data", (chunk: Buffer) => apply(session.fromBroker(chunk)));
  broker.on("drain", () => client.resume());
  client.on("drain", () => broker.resume());
  client.on("error", () => {});
  broker.on("error", (error) => shutdown(`broker connection failed: ${error.message}`));
  client.on("close", () => shutdown("client closed"));
  broker.on("close", () => shutdown("broker closed the connection"));
}

/**
 * Writes `chunks` to `target` in one corked batch; when `target`'s buffer is full, pauses `source`
 * (the side they came from) until `target` drains.
 */
function writeAll(target: Socket, chunks: readonly Uint8Array[], source: Socket): void {
  if (chunks.length > 0 && !writeCorked(target, chunks)) source.pause();
}

/** Listens on host:port (port 0: a free one) and resolves with the port; rejects if listening fails. */
function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve((server.address() as { port: number }).port));
  });
}

/** The running proxy as its caller sees it. */
function proxyHandle(server: Server, host: string, port: number, state: ProxyState): Proxy {
  return {
    host,
    port,
    address: `${host}:${port}`,
    counters: () => state.counters,
    bufferedBytes() {
      let total = 0;
      for (const { client, broker } of state.pairs) total += client.writableLength + broker.writableLength;
      return total;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { client, broker } of state.pairs) {
          client.destroy();
          broker.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
