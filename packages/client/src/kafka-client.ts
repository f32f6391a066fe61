import {
  EARLIEST_TIME,
  FetchRequest,
  LATEST_TIME,
  MessageTooLargeError,
  MultiFetchRequest,
  MultiProduceRequest,
  OffsetRequest,
  ProduceRequest,
  brokerErrorFor,
  decodeMessageSet,
  optionalInteger,
  type CompressionName,
  type FetchResponse,
  type FetchedMessage,
  type MessageSetView,
  type ProducePayload,
} from "@k07/codec";
import { ConnectionClosedError } from "./errors.ts";
import { Backoff } from "./backoff.ts";
import { MessageStream, collectMessages, sleep } from "./message-stream.ts";
import { ClientConnection } from "./connection.ts";
import { checkFirstEntry } from "./message-boundary.ts";
import { ProduceLedger } from "./produce-ledger.ts";
import { checkBrokerAddress, resolveClientOptions, type ClientOptions, type ResolvedClientOptions } from "./options.ts";
import type { Transport } from "./transport.ts";

/** A fetched message: payload view, offset, next offset, magic, compression and `text()`. */
export type KafkaMessage = FetchedMessage;

/** What `getMessageSet` returns: the messages and the request for the next fetch. */
export type MessageSetResult = [messages: FetchedMessage[], next: FetchRequest];

/** A payload for `sendMessagesSimple`: text (UTF-8), bytes, or a message made with `createMessage`. */
export type Payload = ProducePayload;

/** The options form of `sendMessagesSimple`'s first argument. */
export interface SendTarget {
  readonly topic: string;
  /** Partition; −1 (default) lets the broker pick one at random. */
  readonly partition?: number;
  readonly compression?: CompressionName;
}

export interface IterateOptions {
  /** Keep polling at the end of the log instead of stopping. Default false. */
  readonly follow?: boolean;
  /** First wait between polls at the end of the log, in ms (doubles up to `pollMaxMs`). Default 100. */
  readonly pollMs?: number;
  readonly pollMaxMs?: number;
  /** Stops the iteration (the loop ends without error). */
  readonly signal?: AbortSignal;
  /**
   * Most bytes one paging fetch asks for (when smaller than the request's maxSize). Default 256 KiB:
   * small pages are freed by the runtime's young-generation GC; 1 MiB pages consumed at full speed
   * are promoted and pile up as ~64 MB of garbage before a full GC frees them. Raise it for fewer
   * round trips on a high-latency link (one page is in flight ahead of the consumer).
   */
  readonly pageBytes?: number;
}

/** Default `pageBytes` of iterMessages (measured by bench/soak.bench.mjs). */
export const DEFAULT_PAGE_BYTES = 256 * 1024;

export interface KafkaClientOptions extends ClientOptions {
  /** How to reach the broker: `@k07/transport-node` and `@k07/transport-deno` provide one. */
  readonly transport: Transport;
}

/**
 * A client for one Kafka 0.7 broker, with the API of the original kafka-python 0.7 `KafkaClient`.
 * It connects lazily, pipelines requests on one connection, reconnects with backoff after a
 * failure, and never loses an error: see `confirm()`.
 */
export class KafkaClient {
  readonly host: string;
  readonly port: number;
  readonly options: ResolvedClientOptions;
  private readonly transport: Transport;
  private connection: ClientConnection | undefined;
  private connecting: Promise<ClientConnection> | undefined;
  private readonly backoff: Backoff;
  /** Every produce written and not yet confirmed or named by an error, across connections. */
  private readonly ledger: ProduceLedger;
  private closing: Promise<void> | undefined;

  constructor(host: string, port: number, options: KafkaClientOptions) {
    ({ host: this.host, port: this.port } = checkBrokerAddress(host, port));
    if (options === null || typeof options !== "object" || typeof options.transport?.connect !== "function") {
      throw new TypeError("KafkaClient needs a transport (use @k07/transport-node or @k07/transport-deno)");
    }
    this.transport = options.transport;
    this.options = resolveClientOptions(options);
    this.backoff = new Backoff(this.options.reconnectBackoffMs, this.options.reconnectBackoffMaxMs);
    this.ledger = new ProduceLedger(`${this.host}:${this.port}`);
  }

  // ---------------------------------------------------------------- produce

  /**
   * Sends payloads to a topic and partition as one Produce request (kafka-python's
   * `send_messages_simple`). The first argument may be an options object with `compression`.
   * Payloads given as bytes or text are encoded straight into the request, with no message object
   * made for each (the fastest way to produce).
   */
  async sendMessagesSimple(target: string | SendTarget, partition?: number | Payload, ...payloads: Payload[]): Promise<void> {
    let request: ProduceRequest;
    if (typeof target === "string") {
      if (typeof partition !== "number") throw new TypeError("sendMessagesSimple(topic, partition, ...payloads) needs a partition number");
      request = new ProduceRequest(target, partition, payloads);
    } else {
      if (target === null || typeof target !== "object") throw new TypeError("sendMessagesSimple needs a topic or { topic, partition, compression }");
      const all = partition === undefined ? payloads : [partition as Payload, ...payloads];
      request = new ProduceRequest(target.topic, target.partition ?? -1, all, {
        compression: target.compression,
        crc32: this.options.crc32,
        allocate: this.options.allocate,
      });
    }
    return this.sendMessageSet(request);
  }

