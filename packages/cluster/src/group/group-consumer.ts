import { EARLIEST_TIME, K07Error, LATEST_TIME, OffsetRequest, type OffsetOutOfRangeError } from "@k07/codec";
import { ConnectionClosedError, KafkaClient, TimeoutError, sleep } from "@k07/transport-node";
import {
  NODE_EXISTS,
  ZooKeeperError,
  ZooKeeperSession,
  consumerIdPath,
  groupIdsPath,
  offsetPath,
  ownerPath,
  ownersPath,
  parseBrokerPartitionName,
  type BrokerInfo,
} from "@k07/zookeeper";
import { rangeAssign, threadIdsOf } from "./assignment.ts";
import { BrokerFetcher } from "./broker-fetcher.ts";
import { ChunkQueue } from "./chunk-queue.ts";
import { makeConsumerId } from "./consumer-id.ts";
import type { GroupEvent } from "./events.ts";
import { readBroker, readMembers, readRegisteredTopics, readTopicPartitions, threadsPerTopic } from "./group-state.ts";
import { resolveGroupOptions, type GroupConsumerOptions, type ResolvedGroupOptions } from "./options.ts";
import { OwnedPartition, ownerOf, type GroupMessage } from "./owned-partition.ts";
import { encodeSubscription, streamsPerTopic } from "./subscription.ts";

/** Every rebalance try failed (0.7's ConsumerRebalanceFailedException). */
export class RebalanceFailedError extends K07Error {
  constructor(group: string, consumerId: string, attempts: number) {
    super(`${consumerId} could not rebalance group ${group} after ${attempts} tries: other members kept owning its partitions`);
  }
}

/** One partition of a decided assignment. */
interface Claim {
  readonly topic: string;
  readonly brokerId: number;
  readonly partition: number;
  readonly name: string;
  readonly threadId: string;
  readonly broker: BrokerInfo | undefined;
}

/** Where a claimed partition starts, and why there. */
interface StartOffset {
  readonly claim: Claim;
  readonly offset: number;
  readonly from: "committed" | "smallest" | "largest";
}

const claimKey = (topic: string, name: string) => `${topic}/${name}`;

/**
 * A member of a Kafka 0.7 consumer group that Java members cannot tell apart from one of their own
 * (protocol §9, §9.2, §9.3): the same registration, range assignment, owner and offset nodes, retries
 * and triggers. Messages of every partition it owns come out of one async iterator.
 *
 * ```ts
 * const consumer = await GroupConsumer.start({ zookeeper: "127.0.0.1:2181", group: "g", topics: { events: 2 } });
 * for await (const m of consumer) handle(m.topic, m.brokerId, m.partition, m.offset, m.text());
 * await consumer.close(); // commits and leaves at once
 * ```
 *
 * Delivery is at least once: a message counts as consumed when the loop asks for the next one or
 * leaves; commits write the offset after the last consumed message. After a rebalance, a restart or
 * a session expiry, a partition resumes from its last commit, so messages consumed since then come
 * again.
 */
export class GroupConsumer implements AsyncIterable<GroupMessage> {
  readonly group: string;
  /** This member's id: `<group>_<host>-<ms>-<8 hex>` or `<group>_<consumerId>`. */
  readonly consumerId: string;
  /** Resolves once the first rebalance succeeded; rejects (with RebalanceFailedError or a ZooKeeper error) otherwise. */
  readonly ready: Promise<void>;
  private readonly options: ResolvedGroupOptions;
  private readonly emit: (event: GroupEvent) => void;
  private zk: ZooKeeperSession | undefined;
  private readonly queue: ChunkQueue;
  private owned = new Map<string, OwnedPartition>();
  /** Broker address per broker id, as used by the current fetchers. */
  private ownedBrokers = new Map<number, string>();
  private assignmentValid = false;
  private fetchers: BrokerFetcher[] = [];
  private readonly clients = new Map<string, KafkaClient>();
  private readonly armed = new Set<string>();
  private rebalanceLoop: Promise<boolean> | undefined;
  private rebalanceWanted: string | undefined;
  private serial: Promise<unknown> = Promise.resolve();
  private commitTimer: ReturnType<typeof setInterval> | undefined;
  private readonly closing = new AbortController();
  private closed: Promise<void> | undefined;

