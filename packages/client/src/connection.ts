import {
  ClientSession,
  concatBytes,
  FetchRequest,
  K07Error,
  MultiFetchRequest,
  MultiProduceRequest,
  OffsetRequest,
  ProduceRequest,
  type FetchResponse,
  type OffsetsResponse,
  type SessionEvent,
} from "@k07/codec";
import { ConnectionClosedError, TimeoutError } from "./errors.ts";
import type { ResolvedClientOptions } from "./options.ts";
import { ProduceLedger, type ProduceLike } from "./produce-ledger.ts";
import type { Transport, TransportConnection, TransportTarget } from "./transport.ts";

/** A request that gets a response. */
export type ResponseRequest = FetchRequest | MultiFetchRequest | OffsetRequest;

/** What the session keeps with each request that gets a response (its token): who waits for the answer. */
interface Waiter {
  resolve(response: SessionEvent<Waiter>["response"]): void;
  reject(error: Error): void;
  deadline: number;
  /** For a confirm: produces the ledger numbered below this are covered. −1 otherwise. */
  confirmsBelow: number;
  /** The first produce written between the request before this one and it (to name what a close followed). */
  producedBefore?: ProduceLike;
}

/** Frames up to this total are merged into one write; larger bursts go out as they are, in one `writeMany` where the transport has it. */
const COALESCE_BYTES = 64 * 1024;
/** Queued produce frames are flushed at once when they reach this size, whatever the turn. */
const FLUSH_AT_BYTES = 1024 * 1024;

const setImmediateIfAny = (globalThis as { setImmediate?: (task: () => void) => unknown }).setImmediate;

/**
 * Runs `task` once the event loop has looked at I/O: with `setImmediate` where the runtime has it
 * (Node), else with a zero-delay timer. A timer is clamped to 1 ms in Node, and a fast send loop
 * waiting for its turn to end would idle for most of that millisecond.
 */
const afterIo: (task: () => void) => void =
  typeof setImmediateIfAny === "function" ? (task) => void setImmediateIfAny(task) : (task) => void setTimeout(task, 0);

/**
 * Once this much went out in one turn of the event loop, further sends wait for the turn to end.
 * A Node socket takes every write at once while its reader keeps up (loopback), so a loop of awaited
 * sends would never yield: no answer would be read (so no checkpoint could free the ledger), and no
 * timer or other connection of the process would run until the loop ended. Where there is no
 * `setImmediate` (Deno, browsers) the transports write asynchronously, so 1 MiB queued already makes
 * sends wait for `drain`, which turns the event loop; a pause there would only add a timer's delay
 * (about 2 ms in Deno, 4 ms in browsers) per MiB.
 */
const PAUSE_AFTER_TURN_BYTES = typeof setImmediateIfAny === "function" ? FLUSH_AT_BYTES : Number.POSITIVE_INFINITY;

/**
 * A producer that never calls confirm() would otherwise keep every request it wrote (payloads
 * included) in the ledger forever. After this many produce requests, or bytes of them, written
 * since the last confirm or checkpoint, the connection sends a checkpoint of its own: the same
 * Offsets request a confirm sends, whose answer proves the produces before it applied, so the
 * ledger lets them go. A checkpoint that fails fails its connection, and the ledger then keeps
 * those produces as lost, for the next confirm() to name: nothing is forgotten either way.
 * The limits are small so that the requests (and the caller's payloads they hold) are let go
 * while still in V8's young generation: kept across scavenges, they were promoted, and garbage
 * collection took ~30% of a fast producer's time. A checkpoint costs ~40 bytes each way.
 */
const CHECKPOINT_REQUESTS = 256;
const CHECKPOINT_BYTES = 1024 * 1024;

/**
 * One connection to a broker: pipelined requests matched to responses by order (the codec's
 * ClientSession, whose pending requests carry their waiters: the one queue), writes coalesced per
 * microtask, backpressure from the transport, one deadline timer for the oldest request, and
 * produce confirmation (0.7 has no produce acknowledgement).
 * Once failed it stays failed; the client opens a new one.
 */
