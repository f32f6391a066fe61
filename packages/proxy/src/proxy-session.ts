import {
  ErrorCode,
  allocate,
  Fifo,
  encodeSizePrefix,
  FrameDecoder,
  SizePrefixSplitter,
  K07Error,
  RequestType,
  decodeMultiFetchResponse,
  decodeRequest,
  encodeFetchResponse,
  encodeMultiFetchRequest,
  encodeMultiFetchResponse,
  multiProducePrefix,
  type DecodedRequest,
  type FetchRequestData,
  type FetchResponse,
} from "@k07/codec";
import { MultiFetchMeter } from "./multi-fetch-meter.ts";
import { allows, type Operation, type ProxyPolicy } from "./policy.ts";

/** One line of the proxy's request log (machine-readable: one JSON object per request). */
export interface ProxyLogEntry {
  readonly client: string;
  readonly type: "produce" | "fetch" | "multi-fetch" | "multi-produce" | "offsets";
  readonly topic: string;
  readonly partition: number;
  /** Fetch offset, or Offsets time. */
  readonly offset?: number;
  /** Fetch maxSize, produce message-set bytes, or offsets maxNumOffsets. */
  readonly size: number;
  readonly allowed: boolean;
}

/** Bytes and requests per topic, summed over every connection of a proxy. */
export interface TopicCounters {
  requests: number;
  /** Message-set bytes produced through the proxy. */
  bytesProduced: number;
  /** Message-set bytes fetched through the proxy. */
  bytesFetched: number;
  denied: number;
}

/**
 * The counters key of the "other topics" bucket: topics seen after the first `maxTopics` (and the
 * empty name, which no 0.7 topic can have, so it never collides with a real one).
 */
export const OTHER_TOPICS = "";

/** Default bound on the topics a proxy counts by name. */
export const DEFAULT_MAX_TOPICS = 1000;

/** How an expected response is produced: by the broker (possibly to be rewritten) or by the proxy. */
type Slot =
  /**
   * A response forwarded as it streams in, never assembled: Offsets, a Fetch (`fetchTopic`, whose
   * size is counted from its header), or a multi-fetch (`meter` counts its parts as they pass).
   */
  | { readonly kind: "stream"; readonly fetchTopic?: string; readonly meter?: MultiFetchMeter }
  /** A multi-fetch some of whose parts were denied: `parts[i]` is the index in the forwarded request, or −1. */
  | { readonly kind: "broker-partial"; readonly topics: readonly string[]; readonly parts: readonly number[]; readonly forwarded: number }
  /** A complete response frame (size prefix included) the proxy sends itself. */
  | { readonly kind: "local"; readonly frame: Uint8Array };

/** What the socket layer must do after feeding bytes in. */
export interface ProxyActions {
  readonly toBroker: Uint8Array[];
  readonly toClient: Uint8Array[];
  /** Close both sides once `toClient` is written (the reason is logged). */
  readonly close?: string;
}

export interface ProxySessionOptions {
  readonly client: string;
  readonly policy: ProxyPolicy;
  readonly maxFrameBytes: number;
  readonly log?: (entry: ProxyLogEntry) => void;
  /**
   * Counters shared by the proxy's sessions: at most `maxTopics` topics by name (the first seen),
   * every later one summed under OTHER_TOPICS, so clients naming endless topics cannot grow it.
   */
  readonly counters: Map<string, TopicCounters>;
  /** Default 1,000. */
  readonly maxTopics?: number;
}

const DENIED_FETCH_CODE = ErrorCode.Unknown;

/**
 * The proxy's protocol logic for one client connection, with no I/O (h11-style). Client frames
 * are decoded to look at them and forwarded as received (the size prefix re-attached, the frame
 * itself untouched); denied fetches are answered by the proxy with the error a broker gives for a
 * topic it refuses (−1), in order with the broker's answers; a denied produce or offsets closes the
 * connection, as the broker does for a bad one. Broker frames are matched to requests by order.
 */
export class ProxySession {
  private readonly fromClientFrames: FrameDecoder;
  /** The broker's side is split here, not by a FrameDecoder: most responses are forwarded chunk by chunk as they arrive. */
  private readonly brokerPrefix = new SizePrefixSplitter();
  private streamRemaining = 0;
  private assembly: Uint8Array | undefined;
  private assemblyFill = 0;
  private assemblySlot: Extract<Slot, { kind: "broker-partial" }> | undefined;
  private streamSlot: Extract<Slot, { kind: "stream" }> | undefined;
  private readonly slots = new Fifo<Slot>();
  private closing: string | undefined;

  constructor(private readonly options: ProxySessionOptions) {
    this.fromClientFrames = new FrameDecoder({ maxFrameBytes: options.maxFrameBytes });
  }

