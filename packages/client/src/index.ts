/**
 * @k07/client: the runtime-neutral Kafka 0.7 client. Runtimes plug in a `Transport`; users
 * normally import `@k07/transport-node` or `@k07/transport-deno`, which re-export all of this.
 */
export * from "@k07/codec";
export {
  DEFAULT_PAGE_BYTES,
  KafkaClient,
  type IterateOptions,
  type KafkaClientOptions,
  type KafkaMessage,
  type MessageSetResult,
  type Payload,
  type SendTarget,
} from "./kafka-client.ts";
export { resolveClientOptions, type ClientOptions, type ResolvedClientOptions } from "./options.ts";
export { Backoff } from "./backoff.ts";
export { sleep } from "./message-stream.ts";
export { ClientConnection } from "./connection.ts";
export { ProduceLedger, type ProduceLike } from "./produce-ledger.ts";
export type { Transport, TransportConnection, TransportHandlers, TransportTarget } from "./transport.ts";