export class ClientConnection {
  readonly name: string;
  private readonly session: ClientSession<Waiter>;
  private readonly options: ResolvedClientOptions;
  private transport: TransportConnection | undefined;
  private outgoing: Uint8Array[] = [];
  private outgoingBytes = 0;
  private flushScheduled = false;
  /** A flush went out in this turn of the event loop (reset once the event loop has looked at I/O: `afterIo`). */
  private turnOpen = false;
  /** Bytes flushed in this turn; from PAUSE_AFTER_TURN_BYTES on, sends wait for the turn to end. */
  private turnBytes = 0;
  private writable = true;
  private drainWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly ledger: ProduceLedger;
  private failure: Error | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closedByClient = false;
  /** The first produce written since the last request that gets a response. */
  private producedSinceRequest: ProduceLike | undefined;
  /** Produce requests and their bytes written since the last confirm or checkpoint was sent. */
  private uncheckedRequests = 0;
  private uncheckedBytes = 0;
  /** Called once when the connection fails (the ledger holds what it may have lost). */
  onFailed: ((error: Error) => void) | undefined;

  private constructor(name: string, options: ResolvedClientOptions, ledger: ProduceLedger | undefined) {
    this.name = name;
    this.options = options;
    this.ledger = ledger ?? new ProduceLedger(name);
    this.session = new ClientSession<Waiter>({
      maxFrameBytes: options.maxResponseBytes,
      maxRequestBytes: options.maxRequestBytes,
      crc32: options.crc32,
      allocate: options.allocate,
    });
  }

