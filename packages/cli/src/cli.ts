import { Command, CommanderError } from "commander";
import { K07Error } from "@k07/codec";
import { CliError } from "./address.ts";
import { addBrokerCommand } from "./commands/broker.ts";
import { brokersCommand } from "./commands/brokers.ts";
import { consumeCommand } from "./commands/consume.ts";
import { dumpCommand } from "./commands/dump.ts";
import { groupConsumeCommand } from "./commands/group-consume.ts";
import { groupsCommand } from "./commands/groups.ts";
import type { CommandIo } from "./commands/io.ts";
import { offsetsCommand } from "./commands/offsets.ts";
import { produceCommand } from "./commands/produce.ts";
import { proxyCommand } from "./commands/proxy.ts";
import { cliVersion } from "./version.ts";

/** The real process's streams, with SIGINT/SIGTERM as the abort signal. */
export function processIo(): CommandIo {
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    // A closed pipe (`k07 consume | head`) ends the command quietly.
    if (error.code === "EPIPE") abort.abort();
  });
  return {
    out: (text) => process.stdout.write(text),
    err: (line) => void process.stderr.write(line + "\n"),
    drained: () => new Promise((resolve) => process.stdout.once("drain", () => resolve())),
    stdin: process.stdin,
    stdinIsTerminal: process.stdin.isTTY === true,
    signal: abort.signal,
  };
}

/**
 * Runs `k07 <args>` and returns the exit status: 0, 1 for a failure, 2 for a usage mistake. Errors
 * are one line on stderr unless `--verbose`.
 */
export async function runCli(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  const verbose = argv.includes("--verbose");
  let status = 0;
  const run: Runner = async (action) => {
    status = await action();
  };
  const program = createProgram(io, await cliVersion(), verbose, run);
  if (argv.length === 0 && io.stdinIsTerminal) return helpAtTerminal(program, io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return status;
  } catch (error) {
    return reportError(error, verbose, io);
  }
}

/** Runs a command's action and keeps its exit status. */
type Runner = (action: () => Promise<number>) => Promise<void>;

/** The `k07` program with every command. */
function createProgram(io: CommandIo, version: string, verbose: boolean, run: Runner): Command {
  const program = new Command("k07")
    .description("kcat for Kafka 0.7: produce, consume, offsets, an embedded broker, segment dumps and a protocol-aware proxy")
    .version(version, "-V, --version", "print the version")
    .option("--verbose", "print stack traces on errors")
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.out(s), writeErr: (s) => io.err(s.trimEnd()) });
  addZooKeeperCommands(program, io, run);
  addClientCommands(program, io, run);
  addBrokerCommand(program, io, run, verbose);
  addToolCommands(program, io, run);
  return program;
}

/**
 * A bare `k07` typed at a terminal is someone finding their way: the help on stdout, status 0.
 * (Without a terminal, as in a script, it stays a usage mistake: the help on stderr, status 2.)
 */
function helpAtTerminal(program: Command, io: CommandIo): number {
  io.out(program.helpInformation());
  return 0;
}

/** The exit status for an error, after one line on stderr (the stack with `--verbose`). */
function reportError(error: unknown, verbose: boolean, io: CommandIo): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (verbose) io.err((error as Error).stack ?? String(error));
  else if (error instanceof CliError || error instanceof RangeError || error instanceof TypeError) io.err(`k07: ${(error as Error).message}`);
  else if (error instanceof K07Error) io.err(`k07: ${error.name}: ${error.message}`);
  else io.err(`k07: ${(error as Error).message ?? String(error)}`);
  return error instanceof CliError ? 2 : 1;
}

/** A 0.7 cluster as ZooKeeper describes it: `groups`, `group-consume`, `brokers`. */
function addZooKeeperCommands(program: Command, io: CommandIo, run: Runner): void {
  program
    .command("groups")
    .description("consumer groups in ZooKeeper; with --group: members, owners, committed offsets and lag")
    .requiredOption("--zookeeper <connect>", "ZooKeeper connect string (host:port[/chroot])")
    .option("--group <group>", "show this group")
    .action((o) => run(() => groupsCommand(o, io)));

  program
    .command("group-consume")
    .description("join a consumer group (like a 0.7 Java member) and print the messages assigned to it; commits and leaves at exit")
    .requiredOption("--zookeeper <connect>", "ZooKeeper connect string (host:port[/chroot])")
    .requiredOption("--group <group>", "consumer group")
    .requiredOption("-t, --topic <topic>", "topic")
    .option("--streams <n>", "streams (threads) this member takes part with (default 1)")
    .option("--consumer-id <id>", "member id suffix (default <host>-<ms>-<8 hex>)")
    .option("--reset <where>", "start of a partition with no committed offset: smallest (default) or largest")
    .option("-c, --count <n>", "stop after n messages")
    .option("-f, --format <format>", "output format, as for consume (default %s\\n)")
    .action((o) => run(() => groupConsumeCommand(o, io)));

  program
    .command("brokers")
    .description("list the brokers and topic partitions registered in ZooKeeper")
    .requiredOption("--zookeeper <connect>", "ZooKeeper connect string (host:port[/chroot])")
    .option("-t, --topic <topic>", "only this topic")
    .action((o) => run(() => brokersCommand(o, io)));
}

