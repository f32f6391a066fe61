import { optionalInteger } from "@k07/codec";
import type { NodeClientOptions } from "@k07/transport-node";
import { MAX_STREAMS, normaliseTopicPattern, type Subscription } from "./subscription.ts";
import type { GroupEvent } from "./events.ts";

/** Settings of a group member; names follow 0.7's consumer properties where one exists. */
export interface GroupConsumerOptions {
  /** ZooKeeper connect string, `host:port[,host:port][/chroot]` (`zk.connect`). */
  readonly zookeeper: string;
  /** The group (`groupid`). */
  readonly group: string;
  /** Static subscription: topic → number of streams (threads) this member takes part with. */
  readonly topics?: Readonly<Record<string, number>>;
  /** Wildcard subscription: every registered topic matching this regex (`,` means `|`, as in 0.7). */
  readonly whitelist?: string;
  /** Wildcard subscription: every registered topic NOT matching this regex. */
  readonly blacklist?: string;
  /** Streams per topic for a whitelist or blacklist. Default 1. */
  readonly streams?: number;
  /** Member id suffix (`consumerid`): the id becomes `<group>_<consumerId>`. Default `<host>-<ms>-<8 hex>`. */
  readonly consumerId?: string;
  /** Where to start a partition with no committed offset: `smallest` (default) or `largest` (`autooffset.reset`). */
  readonly autoOffsetReset?: "smallest" | "largest";
  /** Commit offsets every `autoCommitIntervalMs` (`autocommit.enable`). Default true. */
  readonly autoCommit?: boolean;
  /** Default 10,000 (`autocommit.interval.ms`). */
  readonly autoCommitIntervalMs?: number;
  /** Tries per rebalance, in total (`rebalance.retries.max`). Default 4. */
  readonly rebalanceRetries?: number;
  /** Wait after a failed try (`rebalance.backoff.ms`, 0.7 uses the ZooKeeper sync time). Default 2,000. */
  readonly rebalanceBackoffMs?: number;
  /** Bytes per partition per fetch (`fetch.size`). Default 307,200. */
  readonly fetchSize?: number;
  /** Fetched bytes held for the application at most, beyond one fetch per broker. Default 10 × fetchSize (`queuedchunks.max`). */
  readonly maxQueuedBytes?: number;
  /** First wait before polling again when nothing new arrived, doubled up to `fetchBackoffMaxMs`. Default 100. */
  readonly fetchBackoffMs?: number;
  /** Default 1,000 (`backoff.increment.ms`). */
  readonly fetchBackoffMaxMs?: number;
  /** ZooKeeper session timeout (`zk.sessiontimeout.ms`). Default 6,000. */
  readonly sessionTimeoutMs?: number;
  /** Options of the broker clients (timeouts, CRC checks, decompression cap). */
  readonly clientOptions?: NodeClientOptions;
  /** Called for rebalances, ownership conflicts, offset resets, commits and errors. */
  readonly onEvent?: (event: GroupEvent) => void;
}

export interface ResolvedGroupOptions {
  readonly zookeeper: string;
  readonly group: string;
  readonly subscription: Subscription;
  readonly consumerId: string | undefined;
  readonly autoOffsetReset: "smallest" | "largest";
  readonly autoCommit: boolean;
  readonly autoCommitIntervalMs: number;
  readonly rebalanceRetries: number;
  readonly rebalanceBackoffMs: number;
  readonly fetchSize: number;
  readonly maxQueuedBytes: number;
  readonly fetchBackoffMs: number;
  readonly fetchBackoffMaxMs: number;
  readonly sessionTimeoutMs: number;
  readonly clientOptions: NodeClientOptions;
  readonly onEvent: (event: GroupEvent) => void;
}

/** Settings are int32-sized unless said otherwise. */
const integer = (name: string, value: unknown, fallback: number, min: number, max = 0x7fff_ffff) => optionalInteger(name, value, fallback, min, max);

