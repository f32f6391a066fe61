import { GroupConsumer } from "@k07/cluster";
import { parseInteger } from "../address.ts";
import { compileFormat } from "../format.ts";
import { startProgress } from "../progress.ts";
import type { CommandIo } from "./io.ts";

export interface GroupConsumeOptions {
  zookeeper: string;
  group: string;
  topic: string;
  streams?: string;
  format?: string;
  count?: string;
  consumerId?: string;
  reset?: string;
}

/**
 * `k07 group-consume`: joins a consumer group (as a 0.7 Java member would) and prints the messages
 * of the partitions it is assigned until Ctrl-C or `--count`; then commits and leaves.
 */
export async function groupConsumeCommand(options: GroupConsumeOptions, io: CommandIo): Promise<number> {
  const count = options.count === undefined ? Infinity : parseInteger("--count", options.count, 0);
  const streams = options.streams === undefined ? 1 : parseInteger("--streams", options.streams, 1);
  const reset = options.reset ?? "smallest";
  if (reset !== "smallest" && reset !== "largest") throw new RangeError(`--reset must be smallest or largest, got ${reset}`);
  const render = compileFormat(options.format ?? "%s\\n");
  if (count === 0) return 0;
  const consumer = await GroupConsumer.start({
    zookeeper: options.zookeeper,
    group: options.group,
    topics: { [options.topic]: streams },
    consumerId: options.consumerId,
    autoOffsetReset: reset,
  });
  const progress = startProgress(`consuming ${options.topic} in group ${options.group}:`);
  const stop = () => void consumer.close();
  io.signal.addEventListener("abort", stop, { once: true });
  let printed = 0;
  try {
    for await (const message of consumer) {
      if (io.out(render(message.message, message.topic, message.partition)) === false) await io.drained();
      progress.add(1);
      if (++printed >= count) break;
    }
  } finally {
    io.signal.removeEventListener("abort", stop);
    progress.stop();
    await consumer.close();
  }
  return 0;
}
