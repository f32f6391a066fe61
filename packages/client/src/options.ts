import { optionalInteger } from "@k07/codec";

/** Client settings. Every field is optional. */
export interface ClientOptions {
  /** Time allowed to connect, in ms. Default 5,000 (0.7's `connect.timeout.ms`). */
  readonly connectTimeoutMs?: number;
  /** Time allowed for a response, in ms; on expiry the connection is dropped. Default 30,000 (`socket.timeout.ms`). */
  readonly requestTimeoutMs?: number;
  /** Largest fetch size the client grows to when one message does not fit. Default 16 MiB. */
  readonly maxFetchBytes?: number;
  /** Largest payload a produce may carry (the broker's `max.message.size`, which drops larger ones silently). Default 1,000,000. */
  readonly maxMessageSize?: number;
  /** Check every fetched message's CRC32. Default true. */
  readonly verifyCrc?: boolean;
  /** On a CRC mismatch: throw a CrcError (default) or skip the message. */
  readonly onCorrupt?: "throw" | "skip";
  /**
   * Decompression budget of one fetch response (or MultiFetch part): bytes inflated across all its
   * wrappers plus 64 bytes per message inside them. Past it, a DecompressionLimitError. Default 64 MiB.
   */
  readonly maxDecompressedBytes?: number;
  /** First reconnect delay after a failure, in ms; doubles per failure, with jitter. Default 100. */
  readonly reconnectBackoffMs?: number;
  /** Longest reconnect delay, in ms. Default 10,000. */
  readonly reconnectBackoffMaxMs?: number;
  /** Largest response frame accepted. Default 104,857,600 + 6 (the most a 0.7 broker can send for a fetch of max size). */
  readonly maxResponseBytes?: number;
  /**
   * Largest request frame sent: the broker's `max.socket.request.bytes` (it closes the connection on
   * a larger one). A bigger produce is refused with a RangeError before anything is sent. Default 104,857,600.
   */
  readonly maxRequestBytes?: number;
  /** Passed to the transport to use TLS (for brokers behind a TLS terminator). */
  readonly tls?: unknown;
}

export type ResolvedClientOptions = Required<Omit<ClientOptions, "tls">> & { readonly tls?: unknown };

/** Settings are int32-sized unless said otherwise. */
const integer = (name: string, value: unknown, fallback: number, min: number, max = 0x7fff_ffff) => optionalInteger(name, value, fallback, min, max);

export function resolveClientOptions(options: ClientOptions = {}): ResolvedClientOptions {
  if (options === null || typeof options !== "object") throw new TypeError("client options must be an object");
  if (options.onCorrupt !== undefined && options.onCorrupt !== "throw" && options.onCorrupt !== "skip") {
    throw new RangeError(`onCorrupt must be "throw" or "skip", got ${String(options.onCorrupt)}`);
  }
  const reconnectBackoffMs = integer("reconnectBackoffMs", options.reconnectBackoffMs, 100, 0);
  return {
    connectTimeoutMs: integer("connectTimeoutMs", options.connectTimeoutMs, 5_000, 1),
    requestTimeoutMs: integer("requestTimeoutMs", options.requestTimeoutMs, 30_000, 1),
    maxFetchBytes: integer("maxFetchBytes", options.maxFetchBytes, 16 * 1024 * 1024, 4),
    maxMessageSize: integer("maxMessageSize", options.maxMessageSize, 1_000_000, 0),
    verifyCrc: options.verifyCrc ?? true,
    onCorrupt: options.onCorrupt ?? "throw",
    maxDecompressedBytes: integer("maxDecompressedBytes", options.maxDecompressedBytes, 64 * 1024 * 1024, 1),
    reconnectBackoffMs,
    reconnectBackoffMaxMs: integer("reconnectBackoffMaxMs", options.reconnectBackoffMaxMs, 10_000, reconnectBackoffMs),
    maxResponseBytes: integer("maxResponseBytes", options.maxResponseBytes, 104_857_600 + 6, 6),
    maxRequestBytes: integer("maxRequestBytes", options.maxRequestBytes, 104_857_600, 1),
    tls: options.tls,
  };
}

/** Checks a host name and port given to a client. */
export function checkBrokerAddress(host: unknown, port: unknown): { host: string; port: number } {
  if (typeof host !== "string" || host === "") throw new TypeError(`host must be a non-empty string, got ${String(host)}`);
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`port must be an integer in [1, 65535], got ${String(port)}`);
  }
  return { host, port };
}
