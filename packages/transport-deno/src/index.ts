/**
 * k07 for Deno: the Kafka 0.7 `KafkaClient` over `Deno.connect` / `Deno.connectTls`, with
 * everything a user needs from the codec and client re-exported. Same API as `@k07/transport-node`.
 */
import { KafkaClient as BaseKafkaClient, type ClientOptions, type Transport } from "@k07/client";
import { denoTransport } from "./deno-transport.ts";

export * from "@k07/client";
export { denoTransport, WRITE_HIGH_WATER_BYTES } from "./deno-transport.ts";

/** Options of the Deno client: the client's, plus `tls` (`true` or Deno TLS options) and an optional transport. */
export interface DenoClientOptions extends ClientOptions {
  readonly tls?: boolean | Record<string, unknown>;
  readonly transport?: Transport;
}

/** `new KafkaClient("localhost", 9092)`: a Kafka 0.7 client over TCP (lazy connect). */
export class KafkaClient extends BaseKafkaClient {
  constructor(host: string, port: number, options: DenoClientOptions = {}) {
    super(host, port, { ...options, transport: options.transport ?? denoTransport });
  }
}
