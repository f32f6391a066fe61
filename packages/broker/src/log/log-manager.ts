import { mkdirSync, readdirSync, rmSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { isLegalTopicName, type Crc32Function } from "@k07/codec";
import { PartitionLog, type LogPolicy } from "./partition-log.ts";
import { validPrefixLength } from "./recovery.ts";
import { FileSegment, MemorySegment, parseSegmentFileName, segmentFileName, type Segment } from "./segment.ts";

export interface LogManagerOptions extends LogPolicy {
  /** Directory of `<topic>-<partition>/` folders; undefined keeps every log in memory. */
  readonly dataDir?: string | undefined;
  readonly numPartitions: number;
  readonly topicPartitions: Readonly<Record<string, number>>;
  /** fsync segment files when flushing. */
  readonly fsync: boolean;
  readonly now: () => number;
  /** The CRC-32 that checks the last segment of each log at start (default the codec's pure one). */
  readonly crc32?: Crc32Function;
}

/**
 * Every partition log of the broker, created on first produce (protocol §8.3) and, with a `dataDir`,
 * loaded and recovered from 0.7's on-disk layout at start.
 */
export class LogManager {
  private readonly logs = new Map<string, PartitionLog[]>();
  private readonly options: LogManagerOptions;
  /** Called when the first log of a topic is created (ZooKeeper registration hooks in here). */
  onTopicCreated: ((topic: string) => void) | undefined;

  constructor(options: LogManagerOptions) {
    this.options = options;
    if (options.dataDir !== undefined) {
      mkdirSync(options.dataDir, { recursive: true });
      this.load(options.dataDir);
    }
  }

  /** The configured partition count of a topic on this broker (`topic.partition.count.map`, else `num.partitions`). */
  partitionCount(topic: string): number {
    return Object.hasOwn(this.options.topicPartitions, topic) ? this.options.topicPartitions[topic]! : this.options.numPartitions;
  }

  /** The log of a partition, if it exists. */
  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(topic)?.[partition];
  }

  /** The log of a partition, created if absent. The caller has validated the name and partition. */
  getOrCreate(topic: string, partition: number): PartitionLog {
    let partitions = this.logs.get(topic);
    const isNewTopic = partitions === undefined;
    if (partitions === undefined) {
      partitions = [];
      this.logs.set(topic, partitions);
    }
    let log = partitions[partition];
    if (log === undefined) {
      log = this.createLog(topic, partition, []);
      partitions[partition] = log;
      if (isNewTopic) this.onTopicCreated?.(topic);
    }
    return log;
  }

  /** Topics with at least one log. */
  topics(): string[] {
    return [...this.logs.keys()];
  }

  /** Every log. */
  *all(): IterableIterator<PartitionLog> {
    for (const partitions of this.logs.values()) for (const log of partitions) if (log !== undefined) yield log;
  }

  flushAll(): void {
    for (const log of this.all()) log.flush();
  }

  enforceRetention(): void {
    const now = this.options.now();
    for (const log of this.all()) log.enforceRetention(now);
  }

  close(): void {
    for (const log of this.all()) {
      log.flush();
      log.close();
    }
    this.logs.clear();
  }

  private createLog(topic: string, partition: number, segments: Segment[]): PartitionLog {
    const dataDir = this.options.dataDir;
    let newSegment: (start: number) => Segment;
    if (dataDir === undefined) {
      newSegment = (start) => new MemorySegment(start, this.options.now());
    } else {
      const dir = join(dataDir, `${topic}-${partition}`);
      mkdirSync(dir, { recursive: true });
      newSegment = (start) => this.openFileSegment(join(dir, segmentFileName(start)), start);
    }
    return new PartitionLog(topic, partition, segments, this.options, newSegment);
  }

  private openFileSegment(path: string, start: number): FileSegment {
    return new FileSegment(path, start, { fsync: this.options.fsync, now: this.options.now(), unlink: (p) => rmSync(p, { force: true }) });
  }

  /** Loads `<topic>-<partition>/<start>.kafka` folders; the last segment of each log is cut to its valid prefix. */
  private load(dataDir: string): void {
    for (const entry of readdirSync(dataDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dash = entry.name.lastIndexOf("-");
      if (dash <= 0) continue;
      const topic = entry.name.slice(0, dash);
      const partition = Number(entry.name.slice(dash + 1));
      if (!isLegalTopicName(topic) || !Number.isInteger(partition) || partition < 0 || String(partition) !== entry.name.slice(dash + 1)) continue;
      const dir = join(dataDir, entry.name);
      const starts = readdirSync(dir)
        .map(parseSegmentFileName)
        .filter((s): s is number => s !== undefined)
        .sort((a, b) => a - b);
      if (starts.length > 0) {
        const lastPath = join(dir, segmentFileName(starts[starts.length - 1]!));
        const lastSize = statSync(lastPath).size;
        const probe = this.openFileSegment(lastPath, starts[starts.length - 1]!);
        const valid = validPrefixLength(lastSize, (position, length) => probe.readBytes(position, length), this.options.crc32);
        probe.close();
        if (valid < lastSize) truncateSync(lastPath, valid);
      }
      const segments = starts.map((start) => this.openFileSegment(join(dir, segmentFileName(start)), start));
      let partitions = this.logs.get(topic);
      if (partitions === undefined) {
        partitions = [];
        this.logs.set(topic, partitions);
      }
      partitions[partition] = this.createLog(topic, partition, segments);
    }
  }
}
