import { K07Error, checkTopic, ProduceRequest, createMessage, type CompressionName, type Message } from "@k07/codec";
import { KafkaClient, ProduceNotConfirmedError, type NodeClientOptions } from "@k07/transport-node";
import { ZooKeeperSession, type BrokerPartition } from "@k07/zookeeper";
import { ClusterView } from "./cluster-view.ts";
import { InvalidPartitionError, javaCompatiblePartitioner, type Partitioner } from "./partitioner.ts";

export interface ProducerOptions {
  /** ZooKeeper connect string of the cluster (`zk.connect`): brokers and partitions are discovered and followed. */
  readonly zookeeper?: string;
  readonly zookeeperSessionTimeoutMs?: number;
  /** Or a static broker list (`broker.list`): each batch goes to a broker at random, partition −1 (the broker picks). */
  readonly brokers?: readonly string[];
  /** Key → partition index; default Java-compatible (`abs(hashCode) % n`). Messages without a key go to a random partition. */
  readonly partitioner?: Partitioner;
  /** Most messages per broker batch before it is sent (0.7's `batch.size`, 200). */
  readonly batchSize?: number;
  /** Most payload bytes per broker batch before it is sent. Default 1 MiB. */
  readonly batchBytes?: number;
  /** How long a batch waits for more messages, in ms (`queue.time`); 0 (default) sends at the end of the current tick. */
  readonly lingerMs?: number;
  /** Compress each (topic, partition) batch into one wrapper (`compression.codec`). */
  readonly compression?: CompressionName;
  /** With `compression`: only these topics are compressed (`compressed.topics`); default all. */
  readonly compressedTopics?: readonly string[];
  /** Re-route messages queued for a broker that left the cluster, or whose send failed, instead of failing them. Default false. */
  readonly reroute?: boolean;
  /** Options for each broker connection. */
  readonly client?: NodeClientOptions;
}

/** Messages that could not be delivered because their broker left or failed; nothing is dropped silently. */
export class BrokerUnavailableError extends K07Error {
  constructor(
    message: string,
    /** The messages affected: topic, broker-partition and payload. */
    readonly messages: readonly { topic: string; partition: string; payload: Uint8Array; key: string | undefined }[],
    options?: { cause?: unknown },
  ) {
    super(message, undefined, options);
  }
}

interface Pending {
  readonly topic: string;
  readonly key: string | undefined;
  readonly message: Message;
  partition: number;
  attempts: number;
  resolve(): void;
  reject(error: Error): void;
}

interface Batch {
  entries: Pending[];
  bytes: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  scheduled: boolean;
}

const MAX_ATTEMPTS = 3;

/**
 * A producer for a 0.7 cluster, as 0.7's Java producer behaves (protocol §9.1): it reads the brokers
 * and the topic's broker-partitions from ZooKeeper (numeric order; a new topic starts on partition 0
 * of every broker), picks a partition per key, batches per broker and sends Produce or MultiProduce
 * on one connection per broker. `send` resolves once the message's batch is written; `confirm()`
 * resolves once every broker applied everything sent before it.
 *
 * Nothing is forgotten: a message whose `send` rejected was not sent (a BrokerUnavailableError
 * names it); a message whose `send` resolved is either covered by a `confirm()` that resolved or
 * named by the ProduceNotConfirmedError of exactly one later `confirm()` or `close()` — whatever
 * the order of broker departures, connection failures and concurrent confirms.
 */
