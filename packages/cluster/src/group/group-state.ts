import {
  BROKER_TOPICS_PATH,
  brokerIdPath,
  brokerPartitionName,
  consumerIdPath,
  groupIdsPath,
  parseBrokerRegistration,
  parsePartitionCount,
  topicBrokerPath,
  topicPath,
  type BrokerInfo,
  type ZooKeeperSession,
} from "@k07/zookeeper";
import { compareAsStrings, threadIdsOf } from "./assignment.ts";
import { parseSubscription, streamsPerTopic, type Subscription } from "./subscription.ts";

/** Reads children; a caller that wants a watch passes one (0.7 watches ids and topic children only). */
export type ChildrenReader = (path: string) => Promise<string[]>;

/** The members of a group and what each subscribes to (unreadable values are skipped, as 0.7 would fail on them). */
export async function readMembers(
  zk: ZooKeeperSession,
  group: string,
  children: ChildrenReader = (p) => zk.children(p),
): Promise<Map<string, { value: string; subscription: Subscription | undefined }>> {
  const members = new Map<string, { value: string; subscription: Subscription | undefined }>();
  for (const id of (await children(groupIdsPath(group))).sort(compareAsStrings)) {
    const value = await zk.read(consumerIdPath(group, id));
    if (typeof value === "string") members.set(id, { value, subscription: parseSubscription(value) });
  }
  return members;
}

/** Every consumer thread id of the group per topic (protocol §9.2 step 1), for the topics asked about. */
export function threadsPerTopic(
  members: ReadonlyMap<string, { subscription: Subscription | undefined }>,
  registeredTopics: readonly string[],
): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const [id, { subscription }] of members) {
    if (subscription === undefined) continue;
    for (const [topic, streams] of streamsPerTopic(subscription, registeredTopics)) {
      const list = result.get(topic) ?? [];
      list.push(...threadIdsOf(id, streams));
      result.set(topic, list);
    }
  }
  for (const list of result.values()) list.sort(compareAsStrings);
  return result;
}

/** A topic's `"<brokerId>-<partition>"` names from `/brokers/topics/<topic>/*`, sorted as strings (protocol §9.2 step 2). */
export async function readTopicPartitions(zk: ZooKeeperSession, topic: string, children: ChildrenReader = (p) => zk.children(p)): Promise<string[]> {
  const names: string[] = [];
  for (const broker of await children(topicPath(topic))) {
    const brokerId = Number(broker);
    const count = parsePartitionCount(await zk.read(topicBrokerPath(topic, brokerId)));
    if (!Number.isInteger(brokerId) || count === undefined) continue;
    for (let partition = 0; partition < count; partition++) names.push(brokerPartitionName({ brokerId, partition }));
  }
  return names.sort(compareAsStrings);
}

/** Every topic registered by some broker. */
export function readRegisteredTopics(zk: ZooKeeperSession, children: ChildrenReader = (p) => zk.children(p)): Promise<string[]> {
  return children(BROKER_TOPICS_PATH);
}

/** A broker's registration, or undefined when it is not registered (or unreadable). */
export async function readBroker(zk: ZooKeeperSession, brokerId: number): Promise<BrokerInfo | undefined> {
  const value = await zk.read(brokerIdPath(brokerId));
  if (typeof value !== "string") return undefined;
  try {
    return parseBrokerRegistration(brokerId, value);
  } catch {
    return undefined;
  }
}
