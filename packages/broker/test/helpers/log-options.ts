/** Settings for tests that build logs without a broker. */
import type { LogManagerOptions } from "../../src/log/log-manager.ts";

/** Two partitions per topic, in memory, a clock stopped at 1,000, nothing rolled or expired, every message visible at once. */
export const testLogOptions: LogManagerOptions = {
  numPartitions: 2,
  topicPartitions: {},
  fsync: false,
  now: () => 1_000,
  segmentBytes: 1_000_000,
  segmentMs: 1_000_000,
  flushIntervalMessages: 1,
  retentionBytes: -1,
  retentionMs: -1,
};
