import { describeListenError } from "@k07/broker";
import { parseAddress, parseInteger } from "../address.ts";
import { OTHER_TOPICS, startProxy, type Proxy } from "@k07/proxy";
import type { CommandIo } from "./io.ts";

export interface ProxyCommandOptions {
  listen?: string;
  broker: string;
  allowProduce?: string;
  allowFetch?: string;
  allowOffsets?: string;
  log?: boolean;
  maxTopics?: string;
}

const list = (value: string | undefined) => (value === undefined ? undefined : value.split(",").map((s) => s.trim()).filter(Boolean));

/** `k07 proxy`: forwards clients to a broker with topic allow lists and a JSON request log on stderr. */
export async function proxyCommand(options: ProxyCommandOptions, io: CommandIo): Promise<number> {
  const listen = parseAddress(options.listen ?? "127.0.0.1:9093", 9093);
  const broker = parseAddress(options.broker);
  const maxTopics = options.maxTopics === undefined ? undefined : parseInteger("--max-topics", options.maxTopics, 0);
  let proxy: Proxy;
  try {
    proxy = await startProxy({
      host: listen.host,
      port: listen.port,
      brokerHost: broker.host,
      brokerPort: broker.port,
      policy: { produce: list(options.allowProduce), fetch: list(options.allowFetch), offsets: list(options.allowOffsets) },
      maxTopics,
      log: options.log ? (entry) => io.err(JSON.stringify(entry)) : undefined,
      onClose: options.log ? (client, reason) => io.err(JSON.stringify({ client, closed: reason })) : undefined,
    });
  } catch (error) {
    // Nothing was printed yet: the one line says why, and there is no "listening" line.
    throw new Error(describeListenError(error, "--listen"), { cause: error });
  }
  io.out(`k07 proxy listening on ${proxy.address}, forwarding to ${broker.host}:${broker.port}\n`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await proxy.close();
  for (const [topic, c] of proxy.counters()) io.err(`${topic === OTHER_TOPICS ? "(other topics)" : topic}: ${c.requests} requests, ${c.bytesProduced} bytes produced, ${c.bytesFetched} bytes fetched, ${c.denied} denied`);
  return 0;
}
