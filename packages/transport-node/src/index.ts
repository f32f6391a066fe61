/**
 * k07 for Node.js: the Kafka 0.7 `KafkaClient` over `node:net` / `node:tls`, with everything a user
 * needs from the codec and client re-exported.
 */
import { KafkaClient as BaseKafkaClient, type ClientOptions, type Transport } from "@k07/client";
import { installNodeAllocator } from "./native-allocator.ts";
import { installNativeCrc32 } from "./native-crc32.ts";
import { nodeTransport } from "./node-transport.ts";

installNativeCrc32();
installNodeAllocator();

export * from "@k07/client";
export { nodeTransport } from "./node-transport.ts";
export { hybridCrc32, installNativeCrc32, NATIVE_CRC32_THRESHOLD } from "./native-crc32.ts";
export { installNodeAllocator, nodeAllocator, UNINITIALISED_ALLOCATION_THRESHOLD } from "./native-allocator.ts";

/** Options of the Node client: the client's, plus `tls` (`true` or `tls.ConnectionOptions`) and an optional transport. */
export interface NodeClientOptions extends ClientOptions {
  readonly tls?: boolean | import("node:tls").ConnectionOptions;
  readonly transport?: Transport;
}

/** `new KafkaClient("localhost", 9092)`: a Kafka 0.7 client over TCP (lazy connect). */
export class KafkaClient extends BaseKafkaClient {
  constructor(host: string, port: number, options: NodeClientOptions = {}) {
    super(host, port, { ...options, transport: options.transport ?? nodeTransport });
  }
}