  constructor(options: GroupConsumerOptions) {
    this.options = resolveGroupOptions(options);
    this.group = this.options.group;
    this.consumerId = makeConsumerId(this.group, this.options.consumerId);
    this.emit = (event) => {
      try {
        this.options.onEvent(event);
      } catch {
        // A failing listener must not break the member.
      }
    };
    this.queue = new ChunkQueue(this.options.maxQueuedBytes);
    this.ready = this.join();
    this.ready.catch(() => {});
  }

  /** Creates a member and waits until it has joined the group (its first rebalance succeeded). */
  static async start(options: GroupConsumerOptions): Promise<GroupConsumer> {
    const consumer = new GroupConsumer(options);
    try {
      await consumer.ready;
    } catch (error) {
      await consumer.close().catch(() => {});
      throw error;
    }
    return consumer;
  }

  /** The ZooKeeper session (for tools and tests); undefined before connecting. */
  get zookeeper(): ZooKeeperSession | undefined {
    return this.zk;
  }

  /** Partitions owned now: `"<topic>/<brokerId>-<partition>"` → thread id. */
  get assignment(): ReadonlyMap<string, string> {
    return new Map([...this.owned].map(([key, owner]) => [key, owner.threadId]));
  }

  /** Bytes fetched and waiting for the application. */
  get queuedBytes(): number {
    return this.queue.bytes;
  }

  private get isClosed(): boolean {
    return this.closing.signal.aborted;
  }

  // ------------------------------------------------------------------ joining and triggers

  private async join(): Promise<void> {
    const zk = await ZooKeeperSession.connect(this.options.zookeeper, { sessionTimeoutMs: this.options.sessionTimeoutMs });
    this.zk = zk;
    if (this.isClosed) {
      await zk.close();
      throw new ConnectionClosedError("the group consumer was closed while joining");
    }
    zk.on("session", () => void this.onNewSession());
    await this.register();
    if (this.options.autoCommit) {
      this.commitTimer = setInterval(() => void this.commit().catch(() => {}), this.options.autoCommitIntervalMs);
      this.commitTimer.unref?.();
    }
    if (!(await this.requestRebalance("joined"))) {
      throw new RebalanceFailedError(this.group, this.consumerId, this.options.rebalanceRetries);
    }
  }

  /**
   * Creates `/consumers/<group>/ids/<consumerId>`. A node left by an earlier session with this id
   * (a configured id, restarted before its old session expired) is waited out.
   */
  private async register(): Promise<void> {
    const zk = this.zk!;
    const path = consumerIdPath(this.group, this.consumerId);
    await zk.createParents(groupIdsPath(this.group));
    const deadline = Date.now() + 2 * this.options.sessionTimeoutMs + 1000;
    for (;;) {
      try {
        await zk.create(path, encodeSubscription(this.options.subscription), "ephemeral");
        return;
      } catch (error) {
        if (!(error instanceof ZooKeeperError && error.code === NODE_EXISTS) || Date.now() > deadline || this.isClosed) throw error;
        await this.sleep(200);
      }
    }
  }

  /** After a session expiry: our owner nodes are gone; re-register under the same id and rebalance. */
  private async onNewSession(): Promise<void> {
    if (this.isClosed) return;
    this.armed.clear();
    await this.exclusive(async () => {
      this.stopFetching();
      // Our owner nodes vanished with the old session; others may own the partitions already.
      this.owned = new Map();
      this.assignmentValid = false;
    });
    this.emit({ type: "session", sessionId: this.zk!.sessionId });
    try {
      await this.register();
    } catch (error) {
      this.emit({ type: "error", during: "register", error: error as Error });
    }
    void this.requestRebalance("new ZooKeeper session");
  }

