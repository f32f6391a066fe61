/**
 * k07 for Node.js: the Kafka 0.7 `KafkaClient` over `node:net` / `node:tls`, with everything a user
 * needs from the codec and client re-exported.
 */
import { KafkaClient as BaseKafkaClient, type ClientOptions, type Transport } from "@k07/client";
import { nodeHooks } from "@k07/node-hooks";
import { nodeTransport } from "./node-transport.ts";

export * from "@k07/client";
export { nodeTransport } from "./node-transport.ts";
// Node's faster CRC-32 and allocator (the client's defaults here), for codec functions called directly.
export { nodeHooks, hybridCrc32, NATIVE_CRC32_THRESHOLD, nodeAllocator, UNINITIALISED_ALLOCATION_THRESHOLD } from "@k07/node-hooks";

/**
 * Options of the Node client: the client's, plus `tls` (`true` or `tls.ConnectionOptions`) and an
 * optional transport. `crc32` and `allocate` default to `nodeHooks`.
 */
export interface NodeClientOptions extends ClientOptions {
  readonly tls?: boolean | import("node:tls").ConnectionOptions;
  readonly transport?: Transport;
}

/** `new KafkaClient("localhost", 9092)`: a Kafka 0.7 client over TCP (lazy connect). */
export class KafkaClient extends BaseKafkaClient {
  constructor(host: string, port: number, options: NodeClientOptions = {}) {
    super(host, port, {
      ...options,
      crc32: options.crc32 ?? nodeHooks.crc32,
      allocate: options.allocate ?? nodeHooks.allocate,
      transport: options.transport ?? nodeTransport,
    });
  }
}