  /** Sends one Produce request. Resolves when it is written; use `confirm()` to know it was applied. */
  async sendMessageSet(request: ProduceRequest): Promise<void> {
    if (!(request instanceof ProduceRequest)) throw new TypeError("sendMessageSet needs a ProduceRequest");
    this.checkSizes([request]);
    const connection = await this.connect();
    await connection.produce(request);
  }

  /** Sends several Produce requests as one MultiProduce. */
  async sendMultiMessageSet(requests: readonly ProduceRequest[]): Promise<void> {
    const multi = new MultiProduceRequest(requests);
    this.checkSizes(multi.produces as readonly ProduceRequest[]);
    const connection = await this.connect();
    await connection.produce(multi);
  }

  /**
   * Confirms the produces whose send resolved before this call. Resolves once the broker applied
   * each of them, or an earlier `confirm()` or `close()` rejected naming it. Otherwise rejects with
   * a ProduceNotConfirmedError whose `requests` are those that may not have been applied, because
   * their connection dropped first — at whatever moment, also while this call waited to write (a
   * 0.7 broker rejects a produce only by closing the connection). Concurrent calls name in call
   * order, each request at most once: every produce written is either confirmed or named by
   * exactly one error.
   */
  confirm(): Promise<void> {
    const connection = this.connection;
    return this.ledger.confirm(async (below) => connection?.awaitApplied(below));
  }

  // ---------------------------------------------------------------- fetch

  /**
   * One fetch (kafka-python's `get_message_set`): the complete messages at the request's offset and
   * the request for the next fetch, advanced by the bytes consumed (protocol §6.2). When the response
   * holds bytes but not one whole message, the fetch size is doubled and the fetch retried, up to
   * `maxFetchBytes`; beyond that a MessageTooLargeError. Compressed messages are inflated in slices
   * that let timers and I/O run; the whole response shares one `maxDecompressedBytes` budget
   * (DecompressionLimitError past it), and a compressed message nested in another is refused
   * (NestedCompressionError).
   */
  async getMessageSet(request: FetchRequest): Promise<MessageSetResult> {
    if (!(request instanceof FetchRequest)) throw new TypeError("getMessageSet needs a FetchRequest");
    const set = await this.fetchSet(request);
    return [await collectMessages(set), request.withOffset(set.nextOffset)];
  }

  /** Several fetches in one MultiFetch request; one result per fetch, in order. */
  async getMultiMessageSet(requests: readonly FetchRequest[]): Promise<MessageSetResult[]> {
    const multi = new MultiFetchRequest(requests);
    const responses = await (await this.connect()).request(multi);
    return Promise.all(
      multi.fetches.map(async (fetch, i): Promise<MessageSetResult> => {
        // A part that needs a bigger fetch is retried alone, with growth.
        const set = await this.fetchSet(fetch, this.decode(fetch, responses[i]!));
        return [await collectMessages(set), fetch.withOffset(set.nextOffset)];
      }),
    );
  }

  /**
   * Iterates messages from the request's offset (kafka-python's `iter_messages`). With `auto`
   * (default) it pages through the log and ends at its end, or keeps polling with `follow`;
   * with `auto` false it yields only what one fetch of the requested range returns. One fetch is
   * in flight ahead of the consumer at most. Paging fetches ask for at most `options.pageBytes`
   * (default 256 KiB) even when the request's maxSize is larger, which keeps memory flat.
   */
  iterMessages(request: FetchRequest, auto = true, options: IterateOptions = {}): AsyncIterableIterator<FetchedMessage, undefined> {
    if (!(request instanceof FetchRequest)) throw new TypeError("iterMessages needs a FetchRequest");
    const pollMs = options.pollMs ?? 100;
    const page = optionalInteger("pageBytes", options.pageBytes, DEFAULT_PAGE_BYTES, 4, 0x7fff_ffff);
    // Paging reads in pages; a single range (auto false) is read as requested. A message bigger than
    // a page still comes whole: fetchSet grows the fetch to fit it.
    const fetchPage = auto ? (r: FetchRequest) => this.fetchSet(r.maxSize > page ? r.withMaxSize(page) : r) : (r: FetchRequest) => this.fetchSet(r);
    return new MessageStream(request, fetchPage, {
      paging: auto,
      follow: options.follow ?? false,
      pollMs,
      pollMaxMs: Math.max(pollMs, options.pollMaxMs ?? 5_000),
      signal: options.signal,
    });
  }

  // ---------------------------------------------------------------- offsets