  /** Responses the broker still owes or the proxy still has to send. */
  get pendingResponses(): number {
    return this.slots.length;
  }

  /** Nothing owed and nothing half forwarded: the connection can close without cutting a response. */
  private get idle(): boolean {
    return this.pendingResponses === 0 && this.streamRemaining === 0 && this.assembly === undefined && this.brokerPrefix.buffered === 0;
  }

  /** Why to close now: a refusal or malformed request, once every answer owed before it is through. */
  private get closeNow(): string | undefined {
    return this.idle ? this.closing : undefined;
  }

  /** Bytes from the client. */
  fromClient(chunk: Uint8Array): ProxyActions {
    const toBroker: Uint8Array[] = [];
    const toClient: Uint8Array[] = [];
    // After a refusal nothing more is read; the close still waits for the answers owed before it.
    if (this.closing !== undefined) return { toBroker, toClient, close: this.closeNow };
    this.fromClientFrames.push(chunk);
    for (;;) {
      let frame: Uint8Array | undefined;
      let request: DecodedRequest;
      try {
        frame = this.fromClientFrames.next();
        if (frame === undefined) break;
        request = decodeRequest(frame);
      } catch (error) {
        if (!(error instanceof K07Error)) throw error;
        // Never let a malformed frame through: close as the broker would.
        this.closing = `malformed request from ${this.options.client}: ${error.message}`;
        break;
      }
      const denial = this.route(request, frame, toBroker);
      if (denial !== undefined) {
        this.closing = denial;
        break;
      }
    }
    toClient.push(...this.localAtHead());
    return { toBroker, toClient, close: this.closeNow };
  }

  /**
   * Bytes from the broker. Responses are forwarded piece by piece as they arrive (views of the
   * received chunks: no copy, no buffering); only a multi-fetch whose parts the proxy must rewrite
   * (some were denied) is assembled first.
   */
  fromBroker(chunk: Uint8Array): ProxyActions {
    const toClient: Uint8Array[] = [];
    const fail = (reason: string): ProxyActions => ({ toBroker: [], toClient, close: reason });
    let position = 0;
    while (position < chunk.length) {
      const available = chunk.length - position;
      if (this.streamRemaining > 0) {
        const n = Math.min(this.streamRemaining, available);
        const piece = chunk.subarray(position, position + n);
        toClient.push(piece);
        this.streamSlot!.meter?.feed(piece);
        position += n;
        this.streamRemaining -= n;
        if (this.streamRemaining === 0) {
          this.streamSlot = undefined;
          toClient.push(...this.localAtHead());
        }
        continue;
      }
      const assembly = this.assembly;
      if (assembly !== undefined) {
        const n = Math.min(assembly.length - this.assemblyFill, available);
        assembly.set(chunk.subarray(position, position + n), this.assemblyFill);
        this.assemblyFill += n;
        position += n;
        if (this.assemblyFill < assembly.length) continue;
        const slot = this.assemblySlot!;
        this.assembly = this.assemblySlot = undefined;
        try {
          toClient.push(...this.brokerResponse(slot, assembly));
        } catch (error) {
          if (!(error instanceof K07Error)) throw error;
          return fail(`malformed response from the broker: ${error.message}`);
        }
        toClient.push(...this.localAtHead());
        continue;
      }
      // A size prefix, possibly split across chunks.
      position = this.brokerPrefix.read(chunk, position);
      const size = this.brokerPrefix.size;
      if (size === undefined) break;
      const slot = this.slots.peek();
      if (slot === undefined || slot.kind === "local") return fail("the broker sent a response nobody asked for");
      if (size < 2 || size > this.options.maxFrameBytes + 6) return fail(`malformed response from the broker: frame size ${size}`);
      this.slots.shift();
      if (slot.kind === "stream") {
        if (slot.fetchTopic !== undefined) this.counter(slot.fetchTopic).bytesFetched += size - 2;
        toClient.push(encodeSizePrefix(size));
        this.streamRemaining = size;
        this.streamSlot = slot;
      } else {
        this.assembly = allocate(size);
        this.assemblyFill = 0;
        this.assemblySlot = slot;
      }
    }
    return { toBroker: [], toClient, close: this.closeNow };
  }

