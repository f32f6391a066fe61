import { EventEmitter } from "node:events";
import {
  BROKER_IDS_PATH,
  brokerIdPath,
  parseBrokerRegistration,
  parsePartitionCount,
  topicBrokerPath,
  topicPath,
  type BrokerInfo,
  type BrokerPartition,
  type ZooKeeperSession,
} from "@k07/zookeeper";

/**
 * What ZooKeeper says about a 0.7 cluster, kept current with watches: the registered brokers
 * (`/brokers/ids`) and, per topic asked for, which brokers have it with how many partitions
 * (`/brokers/topics/<topic>/<brokerId>`). Re-read after a ZooKeeper session expiry.
 *
 * Events: `brokers` (the broker set changed), `topic` (topic name: its brokers or counts changed).
 */
export class ClusterView extends EventEmitter {
  private brokerMap = new Map<number, BrokerInfo>();
  private readonly topics = new Map<string, Map<number, number>>();
  private closed = false;
  private readonly scheduled = new Set<string>();
  /** Producer-order partition lists, dropped whenever brokers or the topic change. */
  private readonly partitionLists = new Map<string, readonly BrokerPartition[]>();
  private bootstrapList: readonly BrokerPartition[] | undefined;
  /** Paths with a watch set and not yet fired: ZooKeeper watches are one-shot, and setting one twice would fire twice. */
  private readonly watching = new Set<string>();

  private constructor(readonly zk: ZooKeeperSession) {
    super();
  }

  static async open(zk: ZooKeeperSession): Promise<ClusterView> {
    const view = new ClusterView(zk);
    await view.readBrokers();
    zk.on("session", () => {
      void view.readBrokers().catch(() => {});
      for (const topic of view.topics.keys()) void view.readTopic(topic).catch(() => {});
    });
    return view;
  }

  /** Registered brokers by id. */
  get brokers(): ReadonlyMap<number, BrokerInfo> {
    return this.brokerMap;
  }

  /**
   * The broker-partitions of a topic in the producer's order (protocol §9.1): numerically by broker id,
   * then partition; only brokers that registered the topic and are still registered. Empty when no
   * broker has it yet. The first call starts watching the topic.
   */
  async topicPartitions(topic: string): Promise<readonly BrokerPartition[]> {
    if (!this.topics.has(topic)) await this.readTopic(topic);
    return this.knownTopicPartitions(topic)!;
  }

  /**
   * The same, synchronously, for a topic already being watched (undefined otherwise). The list is
   * computed once per change of the cluster, not per call: producers ask for every message.
   */
  knownTopicPartitions(topic: string): readonly BrokerPartition[] | undefined {
    const cached = this.partitionLists.get(topic);
    if (cached !== undefined) return cached;
    const counts = this.topics.get(topic);
    if (counts === undefined) return undefined;
    const result: BrokerPartition[] = [];
    for (const brokerId of [...counts.keys()].sort((a, b) => a - b)) {
      if (!this.brokerMap.has(brokerId)) continue;
      for (let partition = 0; partition < counts.get(brokerId)!; partition++) result.push(Object.freeze({ brokerId, partition }));
    }
    Object.freeze(result);
    this.partitionLists.set(topic, result);
    return result;
  }

  /** Partition 0 of every registered broker, by id: where a new topic goes first (protocol §9.1, §9.3). */
  bootstrapPartitions(): readonly BrokerPartition[] {
    this.bootstrapList ??= Object.freeze(
      [...this.brokerMap.keys()].sort((a, b) => a - b).map((brokerId) => Object.freeze({ brokerId, partition: 0 })),
    );
    return this.bootstrapList;
  }

  close(): void {
    this.closed = true;
    this.removeAllListeners();
  }

  /** A watcher for `path`, or undefined when one is already set there. */
  private watcher(path: string, key: string, read: () => Promise<void>): (() => void) | undefined {
    if (this.watching.has(path)) return undefined;
    this.watching.add(path);
    return () => {
      this.watching.delete(path);
      this.schedule(key, read);
    };
  }

  /** Coalesces the watch notifications of one burst of changes into one re-read. */
  private schedule(key: string, read: () => Promise<void>): void {
    if (this.scheduled.has(key) || this.closed) return;
    this.scheduled.add(key);
    setTimeout(() => {
      this.scheduled.delete(key);
      read().catch(() => {});
    }, 0);
  }

  private async readBrokers(): Promise<void> {
    if (this.closed) return;
    const ids = await this.zk.children(
      BROKER_IDS_PATH,
      this.watcher(`children:${BROKER_IDS_PATH}`, "", () => this.readBrokers()),
    );
    const next = new Map<number, BrokerInfo>();
    for (const name of ids) {
      const id = Number(name);
      if (!Number.isInteger(id)) continue;
      const value = await this.zk.read(brokerIdPath(id));
      if (typeof value !== "string") continue;
      try {
        next.set(id, parseBrokerRegistration(id, value));
      } catch {
        // An unreadable registration is ignored, as a 0.7 client would fail on it.
      }
    }
    const changed =
      next.size !== this.brokerMap.size ||
      [...next].some(([id, b]) => {
        const old = this.brokerMap.get(id);
        return old === undefined || old.host !== b.host || old.port !== b.port || old.creatorId !== b.creatorId;
      });
    this.brokerMap = next;
    if (changed) {
      this.partitionLists.clear();
      this.bootstrapList = undefined;
    }
    if (changed && !this.closed) this.emit("brokers");
  }

  private async readTopic(topic: string): Promise<void> {
    if (this.closed) return;
    const reread = () => this.readTopic(topic);
    const brokerIds = await this.zk.children(topicPath(topic), this.watcher(`children:${topicPath(topic)}`, topic, reread));
    const counts = new Map<number, number>();
    for (const name of brokerIds) {
      const id = Number(name);
      const path = topicBrokerPath(topic, id);
      const value = await this.zk.read(path, this.watcher(`data:${path}`, topic, reread));
      const count = parsePartitionCount(value);
      if (Number.isInteger(id) && count !== undefined) counts.set(id, count);
    }
    const old = this.topics.get(topic);
    this.topics.set(topic, counts);
    this.partitionLists.delete(topic);
    const changed = old === undefined || old.size !== counts.size || [...counts].some(([id, n]) => old.get(id) !== n);
    if (changed && old !== undefined && !this.closed) this.emit("topic", topic);
  }
}
