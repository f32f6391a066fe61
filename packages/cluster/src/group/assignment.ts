/**
 * The range assignment of 0.7's ZookeeperConsumerConnector (protocol §9.2, checked against Java members
 * in protocol §9.3). Pure functions: no ZooKeeper, no clock.
 */

/** Code-unit string order, as Scala's `s < t` (so `"c-10" < "c-2"` and `"1-10" < "1-2"`). */
export function compareAsStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Thread ids of one member for one topic: `<consumerId>-0` … `<consumerId>-(streams-1)`. */
export function threadIdsOf(consumerId: string, streams: number): string[] {
  return Array.from({ length: streams }, (_, k) => `${consumerId}-${k}`);
}

/**
 * Assigns a topic's partitions (`"<brokerId>-<partition>"` names) to the group's thread ids:
 * both lists sorted as strings; thread i gets `per + (i < extra ? 1 : 0)` partitions starting at
 * `per·i + min(i, extra)` where `per = P div C`, `extra = P mod C`. Threads beyond P get nothing.
 *
 * @returns partition name → owning thread id, for every partition.
 */
export function rangeAssign(threadIds: readonly string[], partitionNames: readonly string[]): Map<string, string> {
  const threads = [...new Set(threadIds)].sort(compareAsStrings);
  const partitions = [...new Set(partitionNames)].sort(compareAsStrings);
  const owners = new Map<string, string>();
  if (threads.length === 0) return owners;
  const per = Math.floor(partitions.length / threads.length);
  const extra = partitions.length % threads.length;
  threads.forEach((thread, i) => {
    const start = per * i + Math.min(i, extra);
    const count = per + (i < extra ? 1 : 0);
    for (const partition of partitions.slice(start, start + count)) owners.set(partition, thread);
  });
  return owners;
}
