/** Transports without sockets for the client's tests: the test plays the broker. */
import {
  FrameDecoder,
  RequestType,
  createMessage,
  decodeRequest,
  encodeFetchResponse,
  encodeMessages,
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
      end: async () => {},
      destroy: () => {},
    });
  }
}

/**
 * A transport that answers every Fetch from a byte log as a 0.7 broker does: at most maxSize bytes
 * from the offset. The log may grow (`append`), as a partition does.
 */
export class LogTransport implements Transport {
  /** Every fetch written, in order. */
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
          if (request.type !== RequestType.Fetch) throw new Error(`LogTransport answers fetches only, got type ${request.type}`);
          this.fetches.push({ offset: request.offset, maxSize: request.maxSize });
          this.fetchedAt.push(Date.now());
          const messageSet = this.log.subarray(request.offset, request.offset + request.maxSize);
          queueMicrotask(() => handlers.data(encodeFetchResponse({ errorCode: 0, messageSet })));
        }
        return true;
      },
      end: async () => {},
      destroy: () => {},
    });
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
