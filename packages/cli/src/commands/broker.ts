import { startBroker } from "@k07/broker";
import { parseInteger } from "../address.ts";
import type { CommandIo } from "./io.ts";

export interface BrokerCommandOptions {
  host?: string;
  port?: string;
  data?: string;
  partitions?: string;
  verbose?: boolean;
}

/** `k07 broker`: the embedded Kafka 0.7.2 broker until Ctrl-C. */
export async function brokerCommand(options: BrokerCommandOptions, io: CommandIo): Promise<number> {
  const broker = await startBroker({
    host: options.host,
    port: options.port === undefined ? 9092 : parseInteger("--port", options.port, 0),
    dataDir: options.data,
    numPartitions: options.partitions === undefined ? undefined : parseInteger("--partitions", options.partitions, 1),
    onEvent: options.verbose ? (e) => io.err(`${e.kind} ${e.remote}: ${e.reason}`) : undefined,
  });
  io.out(`k07 broker listening on ${broker.address}${options.data ? ` (data in ${options.data})` : " (in memory)"}\n`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await broker.close();
  io.err("k07 broker stopped");
  return 0;
}
