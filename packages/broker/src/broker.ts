import { Buffer } from "node:buffer";
import { createServer, type Server, type Socket } from "node:net";
import { setAllocator } from "@k07/codec";
import { BrokerRegistration, ZooKeeperSession } from "@k07/zookeeper";
import { BrokerConnection } from "./connection.ts";
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
 * Starts an embedded Kafka 0.7.2 broker (spec §13): no reply to produce, deep validation, raw log
 * slices on fetch, segment-boundary offsets, and 0.7's on-disk layout when given a `dataDir`.
 */
export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const resolved = resolveBrokerOptions(options);
  // Produce frames that span socket reads are assembled in buffers the decoder fills completely:
  // no need to zero them first (a measurable share of the broker's time on large produces).
  setAllocator((size) => (size >= 4096 ? new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size) : new Uint8Array(size)));
  const now = () => Date.now();
  const logs = new LogManager({ ...resolved, now });
  const handler = new RequestHandler(logs, { ...resolved, now, random: Math.random });
  const sockets = new Set<Socket>();
  const report = resolved.onEvent ?? (() => {});
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    new BrokerConnection(socket, handler, resolved.maxRequestBytes, report);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const timers: NodeJS.Timeout[] = [];
  if (resolved.flushIntervalMs > 0) timers.push(setInterval(() => logs.flushAll(), resolved.flushIntervalMs).unref());
  timers.push(setInterval(() => logs.enforceRetention(), resolved.retentionCheckIntervalMs).unref());
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : resolved.port;
  let zookeeper: ZooKeeperSession | undefined;
  if (resolved.zookeeper !== undefined) {
    try {
      zookeeper = await ZooKeeperSession.connect(resolved.zookeeper, { sessionTimeoutMs: resolved.zookeeperSessionTimeoutMs });
      const registration = await BrokerRegistration.register(zookeeper, {
        brokerId: resolved.brokerId!,
        host: resolved.advertisedHost ?? resolved.host,
        port,
        topics: () => logs.topics().map((topic) => [topic, logs.partitionCount(topic)] as const),
        onError: (error) => report({ kind: "zookeeper-error", remote: resolved.zookeeper!, reason: error.message }),
      });
      logs.onTopicCreated = (topic) => {
        registration.registerTopic(topic, logs.partitionCount(topic)).catch((error: Error) =>
          report({ kind: "zookeeper-error", remote: resolved.zookeeper!, reason: error.message }),
        );
      };
    } catch (error) {
      for (const timer of timers) clearInterval(timer);
      await zookeeper?.close();
      await new Promise((resolve) => server.close(resolve));
      logs.close();
      throw error;
    }
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
        for (const timer of timers) clearInterval(timer);
        // Leave ZooKeeper first: clients stop routing here at once (the ephemeral nodes vanish).
        await zookeeper?.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        });
        // A produce still being validated must not append to closed logs.
        handler.close();
        logs.close();
      })();
      return closing;
    },
  };
}
