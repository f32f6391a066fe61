import { parseArgs } from "node:util";
import { startBroker, type Broker } from "./broker.ts";
import { resolveBrokerOptions, type BrokerOptions } from "./options.ts";

/**
 * The broker command, behind both `k07-broker` and `k07 broker`: its flags, how their values become
 * broker options, and the run (start, print where it listens, stop on a signal). Each front end only
 * parses the command line its own way.
 */

/** One flag of the broker command. */
export interface BrokerFlag {
  /** The long name, without dashes (`segment-bytes`). */
  readonly name: string;
  /** The value's placeholder in the help (`n`, `dir`); absent for a switch. */
  readonly value?: string;
  readonly short?: string;
  readonly help: string;
}

/** Every flag of the broker command, in the order the help lists them. */
export const BROKER_FLAGS: readonly BrokerFlag[] = [
  { name: "host", value: "addr", help: "listen address (default 127.0.0.1)" },
  { name: "port", value: "n", help: "port (default 9092; 0 picks a free one)" },
  { name: "data", value: "dir", help: "keep logs in <dir> in 0.7's layout (default: in memory)" },
  { name: "partitions", value: "n", help: "partitions per topic (default 1)" },
  { name: "topic-partitions", value: "map", help: 'per-topic counts, e.g. "a:4,b:8"' },
  { name: "segment-bytes", value: "n", help: "roll segments at this size (default 1 GiB)" },
  { name: "segment-ms", value: "n", help: "roll segments at this age (default 168 h)" },
  { name: "retention-bytes", value: "n", help: "delete old segments beyond this many bytes per partition (default -1: no limit)" },
  { name: "retention-ms", value: "n", help: "delete segments older than this (default 168 h; -1: keep forever)" },
  { name: "flush-messages", value: "n", help: "messages between flushes (default 1: visible at once)" },
  { name: "flush-ms", value: "n", help: "flush every n ms (default: off)" },
  { name: "fsync", help: "fsync segment files on flush" },
  { name: "max-message-size", value: "n", help: "largest payload accepted (default 1000000)" },
  { name: "max-request-bytes", value: "n", help: "largest request frame (default 104857600)" },
  { name: "zookeeper", value: "connect", help: "register in ZooKeeper (host:port[/chroot]) as a 0.7 cluster member" },
  { name: "broker-id", value: "n", help: "this broker's id (needed with --zookeeper)" },
  { name: "advertised-host", value: "host", help: "host registered in ZooKeeper for clients (default the listen address)" },
  { name: "verbose", short: "v", help: "log connections closed by the broker and dropped produces" },
];

/** Flag values by flag name, as a command-line parser found them (strings, or true for a switch). */
export type BrokerFlagValues = Readonly<Record<string, string | boolean | undefined>>;

/** What the broker command runs with. */
export interface BrokerCommandArguments {
  readonly options: BrokerOptions;
  /** Report connection events on stderr. */
  readonly verbose: boolean;
}

/** Where the broker command writes, and what stops it. */
export interface BrokerCommandIo {
  out(line: string): void;
  err(line: string): void;
  /** Stops the broker when aborted. */
  readonly signal: AbortSignal;
}

/** The help text of the broker command, under the name it was called by. */
export function brokerUsage(command = "k07-broker"): string {
  const rows = BROKER_FLAGS.map((flag) => [
    `${flag.short ? `-${flag.short}, ` : "    "}--${flag.name}${flag.value ? ` <${flag.value}>` : ""}`,
    flag.help,
  ]);
  rows.push(["-h, --help", "this help"]);
  const width = Math.max(...rows.map(([left]) => left!.length)) + 2;
  return [
    `Usage: ${command} [options]`,
    "Starts an embedded Kafka 0.7.2 broker and prints where it listens. Ctrl-C stops it cleanly.",
    "",
    ...rows.map(([left, help]) => `  ${left!.padEnd(width)}${help}`),
  ].join("\n");
}