/** Checks every option and applies 0.7's defaults; throws TypeError/RangeError on a mistake. */
export function resolveGroupOptions(options: GroupConsumerOptions): ResolvedGroupOptions {
  if (options === null || typeof options !== "object") throw new TypeError("GroupConsumer options must be an object");
  if (typeof options.zookeeper !== "string" || options.zookeeper === "") throw new TypeError("zookeeper (a connect string) is required");
  // 0.7 puts the group and member id into znode names: a slash would change the layout.
  if (typeof options.group !== "string" || !/^[^/\s]+$/.test(options.group))
    throw new TypeError(`group must be a non-empty name without "/" or spaces, got ${String(options.group)}`);
  if (options.consumerId !== undefined && (typeof options.consumerId !== "string" || !/^[^/\s]+$/.test(options.consumerId))) {
    throw new TypeError(`consumerId must be a non-empty name without "/" or spaces, got ${String(options.consumerId)}`);
  }
  const chosen = [options.topics, options.whitelist, options.blacklist].filter((x) => x !== undefined).length;
  if (chosen !== 1) throw new TypeError("give exactly one of topics ({ topic: streams }), whitelist or blacklist");
  let subscription: Subscription;
  if (options.topics !== undefined) {
    const entries = Object.entries(options.topics);
    if (entries.length === 0) throw new TypeError("topics must name at least one topic");
    for (const [topic, streams] of entries) {
      if (topic === "" || topic.includes("/")) throw new TypeError(`bad topic name ${JSON.stringify(topic)}`);
      integer(`topics[${JSON.stringify(topic)}]`, streams, 1, 1, MAX_STREAMS);
    }
    subscription = { kind: "static", topics: Object.freeze({ ...options.topics }) };
  } else {
    const raw = (options.whitelist ?? options.blacklist)!;
    if (typeof raw !== "string" || raw.trim() === "") throw new TypeError("whitelist/blacklist must be a non-empty regex");
    const pattern = normaliseTopicPattern(raw);
    try {
      new RegExp(pattern);
    } catch (error) {
      throw new TypeError(`not a valid topic regex: ${JSON.stringify(raw)} (${(error as Error).message})`, { cause: error });
    }
    subscription = {
      kind: options.whitelist !== undefined ? "whitelist" : "blacklist",
      streams: integer("streams", options.streams, 1, 1, MAX_STREAMS),
      pattern,
    };
  }
  if (options.autoOffsetReset !== undefined && options.autoOffsetReset !== "smallest" && options.autoOffsetReset !== "largest") {
    throw new RangeError(`autoOffsetReset must be "smallest" or "largest", got ${String(options.autoOffsetReset)}`);
  }
  const fetchSize = integer("fetchSize", options.fetchSize, 307_200, 64, 100 * 1024 * 1024);
  const fetchBackoffMs = integer("fetchBackoffMs", options.fetchBackoffMs, 100, 1);
  return {
    zookeeper: options.zookeeper,
    group: options.group,
    subscription,
    consumerId: options.consumerId,
    autoOffsetReset: options.autoOffsetReset ?? "smallest",
    autoCommit: options.autoCommit ?? true,
    autoCommitIntervalMs: integer("autoCommitIntervalMs", options.autoCommitIntervalMs, 10_000, 1),
    rebalanceRetries: integer("rebalanceRetries", options.rebalanceRetries, 4, 1),
    rebalanceBackoffMs: integer("rebalanceBackoffMs", options.rebalanceBackoffMs, 2_000, 0),
    fetchSize,
    maxQueuedBytes: integer("maxQueuedBytes", options.maxQueuedBytes, 10 * fetchSize, 1, Number.MAX_SAFE_INTEGER),
    fetchBackoffMs,
    fetchBackoffMaxMs: integer("fetchBackoffMaxMs", options.fetchBackoffMaxMs, 1_000, fetchBackoffMs),
    sessionTimeoutMs: integer("sessionTimeoutMs", options.sessionTimeoutMs, 6_000, 1),
    clientOptions: options.clientOptions ?? {},
    onEvent: options.onEvent ?? (() => {}),
  };
}
