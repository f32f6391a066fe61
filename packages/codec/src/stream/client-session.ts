import { MalformedError } from "../errors.ts";
import { FetchRequest, decodeFetchResponse, type FetchResponse } from "../protocol/fetch.ts";
import { MultiFetchRequest, decodeMultiFetchResponse } from "../protocol/multi-fetch.ts";
import { OffsetRequest, decodeOffsetsResponse, type OffsetsResponse } from "../protocol/offsets.ts";
import type { MultiProduceRequest } from "../protocol/multi-produce.ts";
import type { ProduceRequest } from "../protocol/produce.ts";
import { encodeRequest, type Request } from "../protocol/request.ts";
import { resolveHooks, type CodecHooks, type EncodeOptions } from "../hooks.ts";
import { Fifo } from "../primitives/fifo.ts";
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, type FrameDecoderOptions } from "./frame-decoder.ts";

/**
 * `allocate` supplies the buffers of Produce and MultiProduce frames and of responses assembled
 * across chunks; `crc32` hashes the messages of Produce and MultiProduce frames.
 */
export interface ClientSessionOptions extends FrameDecoderOptions, CodecHooks {
  /**
   * Largest request frame (size prefix value) `send` encodes: the broker's `max.socket.request.bytes`,
   * over which it closes the connection. Default 104,857,600, 0.7.2's default.
   */
  readonly maxRequestBytes?: number;
}

/** A request that gets a response, with the caller's token. */
export type PendingRequest<T> =
  | { readonly request: FetchRequest; readonly token: T }
  | { readonly request: MultiFetchRequest; readonly token: T }
  | { readonly request: OffsetRequest; readonly token: T };

/** A response matched to the request it answers. */
export type SessionEvent<T> =
  | { readonly kind: "fetch"; readonly request: FetchRequest; readonly token: T; readonly response: FetchResponse }
  | { readonly kind: "multi-fetch"; readonly request: MultiFetchRequest; readonly token: T; readonly response: FetchResponse[] }
  | { readonly kind: "offsets"; readonly request: OffsetRequest; readonly token: T; readonly response: OffsetsResponse };

/**
 * The client side of a 0.7 connection as a state machine with no I/O (h11-style). `send` turns a
 * request into the bytes to write and remembers it if it expects a response; `receive` turns
 * received bytes into responses matched to their requests. 0.7 has no correlation ids: responses
 * come back in request order, Produce and MultiProduce get none, and a MultiFetch response is
 * decoded with the count that was sent.
 *
 * Any protocol violation (a frame over the limit, a response nobody asked for, malformed bytes)
 * throws, and the session stays failed: the connection must be closed.
 */
export class ClientSession<T = undefined> {
  private readonly decoder: FrameDecoder;
  private readonly queue = new Fifo<PendingRequest<T>>();
  private failure: unknown;
  /** How request frames are encoded: the hooks and the broker's limit. */
  private readonly encoding: EncodeOptions;

  constructor(options: ClientSessionOptions = {}) {
    const hooks = resolveHooks(options);
    this.decoder = new FrameDecoder({ maxFrameBytes: options.maxFrameBytes, allocate: hooks.allocate });
    const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isSafeInteger(maxRequestBytes) || maxRequestBytes < 1 || maxRequestBytes > 0x7fff_ffff) {
      throw new RangeError(`maxRequestBytes must be an integer in [1, 2147483647], got ${String(maxRequestBytes)}`);
    }
    this.encoding = { ...hooks, limit: { maxBytes: maxRequestBytes, name: "maxRequestBytes (the broker's max.socket.request.bytes)" } };
  }

  /** The frame to write for a Produce or MultiProduce: no response will come, nothing is queued. */
  send(request: ProduceRequest | MultiProduceRequest): Uint8Array;
  /**
   * The frame to write for any request; for one with a response, `token` comes back with it. A
   * request over `maxRequestBytes` is a RangeError and leaves the session usable: nothing was sent.
   */
  send(request: Request, token: T): Uint8Array;
  send(request: Request, token?: T): Uint8Array {
    if (this.failure !== undefined) throw this.failure;
    const frame = encodeRequest(request, this.encoding);
    if (request instanceof FetchRequest || request instanceof MultiFetchRequest || request instanceof OffsetRequest) {
      this.queue.push({ request, token } as PendingRequest<T>);
    }
    return frame;
  }

  /** Responses completed by `chunk`, in request order. Throws (and stays failed) on a protocol violation. */
  receive(chunk: Uint8Array): SessionEvent<T>[] {
    if (this.failure !== undefined) throw this.failure;
    this.decoder.push(chunk);
    return this.responses();
  }

  /**
   * Where a transport that reads into a given buffer should put the next bytes (FrameDecoder's
   * `readBuffer`: inside a large response, the rest of that response's own buffer); then call
   * `receiveRead` with how many it read.
   */
  readBuffer(): Uint8Array {
    return this.decoder.readBuffer();
  }

  /** Responses completed by the `n` bytes read into the last `readBuffer()`; as `receive`. */
  receiveRead(n: number): SessionEvent<T>[] {
    if (this.failure !== undefined) throw this.failure;
    this.decoder.commitRead(n);
    return this.responses();
  }

  private responses(): SessionEvent<T>[] {
    const events: SessionEvent<T>[] = [];
    try {
      for (let frame = this.decoder.next(); frame !== undefined; frame = this.decoder.next()) {
        events.push(this.match(frame));
      }
    } catch (error) {
      this.failure = error;
      if (events.length > 0) {
        // Deliver what was complete; the failure surfaces on the next call.
        return events;
      }
      throw error;
    }
    return events;
  }

  /** The oldest request still awaiting a response (the next response answers it), if any. */
  get oldest(): PendingRequest<T> | undefined {
    return this.queue.peek();
  }

  /** Number of requests sent and still awaiting a response. */
  get pendingCount(): number {
    return this.queue.length;
  }

  /** The error that failed the session, if any. */
  get failed(): unknown {
    return this.failure;
  }

  /** Removes and returns every pending request, oldest first (when the connection is gone). */
  takePending(): PendingRequest<T>[] {
    return this.queue.drain();
  }

  /** The event for the oldest pending request; it stays pending when its response does not decode (so takePending returns it). */
  private match(frame: Uint8Array): SessionEvent<T> {
    const pending = this.queue.peek();
    if (pending === undefined) throw new MalformedError("Received a response while no request was waiting for one", 0);
    const { request, token } = pending;
    let event: SessionEvent<T>;
    if (request instanceof FetchRequest) {
      event = { kind: "fetch", request, token, response: decodeFetchResponse(frame) };
    } else if (request instanceof MultiFetchRequest) {
      event = { kind: "multi-fetch", request, token, response: decodeMultiFetchResponse(frame, request.fetches.length) };
    } else {
      event = { kind: "offsets", request, token, response: decodeOffsetsResponse(frame) };
    }
    this.queue.shift();
    return event;
  }
}