  /** Children of a path, watching it once for changes that must trigger a rebalance. */
  private watchedChildren = async (path: string): Promise<string[]> => {
    const arm = !this.armed.has(path);
    if (arm) this.armed.add(path);
    const watcher = arm
      ? () => {
          this.armed.delete(path);
          void this.requestRebalance(`${path} changed`);
        }
      : undefined;
    try {
      return await this.zk!.children(path, watcher);
    } catch (error) {
      if (arm) this.armed.delete(path);
      throw error;
    }
  };

  /** Runs rebalances until no trigger is pending; resolves with whether the last one succeeded. */
  private requestRebalance(reason: string): Promise<boolean> {
    if (this.isClosed) return Promise.resolve(false);
    this.rebalanceWanted = reason;
    this.rebalanceLoop ??= (async () => {
      let ok = false;
      try {
        while (this.rebalanceWanted !== undefined && !this.isClosed) {
          const why = this.rebalanceWanted;
          this.rebalanceWanted = undefined;
          ok = await this.syncedRebalance(why);
        }
      } finally {
        this.rebalanceLoop = undefined;
      }
      return ok;
    })();
    return this.rebalanceLoop;
  }

  /** Up to `rebalanceRetries` tries, `rebalanceBackoffMs` apart (also after the last, as 0.7 does). */
  private async syncedRebalance(reason: string): Promise<boolean> {
    const { rebalanceRetries, rebalanceBackoffMs } = this.options;
    for (let attempt = 0; attempt < rebalanceRetries && !this.isClosed; attempt++) {
      this.emit({ type: "rebalance", attempt, reason });
      try {
        if (await this.exclusive(() => this.rebalance(attempt))) return true;
      } catch (error) {
        this.emit({ type: "error", during: "rebalance", error: error as Error });
      }
      await this.sleep(rebalanceBackoffMs);
    }
    if (!this.isClosed) this.emit({ type: "rebalance-failed", attempts: rebalanceRetries });
    return false;
  }

  // ------------------------------------------------------------------ one rebalance (protocol §9.2)

  /**
   * One try: decide the assignment; if it changed, release what we own, claim the new partitions
   * (all or none), read where each starts and fetch. False when another member still owns one of them.
   */
  private async rebalance(attempt: number): Promise<boolean> {
    if (this.isClosed) return false;
    const { claims, brokers } = await this.decideClaims();
    if (this.assignmentValid && this.sameAssignment(claims)) return true;
    await this.releaseAll();
    if (!(await this.claimOwners(claims, attempt))) return false;
    const starts = await this.readStartOffsets(claims);
    this.takeOwnership(starts, brokers);
    return true;
  }

  /**
   * This member's share of the range assignment over the members and partitions now in ZooKeeper
   * (protocol §9.2 steps 1-3), with the registration of every broker it names.
   */
  private async decideClaims(): Promise<{ claims: Claim[]; brokers: Map<number, BrokerInfo | undefined> }> {
    const zk = this.zk!;
    const subscription = this.options.subscription;
    const members = await readMembers(zk, this.group, this.watchedChildren);
    // Wildcard members need the registered topics; only a wildcard member watches them (as in 0.7).
    const wildcard = subscription.kind !== "static";
    const anyWildcard = wildcard || [...members.values()].some((m) => m.subscription !== undefined && m.subscription.kind !== "static");
    const registered = anyWildcard ? await readRegisteredTopics(zk, wildcard ? this.watchedChildren : undefined) : [];
    const myStreams = streamsPerTopic(subscription, registered);
    const threads = threadsPerTopic(members, registered);
    const mine = new Set([...myStreams].flatMap(([, n]) => threadIdsOf(this.consumerId, n)));
    const claims: Claim[] = [];
    const brokers = new Map<number, BrokerInfo | undefined>();
    for (const topic of myStreams.keys()) {
      const partitions = await readTopicPartitions(zk, topic, this.watchedChildren);
      for (const [name, threadId] of rangeAssign(threads.get(topic) ?? [], partitions)) {
        if (!mine.has(threadId) || !threadId.startsWith(this.consumerId + "-")) continue;
        const { brokerId, partition } = parseBrokerPartitionName(name);
        if (!brokers.has(brokerId)) brokers.set(brokerId, await readBroker(zk, brokerId));
        claims.push({ topic, brokerId, partition, name, threadId, broker: brokers.get(brokerId) });
      }
    }
    return { claims, brokers };
  }

