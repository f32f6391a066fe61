import { describeGroup, listGroups } from "@k07/cluster";
import { ZooKeeperSession, brokerPartitionName } from "@k07/zookeeper";
import type { CommandIo } from "./io.ts";

export interface GroupsOptions {
  zookeeper: string;
  group?: string;
}

/**
 * `k07 groups`: the groups under /consumers, or for one group its members and, per partition, the
 * owner, committed offset, log end and lag (what 0.7's ConsumerOffsetChecker shows).
 */
export async function groupsCommand(options: GroupsOptions, io: CommandIo): Promise<number> {
  const zk = await ZooKeeperSession.connect(options.zookeeper);
  try {
    if (options.group === undefined) {
      for (const group of await listGroups(zk)) io.out(`${group}\n`);
      return 0;
    }
    const status = await describeGroup(zk, options.group);
    if (status === undefined) {
      io.err(`k07: no group ${JSON.stringify(options.group)} in ZooKeeper`);
      return 1;
    }
    io.out(`group ${status.group}: ${status.members.size} member(s)\n`);
    for (const [id, subscription] of status.members) io.out(`  ${id}  ${subscription}\n`);
    const rows = [["topic", "partition", "offset", "logSize", "lag", "owner"]];
    for (const p of status.partitions) {
      const show = (n: number | undefined) => (n === undefined ? "-" : String(n));
      rows.push([p.topic, brokerPartitionName(p), show(p.offset), show(p.logSize), show(p.lag), p.owner ?? "none"]);
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const row of rows) io.out(row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ") + "\n");
    return 0;
  } finally {
    await zk.close();
  }
}