export class Producer {
  private readonly options: ProducerOptions;
  private readonly partitioner: Partitioner;
  private readonly batches = new Map<string, Batch>();
  private readonly clients = new Map<string, { client: KafkaClient; address: string }>();
  /** Clients of brokers that left or moved: kept until a confirm closes them, naming what they could not confirm. */
  private readonly retired = new Set<KafkaClient>();
  /** Settles when every confirm (and close) called so far has settled. */
  private confirmsSettled: Promise<void> = Promise.resolve();
  private view: ClusterView | undefined;
  private zk: ZooKeeperSession | undefined;
  private ready: Promise<void> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: ProducerOptions) {
    if ((options.zookeeper === undefined) === (options.brokers === undefined)) {
      throw new TypeError("a Producer needs either zookeeper (a connect string) or brokers (a host:port list)");
    }
    if (options.brokers !== undefined && (!Array.isArray(options.brokers) || options.brokers.length === 0)) {
      throw new TypeError("brokers must be a non-empty list of host:port");
    }
    for (const [name, value] of [
      ["batchSize", options.batchSize],
      ["batchBytes", options.batchBytes],
      ["lingerMs", options.lingerMs],
    ] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < (name === "lingerMs" ? 0 : 1))) {
        throw new RangeError(`${name} must be a ${name === "lingerMs" ? "non-negative" : "positive"} integer, got ${String(value)}`);
      }
    }
    this.options = options;
    this.partitioner = options.partitioner ?? javaCompatiblePartitioner;
  }

  /** Connects to ZooKeeper (done by the first send; call it to fail early). */
  connect(): Promise<void> {
    this.ready ??= (async () => {
      if (this.options.zookeeper === undefined) return;
      this.zk = await ZooKeeperSession.connect(this.options.zookeeper, { sessionTimeoutMs: this.options.zookeeperSessionTimeoutMs });
      this.view = await ClusterView.open(this.zk);
      this.view.on("brokers", () => this.brokersChanged());
    })();
    return this.ready;
  }

  /** The cluster as this producer sees it (ZooKeeper mode). */
  get cluster(): ClusterView | undefined {
    return this.view;
  }

  /** Queues one message; resolves when its batch has been written to its broker. */
  send(topic: string, value: string | Uint8Array, key?: string | null): Promise<void> {
    if (this.closed) return Promise.reject(new K07Error("the producer is closed"));
    if (key !== undefined && key !== null && typeof key !== "string") return Promise.reject(new TypeError("a key must be a string (or null)"));
    let message: Message;
    try {
      checkTopic(topic);
      message = createMessage(value);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      const entry: Pending = { topic, key: key ?? undefined, message, partition: -1, attempts: 0, resolve, reject };
      // The common case (connected, topic known) routes synchronously: no promise turn per message.
      if (this.view !== undefined || this.options.brokers !== undefined) {
        const candidates = this.options.brokers === undefined ? this.view!.knownTopicPartitions(topic) : undefined;
        if (this.options.brokers !== undefined || candidates !== undefined) {
          try {
            this.routeTo(entry, candidates);
          } catch (error) {
            reject(error as Error);
          }
          return;
        }
      }
      this.route(entry).catch(reject);
    });
  }

  /** Sends every queued batch now. */
  async flush(): Promise<void> {
    await Promise.all([...this.batches.keys()].map((broker) => this.flushBroker(broker)));
  }

  /**
   * Sends what is queued, then confirms every message whose `send` resolved before the call, on
   * every broker it went to, also brokers that have left the cluster since. Resolves once each was
   * applied or was named by an earlier confirm's error. Otherwise rejects with one
   * ProduceNotConfirmedError whose `requests` (the ProduceRequests and MultiProduceRequests as
   * sent: topic, partition, messages) may not have been applied; each is named by one error only.
   * Confirms settle in call order.
   */
  confirm(): Promise<void> {
    return this.inCallOrder(this.confirmAll(false));
  }

  /**
   * Refuses new messages, sends what is queued, confirms as `confirm()` does, and closes every
   * connection and the ZooKeeper session. Rejects as `confirm()` does, naming also what a send
   * already under way wrote during the close. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      try {
        await this.inCallOrder(this.confirmAll(true));
      } finally {
        this.view?.close();
        await this.zk?.close();
      }
    })();
    return this.closing;
  }

  /** Settles as `work` does, but not before every earlier confirm settled: errors name lost messages in call order. */
  private inCallOrder(work: Promise<void>): Promise<void> {
    const earlier = this.confirmsSettled;
    const result = work.then(
      () => earlier,
      async (error: unknown) => {
        await earlier;
        throw error;
      },
    );
    this.confirmsSettled = result.then(ignore, ignore);
    return result;
  }

  /**
   * Confirms on every client; closes the retired ones (their close names everything they could not
   * confirm, so nothing sent through them is forgotten) and, when `closing`, every one.
   */
  private async confirmAll(closing: boolean): Promise<void> {
    await this.flush();
    const retired = [...this.retired];
    this.retired.clear();
    const current = [...this.clients.values()].map((c) => c.client);
    if (closing) this.clients.clear();
    const results = await Promise.allSettled([...current.map((c) => (closing ? c.close() : c.confirm())), ...retired.map((c) => c.close())]);
    const problems = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as Error);
    if (problems.length > 0) throw combineProblems(problems);
  }

  // ------------------------------------------------------------------ routing

  /** Chooses the broker and partition for an entry (after connecting and learning the topic) and queues it. */
  private async route(entry: Pending): Promise<void> {
    await this.connect();
    const candidates = this.options.brokers === undefined ? await this.view!.topicPartitions(entry.topic) : undefined;
    this.routeTo(entry, candidates);
  }

  private routeTo(entry: Pending, topicPartitions: readonly BrokerPartition[] | undefined): void {
    // Routed after close() began (it waited for ZooKeeper): no connection may be opened for it.
    if (this.closed) throw new K07Error("the producer is closed");
    let brokerKey: string;
    if (this.options.brokers !== undefined) {
      const brokers = this.options.brokers;
      brokerKey = brokers[Math.floor(Math.random() * brokers.length)]!;
      entry.partition = -1;
    } else {
      const candidates = topicPartitions!.length > 0 ? topicPartitions! : this.view!.bootstrapPartitions();
      if (candidates.length === 0)
        throw new BrokerUnavailableError(`no broker is registered in ZooKeeper for ${JSON.stringify(entry.topic)}`, [describe(entry)]);
      const index = entry.key === undefined ? Math.floor(Math.random() * candidates.length) : this.partitioner(entry.key, candidates.length);
      if (!Number.isInteger(index) || index < 0 || index >= candidates.length) {
        throw new InvalidPartitionError(`the partitioner returned ${index} for ${candidates.length} partitions`, entry.key ?? "");
      }
      const chosen = candidates[index]!;
      brokerKey = String(chosen.brokerId);
      entry.partition = chosen.partition;
    }
    this.enqueue(brokerKey, entry);
  }

  private enqueue(brokerKey: string, entry: Pending): void {
    let batch = this.batches.get(brokerKey);
    if (batch === undefined) {
      batch = { entries: [], bytes: 0, timer: undefined, scheduled: false };
      this.batches.set(brokerKey, batch);
    }
    batch.entries.push(entry);
    batch.bytes += entry.message.payload.length;
    if (batch.entries.length >= (this.options.batchSize ?? 200) || batch.bytes >= (this.options.batchBytes ?? 1024 * 1024)) {
      void this.flushBroker(brokerKey);
    } else if (!batch.scheduled) {
      batch.scheduled = true;
      const linger = this.options.lingerMs ?? 0;
      const flush = () => void this.flushBroker(brokerKey);
      if (linger > 0) batch.timer = setTimeout(flush, linger);
      else setTimeout(flush, 0);
    }
  }

  /** Sends one broker's batch as one Produce (one partition) or MultiProduce (several). */
  private async flushBroker(brokerKey: string): Promise<void> {
    const batch = this.batches.get(brokerKey);
    if (batch === undefined || batch.entries.length === 0) return;
    this.batches.delete(brokerKey);
    if (batch.timer !== undefined) clearTimeout(batch.timer);
    const entries = batch.entries;
    const groups = new Map<string, Pending[]>();
    for (const entry of entries) {
      const name = `${entry.topic}\u0000${entry.partition}`;
      let group = groups.get(name);
      if (group === undefined) groups.set(name, (group = []));
      group.push(entry);
    }
    const requests = [...groups.values()].map(
      (group) =>
        new ProduceRequest(
          group[0]!.topic,
          group[0]!.partition,
          group.map((e) => e.message),
          { compression: this.compressionFor(group[0]!.topic) },
        ),
    );
    try {
      const client = this.clientFor(brokerKey);
      if (requests.length === 1) await client.sendMessageSet(requests[0]!);
      else await client.sendMultiMessageSet(requests);
      for (const entry of entries) entry.resolve();
    } catch (error) {
      this.failed(brokerKey, entries, error as Error);
    }
  }

  private compressionFor(topic: string): CompressionName | undefined {
    const { compression, compressedTopics } = this.options;
    if (compression === undefined || compression === "none") return undefined;
    return compressedTopics === undefined || compressedTopics.includes(topic) ? compression : undefined;
  }

  private clientFor(brokerKey: string): KafkaClient {
    let address: string;
    if (this.options.brokers !== undefined) address = brokerKey;
    else {
      const broker = this.view!.brokers.get(Number(brokerKey));
      if (broker === undefined) throw new BrokerUnavailableError(`broker ${brokerKey} is no longer registered`, []);
      address = `${broker.host}:${broker.port}`;
    }
    const existing = this.clients.get(brokerKey);
    if (existing !== undefined && existing.address === address) return existing.client;
    if (existing !== undefined) this.retired.add(existing.client);
    const colon = address.lastIndexOf(":");
    const client = new KafkaClient(address.slice(0, colon), Number(address.slice(colon + 1)), this.options.client);
    this.clients.set(brokerKey, { client, address });
    return client;
  }

  /** A batch that could not be sent: re-routed when allowed, else every message's promise rejects, naming them. */
  private failed(brokerKey: string, entries: Pending[], error: Error): void {
    const retry = this.options.reroute === true ? entries.filter((e) => ++e.attempts < MAX_ATTEMPTS) : [];
    for (const entry of retry) this.route(entry).catch(entry.reject);
    const lost = entries.filter((e) => !retry.includes(e));
    if (lost.length === 0) return;
    const failure =
      error instanceof BrokerUnavailableError && error.messages.length > 0
        ? error
        : new BrokerUnavailableError(`${lost.length} message(s) for broker ${brokerKey} were not sent: ${error.message}`, lost.map(describe), {
            cause: error,
          });
    for (const entry of lost) entry.reject(failure);
  }

  /** Brokers that left: their queued batches are re-routed or failed, their connections retired. */
  private brokersChanged(): void {
    const registered = this.view!.brokers;
    for (const [brokerKey, batch] of [...this.batches]) {
      if (registered.has(Number(brokerKey))) continue;
      this.batches.delete(brokerKey);
      if (batch.timer !== undefined) clearTimeout(batch.timer);
      this.failed(brokerKey, batch.entries, new BrokerUnavailableError(`broker ${brokerKey} left the cluster`, batch.entries.map(describe)));
    }
    for (const [brokerKey, { client }] of [...this.clients]) {
      if (registered.has(Number(brokerKey))) continue;
      this.clients.delete(brokerKey);
      this.retired.add(client);
    }
  }
}

/** One error for what several brokers could not confirm: one count, each broker's reason once. */
function combineProblems(problems: readonly Error[]): Error {
  if (problems.length === 1) return problems[0]!;
  const requests = problems.flatMap((p) => (p instanceof ProduceNotConfirmedError ? p.requests : []));
  if (requests.length === 0) return problems[0]!;
  const reasons = problems.map((p) =>
    p instanceof ProduceNotConfirmedError ? `${p.requests.length} because ${p.cause instanceof Error ? p.cause.message : p.message}` : p.message,
  );
  return new ProduceNotConfirmedError(`${requests.length} produce request(s) may not have been applied: ${reasons.join("; ")}`, requests, {
    cause: problems[0],
  });
}

function ignore(): void {}

function describe(entry: Pending): { topic: string; partition: string; payload: Uint8Array; key: string | undefined } {
  return { topic: entry.topic, partition: String(entry.partition), payload: entry.message.payload, key: entry.key };
}
