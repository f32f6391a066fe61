import {
  BrokerError,
  FetchRequest,
  OffsetOutOfRangeError,
  ProduceRequest,
  WrongPartitionError,
  concatBytes,
  createMessage,
  type CompressionName,
  type Message,
} from "@k07/codec";
import { KafkaClient } from "@k07/transport-node";
import { Producer } from "@k07/cluster";
import { CliError, parseAddress, parseInteger } from "../address.ts";
import { startProgress } from "../progress.ts";
import type { CommandIo } from "./io.ts";

export interface ProduceOptions {
  broker?: string;
  /** Produce through ZooKeeper discovery, as 0.7's Java producer does (keys pick partitions). */
  zookeeper?: string;
  /** Split each message at the first occurrence of this into key and value. */
  keyDelimiter?: string;
  topic: string;
  partition?: string;
  compression?: string;
  delimiter?: string;
  wholeInput?: boolean;
  batchSize?: string;
  confirm?: boolean;
}

/**
 * Longest message read from stdin: the broker's `max.message.size`, which would drop a longer one
 * silently (the client refuses it too). Reading stops with an error at this size rather than
 * buffering an input that has no delimiter.
 */
const MAX_MESSAGE_BYTES = 1_000_000;

/**
 * Splits a byte stream on a one-byte delimiter, yielding each piece (the last one may lack it).
 * A piece inside one chunk is a view of it; only a piece that spans chunks is copied, once.
 */
async function* splitStream(input: AsyncIterable<Uint8Array>, delimiter: number): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  for await (const chunk of input) {
    let start = 0;
    for (let i = chunk.indexOf(delimiter); i >= 0; i = chunk.indexOf(delimiter, start)) {
      const piece = chunk.subarray(start, i);
      if (pending.length === 0) yield piece;
      else {
        yield concatBytes([...pending, piece]);
        pending = [];
        pendingBytes = 0;
      }
      start = i + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      checkLength(pendingBytes);
    }
  }
  if (pendingBytes > 0) yield concatBytes(pending);
}

function checkLength(bytes: number): void {
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new CliError(`a message of more than ${MAX_MESSAGE_BYTES} bytes in the input (the broker's max.message.size): wrong --delimiter?`);
  }
}

/** `k07 produce`: one message per line (or per delimiter, or the whole input), sent in batches. */
export async function produceCommand(options: ProduceOptions, io: CommandIo): Promise<number> {
  if ((options.broker === undefined) === (options.zookeeper === undefined)) throw new CliError("give either -b host:port or --zookeeper host:port");
  if (options.zookeeper !== undefined) return produceThroughZooKeeper(options, io);
  if (options.keyDelimiter !== undefined) throw new CliError("--key-delimiter needs --zookeeper (a single broker has no key partitioning in 0.7)");
  const { host, port } = parseAddress(options.broker!);
  const partition = options.partition === undefined ? undefined : parseInteger("--partition", options.partition, -1);
  const batchSize = options.batchSize === undefined ? 200 : parseInteger("--batch-size", options.batchSize, 1);
  const compression = parseCompression(options.compression);
  const kafka = new KafkaClient(host, port);
  const progress = startProgress(`producing to ${options.topic}:`);
  const started = Date.now();
  let messages = 0;
  let bytes = 0;
  let batch: Message[] = [];
  let target: PartitionChoice | undefined;
  const send = async () => {
    if (batch.length === 0) return;
    target ??= partition === undefined ? await roundRobin(kafka, options.topic) : fixedPartition(partition);
    await kafka.sendMessageSet(new ProduceRequest(options.topic, target.next(batch.length), batch, { compression }));
    progress.add(batch.length);
    batch = [];
  };
  try {
    for await (const piece of inputMessages(options, io)) {
      batch.push(createMessage(piece));
      messages++;
      bytes += piece.length;
      if (batch.length >= batchSize) await send();
    }
    await send();
    if (options.confirm) await kafka.confirm();
  } finally {
    progress.stop();
    await kafka.close();
  }
  const seconds = (Date.now() - started) / 1000;
  const where = target?.describe(options.topic) ?? options.topic;
  io.err(`produced ${messages} message(s), ${bytes} bytes, to ${where}${options.confirm ? " (confirmed)" : ""} in ${seconds.toFixed(2)} s`);
  return 0;
}

function parseCompression(value: string | undefined): CompressionName {
  const compression = (value ?? "none") as CompressionName;
  if (!["none", "gzip", "snappy"].includes(compression))
    throw new CliError(`--compression must be gzip or snappy, got ${JSON.stringify(compression)}`);
  return compression;
}

/** Where each batch goes, and what went where (for the closing line on stderr). */
interface PartitionChoice {
  /** The partition for a batch of `messages`. */
  next(messages: number): number;
  /** `t/1`, or `t partitions 0 (200), 1 (100)`. */
  describe(topic: string): string;
}

/** `-p N`: every batch to N; with -1 the broker picks one at random per batch, and nobody here knows which. */
function fixedPartition(partition: number): PartitionChoice {
  return {
    next: () => partition,
    describe: (topic) => (partition >= 0 ? `${topic}/${partition}` : `${topic} (partitions picked by the broker)`),
  };
}