  /** Lets go of the current assignment: stop fetching, drop what is queued, commit, delete our owner nodes. */
  private async releaseAll(): Promise<void> {
    const previous = [...this.owned.values()];
    this.stopFetching();
    await this.writeOffsets(previous);
    await Promise.all(previous.map((owner) => this.releaseOwner(owner)));
    this.owned = new Map();
    this.assignmentValid = false;
    this.ownedBrokers = new Map();
  }

  /**
   * Creates an owner node for every claim, or none (protocol §9.2 step 4): on a conflict the nodes
   * created are deleted again and the answer is false; on another failure they are deleted and it throws.
   */
  private async claimOwners(claims: readonly Claim[], attempt: number): Promise<boolean> {
    const zk = this.zk!;
    const conflicts: string[] = [];
    const created: Claim[] = [];
    for (const topic of new Set(claims.map((c) => c.topic))) await zk.createParents(ownersPath(this.group, topic));
    await Promise.all(
      claims.map(async (claim) => {
        try {
          await zk.create(ownerPath(this.group, claim.topic, claim.name), claim.threadId, "ephemeral");
          created.push(claim);
        } catch (error) {
          if (error instanceof ZooKeeperError && error.code === NODE_EXISTS) conflicts.push(claimKey(claim.topic, claim.name));
          else throw error;
        }
      }),
    ).catch(async (error) => {
      await this.deleteOwners(created);
      throw error;
    });
    if (conflicts.length > 0) {
      await this.deleteOwners(created);
      this.emit({ type: "owner-conflict", attempt, partitions: conflicts.sort() });
      return false;
    }
    return true;
  }

  /**
   * Where each claimed partition starts. Read after claiming: the previous owner committed before it
   * let go. If any cannot be read, the claims are given up again.
   */
  private async readStartOffsets(claims: readonly Claim[]): Promise<StartOffset[]> {
    try {
      return await Promise.all(claims.map(async (claim) => ({ claim, ...(await this.startOffset(claim)) })));
    } catch (error) {
      await this.deleteOwners(claims);
      throw error;
    }
  }

  /** Makes the claimed partitions this member's assignment and starts fetching them. */
  private takeOwnership(starts: readonly StartOffset[], brokers: ReadonlyMap<number, BrokerInfo | undefined>): void {
    const owned = new Map<string, OwnedPartition>();
    for (const { claim, offset, from } of starts) {
      owned.set(claimKey(claim.topic, claim.name), new OwnedPartition(claim.topic, claim.brokerId, claim.partition, claim.threadId, offset));
      this.emit({
        type: "partition-start",
        topic: claim.topic,
        brokerId: claim.brokerId,
        partition: claim.partition,
        threadId: claim.threadId,
        offset,
        from,
      });
    }
    this.owned = owned;
    this.ownedBrokers = new Map([...brokers].filter(([, b]) => b !== undefined).map(([id, b]) => [id, addressOf(b!)]));
    this.assignmentValid = true;
    this.startFetching(brokers);
    this.emit({ type: "assigned", owners: this.assignment });
  }

  private sameAssignment(claims: readonly Claim[]): boolean {
    if (claims.length !== this.owned.size) return false;
    return claims.every((c) => {
      const owner = this.owned.get(claimKey(c.topic, c.name));
      return (
        owner !== undefined && owner.threadId === c.threadId && c.broker !== undefined && this.ownedBrokers.get(c.brokerId) === addressOf(c.broker)
      );
    });
  }

