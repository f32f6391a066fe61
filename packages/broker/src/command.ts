import { parseArgs } from "node:util";
import { startBroker, type Broker } from "./broker.ts";
import type { BrokerOptions } from "./options.ts";

const USAGE = `Usage: k07-broker [options]
Starts an embedded Kafka 0.7.2 broker and prints where it listens. Ctrl-C stops it cleanly.

  --host <addr>            listen address (default 127.0.0.1)
  --port <n>               port (default 9092; 0 picks a free one)
  --data <dir>             keep logs in <dir> in 0.7's layout (default: in memory)
  --partitions <n>         partitions per topic (default 1)
  --topic-partitions <m>   per-topic counts, e.g. "a:4,b:8"
  --segment-bytes <n>      roll segments at this size (default 1 GiB)
  --flush-messages <n>     messages between flushes (default 1: visible at once)
  --flush-ms <n>           flush every n ms (default: off)
  --max-message-size <n>   largest payload accepted (default 1000000)
  --zookeeper <connect>    register in ZooKeeper (host:port[/chroot]) as a 0.7 cluster member
  --broker-id <n>          this broker's id (needed with --zookeeper)
  --verbose                log connections closed by the broker and dropped produces
  -h, --help               this help`;

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`--${name} must be an integer, got ${JSON.stringify(value)}`);
  return n;
}

/** Parses `k07-broker` arguments into broker options (throws a RangeError with a one-line message). */
export function parseBrokerArguments(argv: readonly string[]): { options: BrokerOptions; verbose: boolean; help: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      data: { type: "string" },
      partitions: { type: "string" },
      "topic-partitions": { type: "string" },
      "segment-bytes": { type: "string" },
      "flush-messages": { type: "string" },
      "flush-ms": { type: "string" },
      "max-message-size": { type: "string" },
      zookeeper: { type: "string" },
      "broker-id": { type: "string" },
      verbose: { type: "boolean", short: "v" },
      help: { type: "boolean", short: "h" },
    },
  });
  const topicPartitions: Record<string, number> = {};
  for (const item of (values["topic-partitions"] ?? "").split(",").filter(Boolean)) {
    const colon = item.lastIndexOf(":");
    if (colon <= 0) throw new RangeError(`--topic-partitions items are topic:count, got ${JSON.stringify(item)}`);
    topicPartitions[item.slice(0, colon)] = number("topic-partitions", item.slice(colon + 1))!;
  }
  return {
    help: values.help ?? false,
    verbose: values.verbose ?? false,
    options: {
      host: values.host,
      port: number("port", values.port) ?? 9092,
      dataDir: values.data,
      numPartitions: number("partitions", values.partitions),
      topicPartitions,
      segmentBytes: number("segment-bytes", values["segment-bytes"]),
      flushIntervalMessages: number("flush-messages", values["flush-messages"]),
      flushIntervalMs: number("flush-ms", values["flush-ms"]),
      maxMessageSize: number("max-message-size", values["max-message-size"]),
      zookeeper: values.zookeeper,
      brokerId: number("broker-id", values["broker-id"]),
    },
  };
}

/**
 * Runs the broker command: starts a broker, prints `k07 broker listening on host:port`, and stops
 * cleanly on SIGINT/SIGTERM. Returns the exit status once stopped.
 */
export async function runBrokerCommand(
  argv: readonly string[],
  io: { out: (line: string) => void; err: (line: string) => void } = {
    out: (line) => process.stdout.write(line + "\n"),
    err: (line) => process.stderr.write(line + "\n"),
  },
): Promise<number> {
  let parsed;
  try {
    parsed = parseBrokerArguments(argv);
  } catch (error) {
    io.err(`k07-broker: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    io.out(USAGE);
    return 0;
  }
  let broker: Broker;
  try {
    broker = await startBroker({
      ...parsed.options,
      onEvent: parsed.verbose ? (e) => io.err(`${e.kind} ${e.remote}: ${e.reason}`) : undefined,
    });
  } catch (error) {
    io.err(`k07-broker: cannot start: ${(error as Error).message}`);
    return 1;
  }
  io.out(`k07 broker listening on ${broker.address}${parsed.options.dataDir ? ` (data in ${parsed.options.dataDir})` : " (in memory)"}`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await broker.close();
  io.err("k07 broker stopped");
  return 0;
}