/**
 * No `-p`: batches go round-robin over the topic's partitions on the broker, from a random one (so
 * small runs still spread, as with the broker's random pick), and the closing line says which
 * partitions received how many messages. The CLI picks rather than the broker (partition −1) so
 * that it knows where the messages went and a following `k07 consume -p N` is no guess; reading
 * every partition's offsets before and after instead would cost two requests per partition and
 * count other producers' messages as ours. When the partition count cannot be learned (a proxy
 * that denies fetches), the broker picks as with `-p -1`.
 */
async function roundRobin(kafka: KafkaClient, topic: string): Promise<PartitionChoice> {
  const count = await partitionCount(kafka, topic);
  if (count === undefined || count === 0) return fixedPartition(-1);
  const received = new Map<number, number>();
  let turn = Math.floor(Math.random() * count);
  return {
    next(messages) {
      const partition = turn++ % count;
      received.set(partition, (received.get(partition) ?? 0) + messages);
      return partition;
    },
    describe(topic) {
      if (received.size === 1) return `${topic}/${[...received.keys()][0]}`;
      const parts = [...received].sort(([a], [b]) => a - b).map(([partition, n]) => `${partition} (${n})`);
      return `${topic} partitions ${parts.join(", ")}`;
    },
  };
}

/** Partitions past this are not probed: batches spread over the first ones. */
const MAX_PROBED_PARTITIONS = 1024;

/**
 * How many partitions the broker has for a topic, by fetching no bytes from partitions 0, 1, 2…
 * until it answers WrongPartition (protocol §7.5; 0.7 has no metadata request). A topic the broker
 * does not have yet counts with its `num.partitions`, which its first produce creates. Probes go out
 * pipelined, 8 at first, then 4 times as many per round. Undefined when the broker (or a proxy)
 * refuses the fetches.
 */
async function partitionCount(kafka: KafkaClient, topic: string): Promise<number | undefined> {
  const exists = (partition: number) =>
    kafka.getMessageSet(new FetchRequest(topic, partition, 0, 0)).then(
      () => true,
      (error: unknown) => {
        if (error instanceof WrongPartitionError) return false;
        // The partition exists, only not from offset 0 (its oldest segments were deleted).
        if (error instanceof OffsetOutOfRangeError) return true;
        if (error instanceof BrokerError) return undefined;
        throw error;
      },
    );
  let probed = 0;
  for (let round = 8; probed < MAX_PROBED_PARTITIONS; round *= 4) {
    const size = Math.min(round, MAX_PROBED_PARTITIONS - probed);
    const answers = await Promise.all(Array.from({ length: size }, (_, i) => exists(probed + i)));
    if (answers.includes(undefined)) return undefined;
    const missing = answers.indexOf(false);
    if (missing >= 0) return probed + missing;
    probed += size;
  }
  return MAX_PROBED_PARTITIONS;
}

/** The input as messages: split on the delimiter, or whole. */
function inputMessages(options: ProduceOptions, io: CommandIo): AsyncGenerator<Uint8Array> {
  const delimiter = options.delimiter === undefined ? "\n" : options.delimiter.replace(/\\n/g, "\n").replace(/\\t/g, "\t").replace(/\\0/g, "\0");
  if (options.wholeInput) return whole(io.stdin);
  const bytes = new TextEncoder().encode(delimiter);
  if (bytes.length !== 1) throw new CliError("--delimiter must be one byte");
  return splitStream(io.stdin, bytes[0]!);
}

/** `k07 produce --zookeeper`: the cluster producer; with --key-delimiter, keys choose partitions like Java's. */
async function produceThroughZooKeeper(options: ProduceOptions, io: CommandIo): Promise<number> {
  const batchSize = options.batchSize === undefined ? 200 : parseInteger("--batch-size", options.batchSize, 1);
  const compression = parseCompression(options.compression);
  if (options.partition !== undefined) throw new CliError("--partition does not apply with --zookeeper: keys (or chance) pick the broker-partition");
  const producer = new Producer({ zookeeper: options.zookeeper!, batchSize, compression });
  const progress = startProgress(`producing to ${options.topic}:`);
  const decoder = new TextDecoder();
  const keyDelimiter = options.keyDelimiter === undefined ? undefined : new TextEncoder().encode(options.keyDelimiter);
  let window: Promise<void>[] = [];
  let messages = 0;
  let failed = 0;
  const count = (p: Promise<void>) =>
    p.then(
      () => progress.add(1),
      () => void failed++,
    );
  try {
    await producer.connect();
    for await (const piece of inputMessages(options, io)) {
      let key: string | undefined;
      let value = piece;
      if (keyDelimiter !== undefined) {
        const at = indexOf(piece, keyDelimiter);
        if (at >= 0) {
          key = decoder.decode(piece.subarray(0, at));
          value = piece.subarray(at + keyDelimiter.length);
        }
      }
      window.push(count(producer.send(options.topic, value, key)));
      messages++;
      // Bound what is queued: wait for a window of sends before reading more input.
      if (window.length >= batchSize * 10) {
        await Promise.all(window);
        window = [];
      }
    }
    await Promise.all(window);
    await producer.confirm();
  } finally {
    progress.stop();
    await producer.close().catch(() => {});
  }
  io.err(`produced ${messages - failed} message(s) to ${options.topic} through ZooKeeper${failed ? `; ${failed} failed` : ""} (confirmed)`);
  return failed === 0 ? 0 : 1;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

async function* whole(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of input) {
    chunks.push(chunk);
    checkLength((bytes += chunk.length));
  }
  yield concatBytes(chunks);
}