  private route(request: DecodedRequest, frame: Uint8Array, toBroker: Uint8Array[]): string | undefined {
    const client = this.options.client;
    switch (request.type) {
      case RequestType.Produce:
      case RequestType.MultiProduce: {
        const parts = request.type === RequestType.Produce ? [request] : request.produces;
        const type = request.type === RequestType.Produce ? "produce" : "multi-produce";
        for (const [index, part] of parts.entries()) {
          const allowed = this.record(
            "produce",
            { client, type, topic: part.topic, partition: part.partition, size: part.messageSet.length },
            part.messageSet.length,
          );
          // Parts before a denied one are forwarded, as a broker applies them before closing.
          if (!allowed) {
            if (index > 0) toBroker.push(...multiProducePrefix(frame, index));
            return `produce to ${JSON.stringify(part.topic)} is not allowed for ${client}`;
          }
        }
        toBroker.push(...this.reframe(frame));
        return undefined;
      }
      case RequestType.Offsets: {
        const allowed = this.record(
          "offsets",
          { client, type: "offsets", topic: request.topic, partition: request.partition, offset: request.time, size: request.maxNumOffsets },
          0,
        );
        if (!allowed) return `offsets of ${JSON.stringify(request.topic)} are not allowed for ${client}`;
        this.slots.push({ kind: "stream" });
        toBroker.push(...this.reframe(frame));
        return undefined;
      }
      case RequestType.Fetch:
      case RequestType.MultiFetch: {
        const fetches = request.type === RequestType.Fetch ? [request] : request.fetches;
        const type = request.type === RequestType.Fetch ? "fetch" : "multi-fetch";
        const allowed = fetches.map((f) =>
          this.record("fetch", { client, type, topic: f.topic, partition: f.partition, offset: f.offset, size: f.maxSize }, 0),
        );
        const topics = fetches.map((f) => f.topic);
        if (allowed.every(Boolean)) {
          this.slots.push(
            request.type === RequestType.Fetch
              ? { kind: "stream", fetchTopic: request.topic }
              : { kind: "stream", meter: new MultiFetchMeter((part, bytes) => (this.counter(topics[part]!).bytesFetched += bytes)) },
          );
          toBroker.push(...this.reframe(frame));
        } else if (request.type === RequestType.Fetch) {
          this.slots.push({ kind: "local", frame: encodeFetchResponse({ errorCode: DENIED_FETCH_CODE, messageSet: new Uint8Array(0) }) });
        } else {
          const forwarded: FetchRequestData[] = [];
          const parts = fetches.map((f, i) => (allowed[i] ? forwarded.push(f) - 1 : -1));
          if (forwarded.length === 0) {
            this.slots.push({ kind: "local", frame: encodeMultiFetchResponse(fetches.map(() => deniedPart())) });
          } else {
            this.slots.push({ kind: "broker-partial", topics, parts, forwarded: forwarded.length });
            toBroker.push(encodeMultiFetchRequest(forwarded));
          }
        }
        return undefined;
      }
    }
  }

  /** A multi-fetch with denied parts: the broker's answer to the allowed ones, with errors for the rest. */
  private brokerResponse(slot: Extract<Slot, { kind: "broker-partial" }>, frame: Uint8Array): Uint8Array[] {
    const responses = decodeMultiFetchResponse(frame, slot.forwarded);
    const parts: FetchResponse[] = slot.parts.map((index) => (index < 0 ? deniedPart() : responses[index]!));
    slot.parts.forEach((index, i) => {
      if (index >= 0) this.counter(slot.topics[i]!).bytesFetched += responses[index]!.messageSet.length;
    });
    return [encodeMultiFetchResponse(parts)];
  }

  /** Frames the proxy answers itself, once every earlier broker answer has gone out. */
  private localAtHead(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let slot = this.slots.peek(); slot !== undefined && slot.kind === "local"; slot = this.slots.peek()) {
      out.push(slot.frame);
      this.slots.shift();
    }
    return out;
  }

  private record(operation: Operation, entry: Omit<ProxyLogEntry, "allowed">, bytesProduced: number): boolean {
    const allowed = allows(this.options.policy, operation, entry.topic, operation === "offsets" ? entry.size : undefined);
    this.options.log?.({ ...entry, allowed });
    const counter = this.counter(entry.topic);
    counter.requests++;
    if (allowed) counter.bytesProduced += bytesProduced;
    else counter.denied++;
    return allowed;
  }

  private counter(topic: string): TopicCounters {
    const counters = this.options.counters;
    const counter = counters.get(topic);
    if (counter !== undefined) return counter;
    const named = counters.size - (counters.has(OTHER_TOPICS) ? 1 : 0);
    const key = named < (this.options.maxTopics ?? DEFAULT_MAX_TOPICS) ? topic : OTHER_TOPICS;
    let created = counters.get(key);
    if (created === undefined) {
      created = { requests: 0, bytesProduced: 0, bytesFetched: 0, denied: 0 };
      counters.set(key, created);
    }
    return created;
  }

  /** The frame as received: its size prefix again, then the untouched frame view (no copy). */
  private reframe(frame: Uint8Array): Uint8Array[] {
    return [encodeSizePrefix(frame.length), frame];
  }
}

function deniedPart(): FetchResponse {
  return { errorCode: DENIED_FETCH_CODE, messageSet: new Uint8Array(0) };
}