  /**
   * Connects through `transport`, within `connectTimeoutMs`. Produces are recorded in `ledger`
   * (a client passes the one it keeps across its connections; default: one of this connection's own).
   */
  static async open(
    transport: Transport,
    target: TransportTarget,
    options: ResolvedClientOptions,
    ledger?: ProduceLedger,
  ): Promise<ClientConnection> {
    const name = `${target.host}:${target.port}`;
    const connection = new ClientConnection(name, options, ledger);
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, options.connectTimeoutMs);
    try {
      connection.transport = await transport.connect(
        target,
        {
          data: (chunk) => connection.received(chunk),
          readBuffer: () => connection.readBuffer(),
          bytesRead: (n) => connection.received(n),
          drain: () => connection.drained(),
          closed: (error) => connection.transportClosed(error),
        },
        abort.signal,
      );
    } catch (error) {
      if (timedOut) throw new TimeoutError(`Could not connect to ${name} within ${options.connectTimeoutMs} ms`);
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConnectionClosedError(`Cannot connect to ${name}: ${reason}`, undefined, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    if (connection.failure !== undefined) {
      // Failed while connecting (a first read buffer that could not be allocated): nothing may stay open.
      connection.transport.destroy();
      throw connection.failure;
    }
    return connection;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Sends a Fetch and resolves with its response. */
  request(request: FetchRequest): Promise<FetchResponse>;
  /** Sends a MultiFetch and resolves with its responses, one per fetch, in order. */
  request(request: MultiFetchRequest): Promise<FetchResponse[]>;
  /** Sends an Offsets request and resolves with its response. */
  request(request: OffsetRequest): Promise<OffsetsResponse>;
  async request(request: ResponseRequest): Promise<SessionEvent<Waiter>["response"]> {
    await this.ready();
    return new Promise((resolve, reject) => {
      this.enqueueRequest(request, { resolve, reject, deadline: 0, confirmsBelow: -1 });
    });
  }

  /** Queues a produce; resolves once it is handed to the transport's queue (no response exists). */
  async produce(request: ProduceLike): Promise<void> {
    await this.ready();
    // The connection may have failed while this call resumed: a produce recorded now would never be written.
    if (this.failure !== undefined) throw this.failure;
    const frame = this.session.send(request);
    this.ledger.written(this, request);
    this.producedSinceRequest ??= request;
    this.enqueue(frame, true);
    this.uncheckedRequests++;
    this.uncheckedBytes += frame.length;
    if (this.uncheckedRequests >= CHECKPOINT_REQUESTS || this.uncheckedBytes >= CHECKPOINT_BYTES) this.checkpoint();
  }

  /** Sends a confirm's Offsets request that nobody awaits (see CHECKPOINT_REQUESTS). */
  private checkpoint(): void {
    const below = this.ledger.writtenCount;
    const topic = this.ledger.topicOn(this, below);
    if (topic === undefined) return;
    this.sendConfirmRequest(
      topic,
      below,
      () => {},
      () => {},
    );
  }

  /** Queues the Offsets request whose answer proves this connection's produces numbered below `below` applied. */
  private sendConfirmRequest(topic: string, below: number, resolve: (response: unknown) => void, reject: (error: Error) => void): void {
    this.uncheckedRequests = 0;
    this.uncheckedBytes = 0;
    this.enqueueRequest(new OffsetRequest(topic, 0, -1, 0), { resolve, reject, deadline: 0, confirmsBelow: below });
  }

  /**
   * Resolves once the broker has applied every produce written in the ledger before the call, or
   * an earlier confirm's error named it; else rejects with a ProduceNotConfirmedError naming those
   * that may not have been applied (see ProduceLedger).
   */
  confirm(): Promise<void> {
    return this.ledger.confirm((below) => this.awaitApplied(below));
  }

  /**
   * Settles once the broker processed this connection's produces numbered below `below`, or the
   * connection failed (the ledger then holds them as lost). An Offsets request (maxNumOffsets 0,
   * valid for partition 0 of any topic the broker accepted a produce for) queued behind them is
   * answered only after they were applied; a broker that rejected one closes the connection instead.
   */
  async awaitApplied(below: number): Promise<void> {
    if (!this.ledger.pendingOn(this, below)) return;
    await this.ready();
    const topic = this.ledger.topicOn(this, below);
    // Only empty MultiProduces are pending: there is nothing to apply.
    if (topic === undefined) {
      this.ledger.confirmed(this, below);
      return;
    }
    // Its answer covers every produce written before it, also those written while it waited for drain.
    const confirmsBelow = this.ledger.writtenCount;
    await new Promise<unknown>((resolve, reject) => this.sendConfirmRequest(topic, confirmsBelow, resolve, reject));
  }

  /** Writes what is queued, waits for outstanding responses, then closes. */
  async close(): Promise<void> {
    if (this.failure !== undefined) return;
    this.flush();
    if (this.session.pendingCount > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (this.failure !== undefined) return;
    this.closedByClient = true;
    this.fail(new ConnectionClosedError(`Connection to ${this.name} was closed by the client`));
    await this.transport?.end();
  }

  /** Waits while the transport is full; throws if the connection failed. */
  private async ready(): Promise<void> {
    while (this.failure === undefined && (!this.writable || this.turnBytes >= PAUSE_AFTER_TURN_BYTES)) {
      await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    }
    if (this.failure !== undefined) throw this.failure;
  }

  private enqueueRequest(request: ResponseRequest, waiter: Waiter): void {
    if (this.failure !== undefined) {
      waiter.reject(this.failure);
      return;
    }
    let frame: Uint8Array;
    try {
      frame = this.session.send(request, waiter);
    } catch (error) {
      waiter.reject(error as Error);
      return;
    }
    waiter.deadline = Date.now() + this.options.requestTimeoutMs;
    waiter.producedBefore = this.producedSinceRequest;
    this.producedSinceRequest = undefined;
    this.enqueue(frame);
    if (this.timer === undefined) this.armTimer(this.options.requestTimeoutMs);
  }

  /**
   * Queues a frame for the next flush. A request that expects a response goes out at the end of the
   * current microtask run. A produce does too, unless a flush already went out in this turn of the
   * event loop: then it waits for the turn's end (or for FLUSH_AT_BYTES), so that a loop of awaited
   * sends reaches the socket in a few large writes instead of one system call per request.
   */
  private enqueue(frame: Uint8Array, produce = false): void {
    this.outgoing.push(frame);
    this.outgoingBytes += frame.length;
    if (this.outgoingBytes >= FLUSH_AT_BYTES) {
      this.flush();
      return;
    }
    if (this.flushScheduled || (produce && this.turnOpen)) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const frames = this.outgoing;
    const total = this.outgoingBytes;
    const transport = this.transport;
    if (frames.length === 0 || this.failure !== undefined || transport === undefined) return;
    this.outgoing = [];
    this.outgoingBytes = 0;
    if (!this.turnOpen) {
      this.turnOpen = true;
      afterIo(() => this.turnEnded());
    }
    this.turnBytes += total;
    let ok: boolean;
    if (frames.length === 1) ok = transport.write(frames[0]!);
    else if (total <= COALESCE_BYTES) ok = transport.write(concatBytes(frames));
    else if (transport.writeMany !== undefined) ok = transport.writeMany(frames);
    else {
      ok = true;
      for (const frame of frames) ok = transport.write(frame);
    }
    if (!ok) this.writable = false;
  }

  /**
   * Where the transport reads next (the session's `readBuffer()`). It may allocate a response's
   * buffer; the transport asks outside any handler of ours (Node's `onread`), so a failure to
   * allocate fails the connection here, and the read goes into a buffer of its own.
   */
  private readBuffer(): Uint8Array {
    if (this.failure === undefined) {
      try {
        return this.session.readBuffer();
      } catch (error) {
        this.badResponse(error);
      }
    }
    return new Uint8Array(64);
  }

  /** A chunk, or the number of bytes read into the session's `readBuffer()`. */
  private received(bytes: Uint8Array | number): void {
    if (this.failure !== undefined) return;
    let events: SessionEvent<Waiter>[];
    try {
      events = typeof bytes === "number" ? this.session.receiveRead(bytes) : this.session.receive(bytes);
    } catch (error) {
      this.badResponse(error);
      return;
    }
    for (const { token: waiter, response } of events) {
      if (waiter.confirmsBelow >= 0) this.ledger.confirmed(this, waiter.confirmsBelow);
      waiter.resolve(response);
    }
    if (this.session.pendingCount === 0) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of idle) resolve();
    }
    // A failure found after complete responses (for example a bad frame behind them) surfaces now.
    if (this.session.failed !== undefined) this.fail(this.session.failed as Error);
  }

  private badResponse(error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.fail(error instanceof K07Error ? error : new ConnectionClosedError(`Bad response from ${this.name}: ${reason}`));
  }

  private turnEnded(): void {
    this.turnOpen = false;
    const full = this.turnBytes >= PAUSE_AFTER_TURN_BYTES;
    this.turnBytes = 0;
    this.flush();
    if (full && this.writable) this.wakeSenders();
  }

  private drained(): void {
    this.writable = true;
    this.wakeSenders();
  }

  private wakeSenders(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Fails the connection; the error names the request the close most likely answers: the oldest
   * one the broker has not provably processed (it handles a connection's requests in order, so all
   * sent before the last answered request were processed).
   */
  private transportClosed(error: Error | undefined): void {
    if (this.closedByClient) return;
    const head = this.session.oldest;
    const unprocessed = head === undefined ? this.producedSinceRequest : (head.token.producedBefore ?? head.request);
    const after = unprocessed === undefined ? "" : ` after ${describeRequest(unprocessed)}`;
    const how = error
      ? `: ${error.message}${after}`
      : unprocessed !== undefined
        ? ` by the broker (or a proxy in front of it)${after}: a 0.7 broker closes the connection on an invalid produce or on Offsets ` +
          "for a partition it does not have, a proxy on a request its allow lists deny"
        : "";
    this.fail(new ConnectionClosedError(`Connection to ${this.name} was closed${how}`, undefined, { cause: error }));
  }

  private armTimer(delay: number): void {
    this.timer = setTimeout(() => this.checkDeadline(), Math.max(0, delay));
    // Do not keep a runtime alive just for the deadline timer.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private checkDeadline(): void {
    this.timer = undefined;
    const head = this.session.oldest?.token;
    if (this.failure !== undefined || head === undefined) return;
    const now = Date.now();
    if (head.deadline <= now) {
      this.fail(new TimeoutError(`No response from ${this.name} within ${this.options.requestTimeoutMs} ms; the connection was dropped`));
      return;
    }
    this.armTimer(head.deadline - now);
  }

  /**
   * Fails the connection once: the ledger takes what no confirm covered as lost (the confirms
   * name it), every waiter rejects, the transport is destroyed.
   */
  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.ledger.failed(this, error);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.session.takePending();
    this.outgoing = [];
    for (const { token: waiter } of pending) waiter.reject(error);
    for (const resolve of this.drainWaiters) resolve();
    this.drainWaiters = [];
    for (const resolve of this.idleWaiters) resolve();
    this.idleWaiters = [];
    if (!this.closedByClient) this.transport?.destroy();
    this.onFailed?.(error);
  }
}

/** "a Produce request for t", "an Offsets request for t", "a MultiFetch request for a, b". */
function describeRequest(request: ResponseRequest | ProduceLike): string {
  const [kind, parts] =
    request instanceof ProduceRequest
      ? ["Produce", [request]]
      : request instanceof MultiProduceRequest
        ? ["MultiProduce", request.produces]
        : request instanceof FetchRequest
          ? ["Fetch", [request]]
          : request instanceof MultiFetchRequest
            ? ["MultiFetch", request.fetches]
            : ["Offsets", [request]];
  const topics = [...new Set(parts.map((part) => part.topic))].join(", ");
  return `${kind === "Offsets" ? "an" : "a"} ${kind} request for ${topics}`;
}
