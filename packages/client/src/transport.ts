/**
 * What a runtime must provide for the client: a byte stream to a broker. Everything else
 * (framing, matching, retries, timeouts) is in the client, so a transport is a short adapter.
 */
export interface Transport {
  /**
   * Opens a connection. Resolves once connected; rejects if the connection cannot be made or
   * `signal` aborts first (the client aborts on its connect timeout).
   */
  connect(target: TransportTarget, handlers: TransportHandlers, signal: AbortSignal): Promise<TransportConnection>;
}

export interface TransportTarget {
  readonly host: string;
  readonly port: number;
  /** TLS settings as the runtime understands them; absent = plain TCP. */
  readonly tls?: unknown;
}

/**
 * Called by the transport. `data` chunks must not be reused by the transport afterwards: the client
 * keeps views into them. A transport that can read into a buffer it is given (Node's `onread`) may
 * instead, for every read, ask `readBuffer()` where to put the bytes and report them with
 * `bytesRead(n)`: a large response is then read straight into its own buffer, with no chunk
 * allocated and no copy.
 */
export interface TransportHandlers {
  data(chunk: Uint8Array): void;
  /** Where the next read should put its bytes (valid until `bytesRead` or `data` is called). The client always provides it. */
  readBuffer?(): Uint8Array;
  /** `n` bytes were read into the start of the last `readBuffer()`. The client always provides it. */
  bytesRead?(n: number): void;
  /** The transport can take more writes after `write` returned false. */
  drain(): void;
  /** The connection is gone (error = why, if it was not a clean end). Called once. */
  closed(error?: Error): void;
}

export interface TransportConnection {
  /** Queues bytes to send (never copied by the client afterwards). Returns false when the caller should wait for `drain`. */
  write(bytes: Uint8Array): boolean;
  /** Optional: queues several chunks to go out together (Node: one `writev`), same contract as `write`. */
  writeMany?(chunks: readonly Uint8Array[]): boolean;
  /** Sends what is queued, then closes. */
  end(): Promise<void>;
  /** Closes at once, dropping what is queued. */
  destroy(): void;
}
