import { createServer, type Server, type Socket } from "node:net";
import type { FrameDecoderOptions } from "@k07/codec";
import { BrokerRegistration, ZooKeeperSession } from "@k07/zookeeper";
import { BrokerConnection, type ConnectionEvent } from "./connection.ts";
import { LogManager } from "./log/log-manager.ts";
import { resolveBrokerOptions, type BrokerOptions, type ResolvedBrokerOptions } from "./options.ts";
import { RequestHandler } from "./request-handler.ts";

/** A running embedded broker. */
export interface Broker {
  readonly host: string;
  readonly port: number;
  /** `host:port`, as clients and the CLI take it. */
  readonly address: string;
  readonly options: ResolvedBrokerOptions;
  /** The logs, for tests and tools (read them, flush them). */
  readonly logs: LogManager;
  /** Flushes every log now (makes appended data visible). */
  flush(): void;
  /** Open client connections. */
  readonly connectionCount: number;
  /** Response bytes written but not yet taken by clients, over every connection (bounded by backpressure). */
  bufferedBytes(): number;
  /** The broker's ZooKeeper session, when it registered in one. */
  readonly zookeeper: ZooKeeperSession | undefined;
  /** Stops listening, closes every connection, flushes and closes the logs (and leaves ZooKeeper at once). */
  close(): Promise<void>;
}

/**
 * Starts an embedded Kafka 0.7.2 broker (protocol §13): no reply to produce, deep validation, raw log
 * slices on fetch, segment-boundary offsets, and 0.7's on-disk layout when given a `dataDir`.
 * If it cannot start (the port is in use, ZooKeeper refuses it) it rejects with the cause and
 * leaves nothing open.
 */
export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const resolved = resolveBrokerOptions(options);
  const now = () => Date.now();
  const logs = new LogManager({ ...resolved, now });
  const report = resolved.onEvent ?? (() => {});
  const handler = new RequestHandler(logs, { ...resolved, now, random: Math.random });
  const { server, sockets } = serve(handler, { maxFrameBytes: resolved.maxRequestBytes, allocate: resolved.allocate }, report);
  let port: number;
  try {
    port = await listen(server, resolved.port, resolved.host);
  } catch (error) {
    logs.close();
    throw error;
  }
  const stopMaintenance = scheduleMaintenance(logs, resolved);
  const stopServing = () => closeServer(server, sockets);
  let zookeeper: ZooKeeperSession | undefined;
  try {
    zookeeper = await joinCluster(logs, resolved, port, report);
  } catch (error) {
    stopMaintenance();
    await stopServing();
    logs.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    host: resolved.host,
    port,
    address: `${resolved.host}:${port}`,
    options: resolved,
    logs,
    zookeeper,
    flush: () => logs.flushAll(),
    get connectionCount() {
      return sockets.size;
    },
    bufferedBytes() {
      let total = 0;
      for (const socket of sockets) total += socket.writableLength;
      return total;
    },
    close() {
      closing ??= (async () => {
        stopMaintenance();
        // Leave ZooKeeper first: clients stop routing here at once (the ephemeral nodes vanish).
        await zookeeper?.close();
        await stopServing();
        // A produce still being validated must not append to closed logs.
        handler.close();
        logs.close();
      })();
      return closing;
    },
  };
}

/** A server (not yet listening) that serves each connection with the handler; `sockets` are the open ones. */
function serve(
  handler: RequestHandler,
  frames: FrameDecoderOptions,
  report: (event: ConnectionEvent) => void,
): { server: Server; sockets: Set<Socket> } {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    new BrokerConnection(socket, handler, frames, report);
  });
  return { server, sockets };
}

/** Listens, resolving with the port (the one picked when `port` is 0); rejects with the system error (EADDRINUSE…). */
function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : port);
    });
  });
}

/** Time-based flushing and retention; returns the function that stops them. */
function scheduleMaintenance(logs: LogManager, options: ResolvedBrokerOptions): () => void {
  const timers: NodeJS.Timeout[] = [];
  if (options.flushIntervalMs > 0) timers.push(setInterval(() => logs.flushAll(), options.flushIntervalMs).unref());
  timers.push(setInterval(() => logs.enforceRetention(), options.retentionCheckIntervalMs).unref());
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}

/** Registers the broker and its topics in ZooKeeper when configured (protocol §9); undefined otherwise. */
async function joinCluster(
  logs: LogManager,
  options: ResolvedBrokerOptions,
  port: number,
  report: (event: ConnectionEvent) => void,
): Promise<ZooKeeperSession | undefined> {
  const connect = options.zookeeper;
  if (connect === undefined) return undefined;
  const reportError = (error: Error) => report({ kind: "zookeeper-error", remote: connect, reason: error.message });
  const zookeeper = await ZooKeeperSession.connect(connect, { sessionTimeoutMs: options.zookeeperSessionTimeoutMs });
  try {
    const registration = await BrokerRegistration.register(zookeeper, {
      brokerId: options.brokerId!,
      host: options.advertisedHost ?? options.host,
      port,
      topics: () => logs.topics().map((topic) => [topic, logs.partitionCount(topic)] as const),
      onError: reportError,
    });
    logs.onTopicCreated = (topic) => {
      registration.registerTopic(topic, logs.partitionCount(topic)).catch(reportError);
    };
    return zookeeper;
  } catch (error) {
    await zookeeper.close();
    throw error;
  }
}

/** Stops listening and closes every open connection. */
function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
}