  private async startOffset(claim: Claim): Promise<Omit<StartOffset, "claim">> {
    const committed = await this.zk!.read(offsetPath(this.group, claim.topic, claim.name));
    const offset = Number(committed);
    if (typeof committed === "string" && committed !== "" && Number.isSafeInteger(offset) && offset >= 0) return { offset, from: "committed" };
    if (claim.broker === undefined) throw new K07Error(`broker ${claim.brokerId} of ${claim.topic}/${claim.name} is not registered in ZooKeeper`);
    const reset = this.options.autoOffsetReset;
    const time = reset === "smallest" ? EARLIEST_TIME : LATEST_TIME;
    const offsets = await this.client(claim.broker).getOffsets(new OffsetRequest(claim.topic, claim.partition, time, 1));
    return { offset: offsets[0] ?? 0, from: reset };
  }

  /** Deletes an owner node if it still names our thread (after an expiry it may be someone else's). */
  private async releaseOwner(owner: OwnedPartition): Promise<void> {
    const path = ownerPath(this.group, owner.topic, owner.name);
    if ((await this.zk!.read(path)) === owner.threadId) await this.zk!.remove(path);
  }

  private async deleteOwners(claims: readonly Claim[]): Promise<void> {
    await Promise.all(claims.map((c) => this.zk!.remove(ownerPath(this.group, c.topic, c.name)).catch(() => {})));
  }

  // ------------------------------------------------------------------ fetching

  private startFetching(brokers: ReadonlyMap<number, BrokerInfo | undefined>): void {
    const byBroker = new Map<number, OwnedPartition[]>();
    for (const owner of this.owned.values()) byBroker.set(owner.brokerId, [...(byBroker.get(owner.brokerId) ?? []), owner]);
    for (const [brokerId, partitions] of byBroker) {
      const broker = brokers.get(brokerId);
      if (broker === undefined) continue;
      this.fetchers.push(
        new BrokerFetcher(brokerId, this.client(broker), partitions, this.queue, {
          fetchSize: this.options.fetchSize,
          fetchBackoffMs: this.options.fetchBackoffMs,
          fetchBackoffMaxMs: this.options.fetchBackoffMaxMs,
          resetOffset: (owner, error) => this.resetOffset(owner, broker, error),
          onError: (error) => this.emit({ type: "error", during: "fetch", error, brokerId }),
        }),
      );
    }
    // Connections to brokers we no longer fetch from are closed.
    const used = new Set(
      [...byBroker.keys()]
        .map((id) => brokers.get(id))
        .filter((b) => b !== undefined)
        .map((b) => addressOf(b!)),
    );
    for (const [address, client] of this.clients) {
      if (!used.has(address)) {
        this.clients.delete(address);
        void client.close().catch(() => {});
      }
    }
  }

  /** Stops every fetcher, drops queued messages and revokes every owned partition. */
  private stopFetching(): void {
    for (const fetcher of this.fetchers) fetcher.stop();
    this.fetchers = [];
    for (const owner of this.owned.values()) owner.revoked = true;
    this.queue.clear();
  }

  /** OffsetOutOfRange: reset by autoOffsetReset and write the new offset to ZooKeeper, as 0.7 does. */
  private async resetOffset(owner: OwnedPartition, broker: BrokerInfo, _error: OffsetOutOfRangeError): Promise<void> {
    const reset = this.options.autoOffsetReset;
    const time = reset === "smallest" ? EARLIEST_TIME : LATEST_TIME;
    const to = (await this.client(broker).getOffsets(new OffsetRequest(owner.topic, owner.partition, time, 1)))[0] ?? 0;
    if (owner.revoked) return;
    const from = owner.fetchOffset;
    owner.fetchOffset = to;
    owner.consumedOffset = to;
    await this.zk!.write(offsetPath(this.group, owner.topic, owner.name), String(to));
    this.emit({ type: "offset-reset", topic: owner.topic, brokerId: owner.brokerId, partition: owner.partition, from, to, reset });
  }

