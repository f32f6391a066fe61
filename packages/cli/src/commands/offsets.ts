import { EARLIEST_TIME, LATEST_TIME, OffsetRequest } from "@k07/codec";
import { KafkaClient } from "@k07/transport-node";
import { parseAddress, parseInteger } from "../address.ts";
import type { CommandIo } from "./io.ts";

export interface OffsetsOptions {
  broker: string;
  topic: string;
  partition?: string;
  time?: string;
  max?: string;
}

/** `k07 offsets`: the offsets a broker reports before a time (segment starts and the log end), newest first. */
export async function offsetsCommand(options: OffsetsOptions, io: CommandIo): Promise<number> {
  const { host, port } = parseAddress(options.broker);
  const partition = options.partition === undefined ? 0 : parseInteger("--partition", options.partition, 0);
  const timeText = options.time ?? "latest";
  const time = timeText === "latest" ? LATEST_TIME : timeText === "earliest" ? EARLIEST_TIME : parseInteger("--time", timeText, 0);
  const max = options.max === undefined ? (time === LATEST_TIME ? 1 : 1) : parseInteger("--max", options.max, 0);
  const kafka = new KafkaClient(host, port);
  try {
    const offsets = await kafka.getOffsets(new OffsetRequest(options.topic, partition, time, max));
    for (const offset of offsets) io.out(`${offset}\n`);
  } finally {
    await kafka.close();
  }
  return 0;
}
