import {
  BROKER_IDS_PATH,
  BROKER_TOPICS_PATH,
  ZooKeeperSession,
  brokerIdPath,
  brokerPartitionName,
  parseBrokerRegistration,
  parsePartitionCount,
  topicBrokerPath,
  topicPath,
} from "@k07/zookeeper";
import type { CommandIo } from "./io.ts";

export interface BrokersOptions {
  zookeeper: string;
  topic?: string;
}

/** `k07 brokers --zookeeper`: the registered brokers and, per topic, its broker-partitions (numeric order). */
export async function brokersCommand(options: BrokersOptions, io: CommandIo): Promise<number> {
  const zk = await ZooKeeperSession.connect(options.zookeeper);
  try {
    const ids = (await zk.children(BROKER_IDS_PATH))
      .map(Number)
      .filter(Number.isInteger)
      .sort((a, b) => a - b);
    io.out(`brokers (${ids.length}):\n`);
    for (const id of ids) {
      const value = await zk.read(brokerIdPath(id));
      if (typeof value !== "string") continue;
      try {
        const b = parseBrokerRegistration(id, value);
        io.out(`  ${id}\t${b.host}:${b.port}\t(registered as ${b.creatorId})\n`);
      } catch {
        io.out(`  ${id}\tunreadable registration ${JSON.stringify(value)}\n`);
      }
    }
    const topics = options.topic !== undefined ? [options.topic] : (await zk.children(BROKER_TOPICS_PATH)).sort();
    io.out(`topics (${topics.length}):\n`);
    for (const topic of topics) {
      const brokers = (await zk.children(topicPath(topic)))
        .map(Number)
        .filter(Number.isInteger)
        .sort((a, b) => a - b);
      const partitions: string[] = [];
      for (const id of brokers) {
        const count = parsePartitionCount(await zk.read(topicBrokerPath(topic, id)));
        if (count === undefined) partitions.push(`${id}-?`);
        else for (let p = 0; p < count; p++) partitions.push(brokerPartitionName({ brokerId: id, partition: p }));
      }
      io.out(`  ${topic}\t${partitions.length > 0 ? partitions.join(" ") : "(no broker has it)"}\n`);
    }
  } finally {
    await zk.close();
  }
  return 0;
}
