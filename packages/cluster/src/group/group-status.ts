import { KafkaClient } from "@k07/transport-node";
import {
  CONSUMERS_PATH,
  groupPath,
  offsetPath,
  offsetsPath,
  ownerPath,
  ownersPath,
  readBrokerPartitionName,
  type ZooKeeperSession,
} from "@k07/zookeeper";
import { compareAsStrings } from "./assignment.ts";
import { readBroker, readMembers, readRegisteredTopics, readTopicPartitions, threadsPerTopic } from "./group-state.ts";
import { streamsPerTopic } from "./subscription.ts";

/** One partition of a group, as 0.7's ConsumerOffsetChecker shows it. */
export interface GroupPartitionStatus {
  readonly topic: string;
  readonly brokerId: number;
  readonly partition: number;
  /** The owning thread id, if some member owns it now. */
  readonly owner: string | undefined;
  /** The committed offset, if one was committed. */
  readonly offset: number | undefined;
  /** The broker's log end (Offsets −1), if the broker answered. */
  readonly logSize: number | undefined;
  /** logSize − offset, when both are known. */
  readonly lag: number | undefined;
}

export interface GroupStatus {
  readonly group: string;
  /** Member id → its registration value (the subscription, as written in ZooKeeper). */
  readonly members: ReadonlyMap<string, string>;
  readonly partitions: readonly GroupPartitionStatus[];
}

/** Every group under `/consumers`, sorted. */
export async function listGroups(zk: ZooKeeperSession): Promise<string[]> {
  return (await zk.children(CONSUMERS_PATH)).sort(compareAsStrings);
}

/**
 * Members, owners, committed offsets and lag of a group: the partitions of every topic its members
 * subscribe to or it has owners or offsets for, with each broker's log end (brokers that do not
 * answer within `timeoutMs` show no log size).
 */
export async function describeGroup(zk: ZooKeeperSession, group: string, options: { timeoutMs?: number } = {}): Promise<GroupStatus | undefined> {
  if (!(await zk.exists(groupPath(group)))) return undefined;
  const members = await readMembers(zk, group);
  const registered = await readRegisteredTopics(zk);
  const topics = new Set<string>([
    ...threadsPerTopic(members, registered).keys(),
    ...(await zk.children(`${groupPath(group)}/owners`)),
    ...(await zk.children(`${groupPath(group)}/offsets`)),
  ]);
  for (const { subscription } of members.values())
    if (subscription !== undefined) for (const t of streamsPerTopic(subscription, registered).keys()) topics.add(t);
  const clients = new Map<number, KafkaClient | undefined>();
  const rows: GroupPartitionStatus[] = [];
  try {
    for (const topic of [...topics].sort(compareAsStrings)) {
      const names = new Set([
        ...(await readTopicPartitions(zk, topic)),
        ...(await zk.children(offsetsPath(group, topic))),
        ...(await zk.children(ownersPath(group, topic))),
      ]);
      for (const name of [...names].sort(compareAsStrings)) {
        const parsed = readBrokerPartitionName(name);
        if (parsed === undefined) continue;
        const { brokerId, partition } = parsed;
        const owner = await zk.read(ownerPath(group, topic, name));
        const committed = await zk.read(offsetPath(group, topic, name));
        const offset = typeof committed === "string" && committed !== "" && Number.isSafeInteger(Number(committed)) ? Number(committed) : undefined;
        if (!clients.has(brokerId)) {
          const broker = await readBroker(zk, brokerId);
          clients.set(
            brokerId,
            broker === undefined
              ? undefined
              : new KafkaClient(broker.host, broker.port, {
                  requestTimeoutMs: options.timeoutMs ?? 5000,
                  connectTimeoutMs: options.timeoutMs ?? 5000,
                }),
          );
        }
        let logSize: number | undefined;
        try {
          logSize = await clients.get(brokerId)?.latestOffset(topic, partition);
        } catch {
          logSize = undefined;
        }
        rows.push({
          topic,
          brokerId,
          partition,
          owner: typeof owner === "string" ? owner : undefined,
          offset,
          logSize,
          lag: offset !== undefined && logSize !== undefined ? logSize - offset : undefined,
        });
      }
    }
  } finally {
    await Promise.all([...clients.values()].filter((c) => c !== undefined).map((c) => c.close().catch(() => {})));
  }
  return { group, members: new Map([...members].map(([id, m]) => [id, m.value])), partitions: rows };
}
