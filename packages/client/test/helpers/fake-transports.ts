/** Transports without sockets for the client's tests: the test plays the broker. */
import {
  FrameDecoder,
  RequestType,
  createMessage,
  decodeRequest,
  encodeFetchResponse,
  encodeMessages,
  encodeMultiFetchResponse,
  type FetchResponse,
  type Transport,
  type TransportConnection,
  type TransportHandlers,
} from "@k07/client";

/** A transport whose connection records writes and lets the test deliver bytes and drains. */
export class FakeTransport implements Transport {
  writes: Uint8Array[] = [];
  handlers: TransportHandlers | undefined;
  full = false;
  connects = 0;
  hang = false;
  /** How many of the next connects are refused. */
  refuse = 0;
  /** Connections closed cleanly (`end`) and dropped (`destroy`). */
  ended = 0;
  destroyed = 0;

  connect(_target: unknown, handlers: TransportHandlers, signal: AbortSignal): Promise<TransportConnection> {
    this.connects++;
    if (this.refuse > 0) {
      this.refuse--;
      return Promise.reject(new Error("connection refused"));
    }
    this.handlers = handlers;
    if (this.hang) return new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
    return Promise.resolve({
      write: (bytes) => {
        this.writes.push(bytes);
        return !this.full;
      },
      end: async () => {
        this.ended++;
      },
      destroy: () => {
        this.destroyed++;
      },
    });
  }
}

/**
 * A transport that answers every Fetch from a byte log as a 0.7 broker does: at most maxSize bytes
 * from the offset. The log may grow (`append`), as a partition does.
 */
export class LogTransport implements Transport {
  /** The type of every request written, in order. */
  readonly requestTypes: RequestType[] = [];
  /** Every fetch written (each part of a MultiFetch too), in order. */
  readonly fetches: { offset: number; maxSize: number }[] = [];
  /** When each fetch was written (`Date.now()`, which fake timers control). */
  readonly fetchedAt: number[] = [];

  constructor(public log: Uint8Array) {}

  /** Appends bytes to the log (messages produced meanwhile). */
  append(bytes: Uint8Array): void {
    const grown = new Uint8Array(this.log.length + bytes.length);
    grown.set(this.log);
    grown.set(bytes, this.log.length);
    this.log = grown;
  }

  connect(_target: unknown, handlers: TransportHandlers): Promise<TransportConnection> {
    const decoder = new FrameDecoder();
    return Promise.resolve({
      write: (bytes) => {
        decoder.push(bytes);
        for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) {
          const request = decodeRequest(frame);
          this.requestTypes.push(request.type);
          let response: Uint8Array;
          if (request.type === RequestType.Fetch) response = encodeFetchResponse(this.answer(request));
          else if (request.type === RequestType.MultiFetch) response = encodeMultiFetchResponse(request.fetches.map((fetch) => this.answer(fetch)));
          else throw new Error(`LogTransport answers fetches only, got type ${request.type}`);
          queueMicrotask(() => handlers.data(response));
        }
        return true;
      },
      end: async () => {},
      destroy: () => {},
    });
  }

  /** What a 0.7 broker returns for one fetch: at most maxSize bytes of the log from the offset. */
  private answer(fetch: { offset: number; maxSize: number }): FetchResponse {
    this.fetches.push({ offset: fetch.offset, maxSize: fetch.maxSize });
    this.fetchedAt.push(Date.now());
    return { errorCode: 0, messageSet: this.log.subarray(fetch.offset, fetch.offset + fetch.maxSize) };
  }
}

/** A log of messages with these payload sizes, and where each entry starts. */
export function logOf(...payloadSizes: number[]): { log: Uint8Array; starts: number[] } {
  const messages = payloadSizes.map((size) => createMessage(new Uint8Array(size).fill(0x61)));
  const entries = messages.map((message) => encodeMessages([message]));
  const starts: number[] = [];
  let at = 0;
  for (const entry of entries) {
    starts.push(at);
    at += entry.length;
  }
  return { log: encodeMessages(messages), starts };
}

/** One macrotask turn: everything queued as microtasks (writes, answers) has happened. */
export const tick = (): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, 0));
