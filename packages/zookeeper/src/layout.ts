/**
 * Kafka 0.7's ZooKeeper layout (protocol §9): every path and value format, in one place, for brokers,
 * producers and consumers alike. Values are UTF-8 strings.
 */
export const BROKER_IDS_PATH = "/brokers/ids";
export const BROKER_TOPICS_PATH = "/brokers/topics";
export const CONSUMERS_PATH = "/consumers";

export const brokerIdPath = (brokerId: number) => `${BROKER_IDS_PATH}/${brokerId}`;
export const topicPath = (topic: string) => `${BROKER_TOPICS_PATH}/${topic}`;
export const topicBrokerPath = (topic: string, brokerId: number) => `${topicPath(topic)}/${brokerId}`;

export const groupPath = (group: string) => `${CONSUMERS_PATH}/${group}`;
export const groupIdsPath = (group: string) => `${groupPath(group)}/ids`;
export const consumerIdPath = (group: string, consumerId: string) => `${groupIdsPath(group)}/${consumerId}`;
export const ownersPath = (group: string, topic: string) => `${groupPath(group)}/owners/${topic}`;
export const ownerPath = (group: string, topic: string, partition: string) => `${ownersPath(group, topic)}/${partition}`;
export const offsetsPath = (group: string, topic: string) => `${groupPath(group)}/offsets/${topic}`;
export const offsetPath = (group: string, topic: string, partition: string) => `${offsetsPath(group, topic)}/${partition}`;

/** A broker as registered under `/brokers/ids/<id>`. */
export interface BrokerInfo {
  readonly id: number;
  readonly creatorId: string;
  readonly host: string;
  readonly port: number;
}

/** The value of `/brokers/ids/<id>`: `<host>-<epoch ms>:<host>:<port>` (protocol §9.3). */
export function brokerRegistrationValue(host: string, port: number, registeredAtMs: number): string {
  return `${host}-${registeredAtMs}:${host}:${port}`;
}

/** Reads a broker registration as 0.7 readers do: split on `:`, fields 1 and 2 (the creator id holds no `:`). */
export function parseBrokerRegistration(id: number, value: string): BrokerInfo {
  const parts = value.split(":");
  const port = Number(parts[2]);
  if (parts.length < 3 || parts[1] === "" || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`broker ${id} has an unreadable registration ${JSON.stringify(value)}`);
  }
  return { id, creatorId: parts[0]!, host: parts[1]!, port };
}

/**
 * Most partitions one broker may register for a topic. The count is read from ZooKeeper and every
 * client expands it into a list: a garbage value must not make them allocate without bound.
 */
export const MAX_PARTITIONS_PER_BROKER = 100_000;

/** The value of `/brokers/topics/<topic>/<brokerId>`, or undefined when it is not a usable count. */
export function parsePartitionCount(value: string | null | undefined): number | undefined {
  if (typeof value !== "string" || !/^\d+$/.test(value.trim())) return undefined;
  const count = Number(value.trim());
  return count >= 1 && count <= MAX_PARTITIONS_PER_BROKER ? count : undefined;
}

/** A "partition" in 0.7's ZooKeeper sense: a broker-local partition on one broker. */
export interface BrokerPartition {
  readonly brokerId: number;
  readonly partition: number;
}

/** `"<brokerId>-<partition>"`, the name used under owners/ and offsets/. */
export const brokerPartitionName = (p: BrokerPartition) => `${p.brokerId}-${p.partition}`;

/**
 * A `"<brokerId>-<partition>"` name read back, or undefined when the name is anything else (owners/ and
 * offsets/ are written by every member of a group, so a reader of them meets what others left there).
 */
export function readBrokerPartitionName(name: string): BrokerPartition | undefined {
  const match = /^(\d+)-(\d+)$/.exec(name);
  return match === null ? undefined : { brokerId: Number(match[1]), partition: Number(match[2]) };
}

/** A `"<brokerId>-<partition>"` name read back; a RangeError for anything else. */
export function parseBrokerPartitionName(name: string): BrokerPartition {
  const parsed = readBrokerPartitionName(name);
  if (parsed === undefined) throw new RangeError(`not a broker-partition name: ${JSON.stringify(name)}`);
  return parsed;
}