/** Talking to one broker: `produce`, `consume`, `offsets` (produce and consume also reach a cluster through ZooKeeper). */
function addClientCommands(program: Command, io: CommandIo, run: Runner): void {
  program
    .command("produce")
    .description("send stdin to a topic, one message per line (or per --delimiter, or --whole)")
    .option("-b, --broker <host:port>", "broker address")
    .option("--zookeeper <connect>", "produce to a 0.7 cluster found through ZooKeeper instead (host:port[/chroot])")
    .option("-k, --key-delimiter <text>", "with --zookeeper: the text before it is the message key, which picks the partition as Java does")
    .requiredOption("-t, --topic <topic>", "topic")
    .option(
      "-p, --partition <n>",
      "partition (default: batches round-robin over the topic's partitions, reported at the end; -1: the broker picks at random)",
    )
    .option("-z, --compression <codec>", "gzip or snappy: one compressed wrapper per batch")
    .option("-D, --delimiter <char>", "message delimiter (default newline)")
    .option("--whole", "send the whole input as one message")
    .option("--batch-size <n>", "messages per produce request (default 200)")
    .option("--confirm", "wait until the broker has applied every message (exit 1 if not)")
    .action((o) => run(() => produceCommand({ ...o, wholeInput: o.whole }, io)));

  program
    .command("consume")
    .description("print messages of a partition, or (with --zookeeper and --group) of the partitions a consumer group assigns")
    .option("-b, --broker <host:port>", "broker address")
    .option("--zookeeper <connect>", "with --group: join a consumer group of a cluster (host:port[/chroot])")
    .option("--group <group>", "with --zookeeper: the consumer group (as group-consume)")
    .requiredOption("-t, --topic <topic>", "topic")
    .option("-p, --partition <n>", "partition (default 0)")
    .option("-o, --offset <where>", "beginning, end or a byte offset (default beginning)")
    .option("-c, --count <n>", "stop after n messages")
    .option("--follow", "keep waiting for new messages at the end of the log")
    .option(
      "-f, --format <format>",
      "output format: %s payload, %S size, %o offset, %n next offset, %t topic, %p partition, %c codec, %m magic (default %s\\n)",
    )
    .option("--fetch-size <bytes>", "bytes per fetch (default 1048576)")
    .action((o) => run(() => consumeCommand(o, io)));

  program
    .command("offsets")
    .description("list the offsets a broker reports for a partition, newest first")
    .requiredOption("-b, --broker <host:port>", "broker address")
    .requiredOption("-t, --topic <topic>", "topic")
    .option("-p, --partition <n>", "partition (default 0)")
    .option("--time <when>", "latest, earliest or epoch milliseconds (default latest)")
    .option("--max <n>", "most offsets to list (default 1)")
    .action((o) => run(() => offsetsCommand(o, io)));
}

/** Local tools: `dump` and `proxy`. */
function addToolCommands(program: Command, io: CommandIo, run: Runner): void {
  program
    .command("dump")
    .description("list the entries of a 0.7 log segment file (offset, size, magic, codec, CRC valid?)")
    .argument("<segment>", "a <20-digit offset>.kafka file")
    .option("-d, --deep", "also list the messages inside compressed wrappers")
    .action((file: string, o) => run(() => dumpCommand(file, o, io)));

  program
    .command("proxy")
    .description("a protocol-aware proxy in front of a broker, with topic allow lists and a request log")
    .requiredOption("--broker <host:port>", "the broker to forward to")
    .option("--listen <host:port>", "where to listen (default 127.0.0.1:9093)")
    .option("--listen-ws <host:port>", "also accept WebSocket clients (web pages) there; without --listen, only those")
    .option("--allow-origin <origins>", "with --listen-ws: comma-separated page origins (scheme://host:port) allowed besides the proxy's own, or *")
    .option("--max-ws-message <bytes>", "with --listen-ws: largest WebSocket message accepted (default 1048576)")
    .option("--serve <dir>", "with --listen-ws: serve this directory and /k07-browser.js over HTTP on that port")
    .option("--allow-produce <topics>", "comma-separated topics clients may produce to (a trailing * matches a prefix)")
    .option("--allow-fetch <topics>", "topics clients may fetch from")
    .option("--allow-offsets <topics>", "topics clients may ask offsets for")
    .option("--log", "one JSON line per request on stderr")
    .option("--max-topics <n>", "topics counted by name (default 1000); later ones are counted together as (other topics)")
    .action((o) => run(() => proxyCommand(o, io)));
}