  private client(broker: BrokerInfo): KafkaClient {
    const address = addressOf(broker);
    let client = this.clients.get(address);
    if (client === undefined) {
      client = new KafkaClient(broker.host, broker.port, { reconnectBackoffMaxMs: 1000, ...this.options.clientOptions });
      this.clients.set(address, client);
    }
    return client;
  }

  // ------------------------------------------------------------------ consuming and committing

  /**
   * Messages of every owned partition, as they arrive; ends when the member is closed. A message
   * counts as consumed (its nextOffset becomes the partition's commit position) when the next one
   * is requested or the loop is left.
   */
  [Symbol.asyncIterator](): AsyncIterator<GroupMessage> {
    let last: GroupMessage | undefined;
    let joined = false;
    const finish = () => {
      if (last === undefined) return;
      const owner = ownerOf(last);
      if (!owner.revoked) owner.consumedOffset = last.nextOffset;
      last = undefined;
    };
    return {
      next: async (): Promise<IteratorResult<GroupMessage>> => {
        finish();
        if (!joined) {
          await this.ready;
          joined = true;
        }
        for (;;) {
          if (this.isClosed) return { value: undefined, done: true };
          const message = this.queue.take();
          if (message !== undefined) {
            last = message;
            return { value: message, done: false };
          }
          await this.queue.data();
        }
      },
      return: async (): Promise<IteratorResult<GroupMessage>> => {
        finish();
        return { value: undefined, done: true };
      },
    };
  }

  /** Writes the offset after the last consumed message of every owned partition to ZooKeeper. */
  commit(): Promise<void> {
    if (this.zk === undefined) return Promise.resolve();
    return this.exclusive(() => this.writeOffsets([...this.owned.values()]));
  }

  private async writeOffsets(owners: readonly OwnedPartition[]): Promise<void> {
    if (owners.length === 0) return;
    const zk = this.zk!;
    const writes = owners.map((o) => ({ path: offsetPath(this.group, o.topic, o.name), value: String(o.consumedOffset) }));
    const offsets = owners.map((o) => ({ topic: o.topic, brokerId: o.brokerId, partition: o.partition, offset: o.consumedOffset }));
    try {
      // Without ZooKeeper for a session timeout the session is gone anyway: do not hang on it.
      await withTimeout(Promise.all(writes.map((w) => zk.write(w.path, w.value))), this.options.sessionTimeoutMs);
    } catch (error) {
      this.emit({ type: "error", during: "commit", error: error as Error, offsets });
      throw error;
    }
    this.emit({ type: "commit", offsets });
  }

  /**
   * Commits, releases every owned partition and leaves the group at once (closing the ZooKeeper
   * session removes the member and owner nodes immediately, so others rebalance without waiting
   * for a session timeout). Iterators end. Calling it again is harmless.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing.abort();
      if (this.commitTimer !== undefined) clearInterval(this.commitTimer);
      this.queue.wakeData();
      await this.ready.catch(() => {});
      const zk = this.zk;
      if (zk !== undefined) {
        const leave = this.exclusive(async () => {
          const previous = [...this.owned.values()];
          this.stopFetching();
          await this.writeOffsets(previous).catch(() => {}); // reported through onEvent; leaving matters more
          this.owned = new Map();
        });
        // A rebalance or commit stuck on an unreachable ZooKeeper must not keep the member from leaving.
        await withTimeout(leave, 2 * this.options.sessionTimeoutMs).catch(() => this.stopFetching());
        await zk.close();
      }
      await Promise.all([...this.clients.values()].map((c) => c.close().catch(() => {})));
      this.clients.clear();
      this.queue.clear();
    })();
    return this.closed;
  }

  // ------------------------------------------------------------------ helpers

  /** Runs rebalances, commits and close one at a time. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.serial.then(task, task);
    this.serial = run.catch(() => {});
    return run;
  }

  private sleep(ms: number): Promise<void> {
    return sleep(ms, this.closing.signal);
  }
}

function addressOf(broker: BrokerInfo): string {
  return `${broker.id}@${broker.host}:${broker.port}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`ZooKeeper did not answer within ${ms} ms`)), ms);
    }),
  ]);
}
