import { ProduceRequest, createMessage, type CompressionName, type Message } from "@k07/codec";
import { KafkaClient } from "@k07/transport-node";
import { CliError, parseAddress, parseInteger } from "../address.ts";
import { startProgress } from "../progress.ts";
import type { CommandIo } from "./io.ts";

export interface ProduceOptions {
  broker: string;
  topic: string;
  partition?: string;
  compression?: string;
  delimiter?: string;
  wholeInput?: boolean;
  batchSize?: string;
  confirm?: boolean;
}

/** Splits a byte stream on a one-byte delimiter, yielding each piece as bytes (the last one may lack it). */
async function* splitStream(input: AsyncIterable<Uint8Array>, delimiter: number): AsyncGenerator<Uint8Array> {
  let carry = new Uint8Array(0);
  for await (const chunk of input) {
    const data = carry.length === 0 ? chunk : concat(carry, chunk);
    let start = 0;
    for (let i = data.indexOf(delimiter); i >= 0; i = data.indexOf(delimiter, start)) {
      yield data.subarray(start, i);
      start = i + 1;
    }
    carry = data.slice(start);
  }
  if (carry.length > 0) yield carry;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** `k07 produce`: one message per line (or per delimiter, or the whole input), sent in batches. */
export async function produceCommand(options: ProduceOptions, io: CommandIo): Promise<number> {
  const { host, port } = parseAddress(options.broker);
  const partition = options.partition === undefined ? -1 : parseInteger("--partition", options.partition, -1);
  const batchSize = options.batchSize === undefined ? 200 : parseInteger("--batch-size", options.batchSize, 1);
  const compression = (options.compression ?? "none") as CompressionName;
  if (!["none", "gzip", "snappy"].includes(compression)) throw new CliError(`--compression must be gzip or snappy, got ${JSON.stringify(compression)}`);
  const delimiter = options.delimiter === undefined ? "\n" : options.delimiter.replace(/\\n/g, "\n").replace(/\\t/g, "\t").replace(/\\0/g, "\0");
  if (!options.wholeInput && new TextEncoder().encode(delimiter).length !== 1) throw new CliError("--delimiter must be one byte");
  const kafka = new KafkaClient(host, port);
  const progress = startProgress(`producing to ${options.topic}:`);
  const started = Date.now();
  let messages = 0;
  let bytes = 0;
  let batch: Message[] = [];
  const send = async () => {
    if (batch.length === 0) return;
    await kafka.sendMessageSet(new ProduceRequest(options.topic, partition, batch, { compression }));
    progress.add(batch.length);
    batch = [];
  };
  try {
    const pieces = options.wholeInput ? whole(io.stdin) : splitStream(io.stdin, new TextEncoder().encode(delimiter)[0]!);
    for await (const piece of pieces) {
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
  io.err(`produced ${messages} message(s), ${bytes} bytes, to ${options.topic}${partition >= 0 ? `/${partition}` : ""}${options.confirm ? " (confirmed)" : ""} in ${seconds.toFixed(2)} s`);
  return 0;
}

async function* whole(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of input) chunks.push(chunk);
  yield chunks.reduce(concat, new Uint8Array(0));
}
