import { optionalInteger, resolveHooks, type Allocator, type Crc32Function } from "@k07/codec";
import { nodeHooks } from "@k07/node-hooks";

/** Settings of the embedded broker; names follow 0.7.2's `server.properties` where one exists. */
export interface BrokerOptions {
  /** Address to listen on. Default "127.0.0.1". */
  readonly host?: string;
  /** Port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Folder for 0.7's on-disk layout; absent keeps the logs in memory. */
  readonly dataDir?: string;
  /** Partitions per topic (`num.partitions`). Default 1. */
  readonly numPartitions?: number;
  /** Per-topic partition counts (`topic.partition.count.map`). */
  readonly topicPartitions?: Readonly<Record<string, number>>;
  /** Largest payload accepted; larger ones are dropped silently (`max.message.size`). Default 1,000,000. */
  readonly maxMessageSize?: number;
  /** Largest request frame; larger or ≤ 0 closes the connection (`max.socket.request.bytes`). Default 104,857,600. */
  readonly maxRequestBytes?: number;
  /** Segment roll size (`log.file.size`). Default 1 GiB. */
  readonly segmentBytes?: number;
  /** Segment roll age in ms (`log.roll.hours`). Default 168 h. */
  readonly segmentMs?: number;
  /** Messages between flushes: only flushed data is visible (protocol §7.1). Default 1: every message visible at once. */
  readonly flushIntervalMessages?: number;
  /** Flush every log this often, in ms (`log.default.flush.interval.ms`); 0 = never by time. Default 0. */
  readonly flushIntervalMs?: number;
  /** Delete old segments beyond this many bytes per partition; −1 (default) = no limit. */
  readonly retentionBytes?: number;
  /** Delete segments older than this many ms; default 168 h; −1 = forever. */
  readonly retentionMs?: number;
  /** How often retention is enforced, in ms. Default 60,000. */
  readonly retentionCheckIntervalMs?: number;
  /** fsync segment files on flush. Default false (data reaches the OS at once; fsync costs latency). */
  readonly fsync?: boolean;
  /**
   * Decompression budget of one produce request's validation: bytes inflated across all its
   * wrappers plus 64 bytes per message inside them. Past it the produce is invalid (the connection
   * is closed). Default 64 MiB.
   */
  readonly maxDecompressedBytes?: number;
  /**
   * Register in ZooKeeper as a 0.7.2 broker does (protocol §9): a connect string (`host:port[/chroot]`).
   * Requires `brokerId`. Without it the broker runs alone (`enable.zookeeper=false`).
   */
  readonly zookeeper?: string;
  /** This broker's id in the cluster (`brokerid`). */
  readonly brokerId?: number;
  /** Host to register for clients (0.7's `hostname`); default the listen host. */
  readonly advertisedHost?: string;
  /** ZooKeeper session timeout in ms (`zk.sessiontimeout.ms`, default 6000). */
  readonly zookeeperSessionTimeoutMs?: number;
  /**
   * The CRC-32 that checks produced messages and, at start, the last segment of each log. Default
   * `nodeHooks.crc32` of `@k07/node-hooks` (native `node:zlib` crc32 from 512 bytes up).
   */
  readonly crc32?: Crc32Function;
  /** Supplies the buffers request frames spanning socket reads are assembled in. Default `nodeHooks.allocate` (uninitialised from 4 KiB). */
  readonly allocate?: Allocator;
  /** Called when the broker closes a connection or drops a produce, with the reason. */
  readonly onEvent?: (event: import("./connection.ts").ConnectionEvent) => void;
}

/** Options with every default applied and every value checked. */
export type ResolvedBrokerOptions = Required<
  Omit<BrokerOptions, "dataDir" | "onEvent" | "zookeeper" | "brokerId" | "advertisedHost" | "zookeeperSessionTimeoutMs">
> &
  Pick<BrokerOptions, "dataDir" | "onEvent" | "zookeeper" | "brokerId" | "advertisedHost" | "zookeeperSessionTimeoutMs">;

const HOUR = 60 * 60 * 1000;

const integer = optionalInteger;

export function resolveBrokerOptions(options: BrokerOptions = {}): ResolvedBrokerOptions {
  if (options === null || typeof options !== "object") throw new TypeError("broker options must be an object");
  const topicPartitions = options.topicPartitions ?? {};
  for (const [topic, count] of Object.entries(topicPartitions)) integer(`topicPartitions[${JSON.stringify(topic)}]`, count, 1, 1, 0x7fff_ffff);
  if (options.dataDir !== undefined && (typeof options.dataDir !== "string" || options.dataDir === "")) {
    throw new TypeError("dataDir must be a non-empty path");
  }
  return {
    host: options.host ?? "127.0.0.1",
    port: integer("port", options.port, 0, 0, 65535),
    dataDir: options.dataDir,
    numPartitions: integer("numPartitions", options.numPartitions, 1, 1, 0x7fff_ffff),
    topicPartitions: Object.freeze({ ...topicPartitions }),
    maxMessageSize: integer("maxMessageSize", options.maxMessageSize, 1_000_000, 0, 0x7fff_ffff),
    maxRequestBytes: integer("maxRequestBytes", options.maxRequestBytes, 104_857_600, 1, 0x7fff_ffff),
    segmentBytes: integer("segmentBytes", options.segmentBytes, 1024 * 1024 * 1024, 1),
    segmentMs: integer("segmentMs", options.segmentMs, 168 * HOUR, 1),
    flushIntervalMessages: integer("flushIntervalMessages", options.flushIntervalMessages, 1, 1),
    flushIntervalMs: integer("flushIntervalMs", options.flushIntervalMs, 0, 0),
    retentionBytes: integer("retentionBytes", options.retentionBytes, -1, -1),
    retentionMs: integer("retentionMs", options.retentionMs, 168 * HOUR, -1),
    retentionCheckIntervalMs: integer("retentionCheckIntervalMs", options.retentionCheckIntervalMs, 60_000, 1),
    fsync: options.fsync ?? false,
    maxDecompressedBytes: integer("maxDecompressedBytes", options.maxDecompressedBytes, 64 * 1024 * 1024, 1),
    onEvent: options.onEvent,
    zookeeper: options.zookeeper,
    brokerId: options.zookeeper === undefined ? options.brokerId : integer("brokerId", options.brokerId ?? Number.NaN, 0, 0, 0x7fff_ffff),
    advertisedHost: options.advertisedHost,
    zookeeperSessionTimeoutMs: integer("zookeeperSessionTimeoutMs", options.zookeeperSessionTimeoutMs, 6000, 1),
    ...resolveHooks({ crc32: options.crc32 ?? nodeHooks.crc32, allocate: options.allocate ?? nodeHooks.allocate }),
  };
}