  /**
   * Offsets before a time (kafka-python's `get_offsets`): −1 latest, −2 earliest; newest first.
   * A response carrying an error code rejects with its BrokerError (for example WrongPartitionError).
   */
  async getOffsets(request: OffsetRequest): Promise<number[]> {
    if (!(request instanceof OffsetRequest)) throw new TypeError("getOffsets needs an OffsetRequest");
    const response = await (await this.connect()).request(request);
    // A 0.7.2 broker closes the connection instead (protocol §3.4); another server may send a code.
    if (response.errorCode !== 0) throw brokerErrorFor(response.errorCode, { topic: request.topic, partition: request.partition });
    return response.offsets;
  }

  /** The offset after the last visible message of a partition. */
  async latestOffset(topic: string, partition: number): Promise<number> {
    return (await this.getOffsets(new OffsetRequest(topic, partition, LATEST_TIME, 1)))[0] ?? 0;
  }

  /** The first offset still held by a partition. */
  async earliestOffset(topic: string, partition: number): Promise<number> {
    return (await this.getOffsets(new OffsetRequest(topic, partition, EARLIEST_TIME, 1)))[0] ?? 0;
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Confirms outstanding produces, then closes the connection; new requests fail from the call
   * on. Rejects with a ProduceNotConfirmedError naming every produce that may not have been
   * applied and no earlier error named, including any a send already under way wrote during the
   * close. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= this.ledger.confirm(async () => {
      const connection = this.connection;
      this.connection = undefined;
      try {
        await connection?.awaitApplied(Infinity);
      } finally {
        await connection?.close();
      }
    }, true);
    return this.closing;
  }

  // ---------------------------------------------------------------- internals

  /** The set a fetch returns, grown until it holds a whole message; `first` is the answer to `request` when it came already. */
  private async fetchSet(request: FetchRequest, first?: MessageSetView): Promise<MessageSetView> {
    let fetch = request;
    let set = first ?? (await this.fetchOnce(fetch));
    for (;;) {
      if (set.requiredBytes === 0) return set;
      const limit = this.options.maxFetchBytes;
      if (fetch.maxSize >= limit) {
        throw new MessageTooLargeError(set.requiredBytes, limit, {
          topic: fetch.topic,
          partition: fetch.partition,
          offset: fetch.offset,
        });
      }
      fetch = fetch.withMaxSize(Math.min(limit, Math.max(fetch.maxSize * 2, set.requiredBytes)));
      set = await this.fetchOnce(fetch);
    }
  }

  private async fetchOnce(fetch: FetchRequest): Promise<MessageSetView> {
    return this.decode(fetch, await (await this.connect()).request(fetch));
  }

  private decode(fetch: FetchRequest, response: FetchResponse): MessageSetView {
    const context = { topic: fetch.topic, partition: fetch.partition, offset: fetch.offset };
    if (response.errorCode !== 0) throw brokerErrorFor(response.errorCode, context);
    checkFirstEntry(response.messageSet, fetch);
    return decodeMessageSet(response.messageSet, {
      baseOffset: fetch.offset,
      verifyCrc: this.options.verifyCrc,
      crc32: this.options.crc32,
      onCorrupt: this.options.onCorrupt,
      maxDecompressedBytes: this.options.maxDecompressedBytes,
      context: { topic: fetch.topic, partition: fetch.partition },
    });
  }

  private checkSizes(requests: readonly ProduceRequest[]): void {
    const max = this.options.maxMessageSize;
    for (let r = 0; r < requests.length; r++) {
      const request = requests[r]!;
      const largest = request.largestPayloadBytes;
      if (largest > max) {
        throw new MessageTooLargeError(
          largest,
          max,
          { topic: request.topic, partition: request.partition },
          `A payload of ${largest} bytes exceeds maxMessageSize ${max}; the broker would drop it silently`,
        );
      }
    }
  }

  private closedError(): ConnectionClosedError {
    return new ConnectionClosedError(`The client for ${this.host}:${this.port} is closed`);
  }

  private connect(): Promise<ClientConnection> {
    if (this.closing !== undefined && this.connection === undefined) {
      return Promise.reject(this.closedError());
    }
    const current = this.connection;
    if (current !== undefined && !current.failed) return Promise.resolve(current);
    this.connecting ??= this.openConnection().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async openConnection(): Promise<ClientConnection> {
    const delay = this.backoff.delay();
    if (delay > 0) await sleep(delay);
    let connection: ClientConnection;
    try {
      connection = await ClientConnection.open(
        this.transport,
        { host: this.host, port: this.port, tls: this.options.tls },
        this.options,
        this.ledger,
      );
    } catch (error) {
      this.backoff.failed();
      throw error;
    }
    this.backoff.succeeded();
    if (this.closing !== undefined) {
      // close() was called while this connection was being opened: nothing may be written on it.
      await connection.close();
      throw this.closedError();
    }
    connection.onFailed = () => {
      if (this.connection === connection) this.backoff.failed();
    };
    this.connection = connection;
    return connection;
  }
}
