import { CrcError, EARLIEST_TIME, FetchRequest, LATEST_TIME, OffsetNotAtMessageBoundaryError, OffsetRequest } from "@k07/codec";
import { KafkaClient } from "@k07/transport-node";
import { CliError, parseAddress, parseInteger } from "../address.ts";
import { groupConsumeCommand } from "./group-consume.ts";
import { compileFormat } from "../format.ts";
import { startProgress } from "../progress.ts";
import type { CommandIo } from "./io.ts";

export interface ConsumeOptions {
  broker?: string;
  zookeeper?: string;
  group?: string;
  topic: string;
  partition?: string;
  offset?: string;
  count?: string;
  follow?: boolean;
  format?: string;
  fetchSize?: string;
}

/** `k07 consume`: prints messages from an offset, up to a count, to the end of the log or following it. */
export async function consumeCommand(options: ConsumeOptions, io: CommandIo): Promise<number> {
  if (options.zookeeper !== undefined || options.group !== undefined) {
    if (options.zookeeper === undefined || options.group === undefined || options.broker !== undefined) {
      throw new CliError("a group consume takes --zookeeper and --group (and no -b)");
    }
    if (options.partition !== undefined || options.offset !== undefined || options.follow) {
      throw new CliError("-p, -o and --follow do not apply to a group: it is assigned partitions and resumes from its committed offsets");
    }
    return groupConsumeCommand(
      { zookeeper: options.zookeeper, group: options.group, topic: options.topic, format: options.format, count: options.count },
      io,
    );
  }
  if (options.broker === undefined) throw new CliError("give -b host:port (or --zookeeper and --group)");
  const { host, port } = parseAddress(options.broker);
  const partition = options.partition === undefined ? 0 : parseInteger("--partition", options.partition, 0);
  const count = options.count === undefined ? Infinity : parseInteger("--count", options.count, 0);
  const fetchSize = options.fetchSize === undefined ? 1024 * 1024 : parseInteger("--fetch-size", options.fetchSize, 4);
  const render = compileFormat(options.format ?? "%s\\n");
  const kafka = new KafkaClient(host, port);
  const progress = startProgress(`consuming ${options.topic}/${partition}:`);
  let printed = 0;
  try {
    const where = options.offset ?? "beginning";
    let offset: number;
    if (where === "beginning" || where === "end") {
      const time = where === "beginning" ? EARLIEST_TIME : LATEST_TIME;
      offset = (await kafka.getOffsets(new OffsetRequest(options.topic, partition, time, 1)))[0] ?? 0;
    } else {
      offset = parseInteger("--offset", where, 0);
    }
    if (count === 0) return 0;
    const abort = new AbortController();
    io.signal.addEventListener("abort", () => abort.abort(), { once: true });
    const request = new FetchRequest(options.topic, partition, offset, fetchSize);
    try {
      for await (const message of kafka.iterMessages(request, true, { follow: options.follow ?? false, signal: abort.signal })) {
        if (io.out(render(message, options.topic, partition)) === false) await io.drained();
        progress.add(1);
        if (++printed >= count) break;
      }
    } catch (error) {
      if (where !== "beginning" && where !== "end") throw notAtBoundary(error, options, partition, offset) ?? error;
      throw error;
    }
  } finally {
    progress.stop();
    await kafka.close();
  }
  return 0;
}

/**
 * A consume from a byte offset the user gave (`-o N`) that is not where a message starts: what to
 * do instead, as a usage error. A CRC mismatch on the very first message counts too (the usual sign
 * of an offset one or a few bytes off), with the corrupt log as the other possibility. Undefined
 * for any other error, or one further into the log.
 */
function notAtBoundary(error: unknown, options: ConsumeOptions, partition: number, offset: number): CliError | undefined {
  let why: string;
  if (error instanceof OffsetNotAtMessageBoundaryError && error.offset === offset) why = `it reads as ${error.reason}`;
  else if (error instanceof CrcError && error.offset === offset)
    why = "the first message there fails its CRC check; if the offset is right, the log is corrupt";
  else return undefined;
  const target = `${options.topic}/${partition}`;
  return new CliError(
    `offset ${offset} of ${target} is not at a message boundary (${why}). Offsets are byte positions; ` +
      `start at -o beginning, at a segment start \`k07 offsets -b ${options.broker} -t ${options.topic} -p ${partition} --max 10\` lists, or at an offset consume prints with -f "%o %s\\n"`,
  );
}