function integer(name: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !Number.isSafeInteger(n)) {
    throw new RangeError(`--${name} must be an integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

function text(value: string | boolean | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function topicPartitions(value: string | boolean | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of (text(value) ?? "").split(",").filter(Boolean)) {
    const colon = item.lastIndexOf(":");
    if (colon <= 0) throw new RangeError(`--topic-partitions items are topic:count, got ${JSON.stringify(item)}`);
    counts[item.slice(0, colon)] = integer("topic-partitions", item.slice(colon + 1))!;
  }
  return counts;
}

/**
 * Turns flag values into broker options, checked as `startBroker` checks them (a RangeError or
 * TypeError with a one-line message for a bad value), so a mistake is reported before anything starts.
 */
export function brokerArguments(values: BrokerFlagValues): BrokerCommandArguments {
  const options: BrokerOptions = {
    host: text(values.host),
    port: integer("port", values.port) ?? 9092,
    dataDir: text(values.data),
    numPartitions: integer("partitions", values.partitions),
    topicPartitions: topicPartitions(values["topic-partitions"]),
    segmentBytes: integer("segment-bytes", values["segment-bytes"]),
    segmentMs: integer("segment-ms", values["segment-ms"]),
    retentionBytes: integer("retention-bytes", values["retention-bytes"]),
    retentionMs: integer("retention-ms", values["retention-ms"]),
    flushIntervalMessages: integer("flush-messages", values["flush-messages"]),
    flushIntervalMs: integer("flush-ms", values["flush-ms"]),
    fsync: values.fsync === true,
    maxMessageSize: integer("max-message-size", values["max-message-size"]),
    maxRequestBytes: integer("max-request-bytes", values["max-request-bytes"]),
    zookeeper: text(values.zookeeper),
    brokerId: integer("broker-id", values["broker-id"]),
    advertisedHost: text(values["advertised-host"]),
  };
  resolveBrokerOptions(options);
  return { options, verbose: values.verbose === true };
}

/** Parses `k07-broker` arguments (throws a RangeError or TypeError with a one-line message). */
export function parseBrokerArguments(argv: readonly string[]): BrokerCommandArguments & { help: boolean } {
  const flags: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const flag of BROKER_FLAGS) flags[flag.name] = { type: flag.value ? "string" : "boolean", ...(flag.short ? { short: flag.short } : {}) };
  const { values } = parseArgs({ args: [...argv], strict: true, options: flags });
  return { ...brokerArguments(values), help: values.help === true };
}

/**
 * Runs the broker until `io.signal` aborts: starts it, prints `k07 broker listening on host:port`
 * on stdout, and closes it cleanly. A broker that cannot start (a port in use, ZooKeeper
 * unreachable) is one line on stderr, `<command>: …`, and status 1, with nothing on stdout.
 */
export async function runBroker(args: BrokerCommandArguments, io: BrokerCommandIo, command = "k07-broker"): Promise<number> {
  let broker: Broker;
  try {
    broker = await startBroker({
      ...args.options,
      onEvent: args.verbose ? (e) => io.err(`${e.kind} ${e.remote}: ${e.reason}`) : undefined,
    });
  } catch (error) {
    io.err(`${command}: ${describeListenError(error, "--port")}`);
    return 1;
  }
  const dataDir = args.options.dataDir;
  io.out(`k07 broker listening on ${broker.address}${dataDir ? ` (data in ${dataDir})` : " (in memory)"}`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await broker.close();
  io.err("k07 broker stopped");
  return 0;
}

/**
 * Why a server could not start, in one line: a port in use or an address that cannot be bound says
 * so and which option picks another (`portOption`); anything else is `cannot start: <message>`.
 */
export function describeListenError(error: unknown, portOption: string): string {
  const { code, address, port, message } = error as { code?: string; address?: string; port?: number; message?: string };
  const where = address !== undefined && port !== undefined ? `${address}:${port}` : "the address";
  if (code === "EADDRINUSE")
    return `cannot listen on ${where}: the port is already in use (choose another with ${portOption}; port 0 picks a free one)`;
  if (code === "EADDRNOTAVAIL") return `cannot listen on ${where}: no such address on this machine`;
  if (code === "EACCES") return `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`;
  return `cannot start: ${message ?? String(error)}`;
}

/** A signal that SIGINT or SIGTERM aborts (the handlers are removed when it is). */
function processStopSignal(): AbortSignal {
  const abort = new AbortController();
  const stop = () => {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    abort.abort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return abort.signal;
}

/**
 * `k07-broker <argv>`: parses the arguments, then runs the broker (see `runBroker`) until SIGINT or
 * SIGTERM. Returns the exit status: 0 after a clean stop, 1 when it could not start, 2 for a bad argument.
 */
export async function runBrokerCommand(argv: readonly string[], io: Partial<BrokerCommandIo> = {}): Promise<number> {
  const err = io.err ?? ((line: string) => void process.stderr.write(line + "\n"));
  const out = io.out ?? ((line: string) => void process.stdout.write(line + "\n"));
  let parsed;
  try {
    parsed = parseBrokerArguments(argv);
  } catch (error) {
    err(`k07-broker: ${(error as Error).message}\n${brokerUsage()}`);
    return 2;
  }
  if (parsed.help) {
    out(brokerUsage());
    return 0;
  }
  return runBroker(parsed, { out, err, signal: io.signal ?? processStopSignal() });
}
