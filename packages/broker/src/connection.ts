import type { Socket } from "node:net";
import { FrameDecoder, K07Error } from "@k07/codec";
import type { PendingRequest, RequestHandler, RequestOutcome } from "./request-handler.ts";

/** Longest stretch one connection's request may hold the event loop before other connections get a turn. */
const YIELD_AFTER_MS = 10;
/** Work (bytes inflated or checked) between clock reads while a produce is validated. */
const WORK_SLICE_BYTES = 256 * 1024;

/** Something the broker reports about a connection (for logging and tests). */
export interface ConnectionEvent {
  readonly kind: "closed-by-broker" | "dropped-produce" | "zookeeper-error";
  readonly remote: string;
  readonly reason: string;
}

/**
 * Serves one client connection: frames are handled strictly one at a time, in order. While a
 * response is not yet written (the socket's buffer is full), no further request is read, so a
 * client that does not read cannot make the broker buffer without bound. A request that needs
 * more than ~10 ms (validating big compressed produces) is continued in later event-loop turns,
 * so other connections are served meanwhile; this connection reads nothing more until it is done.
 */
export class BrokerConnection {
  private readonly decoder: FrameDecoder;
  private blocked = false;
  /** The request being worked on across event-loop turns. */
  private pending: PendingRequest | undefined;
  private closed = false;
  private readonly remote: string;

  constructor(
    private readonly socket: Socket,
    private readonly handler: RequestHandler,
    maxRequestBytes: number,
    private readonly report: (event: ConnectionEvent) => void,
  ) {
    this.decoder = new FrameDecoder({ maxFrameBytes: maxRequestBytes });
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      if (this.closed) return;
      this.decoder.push(chunk);
      this.pump();
    });
    socket.on("drain", () => {
      if (!this.blocked) return;
      this.blocked = false;
      if (this.pending === undefined) socket.resume();
      this.pump();
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      this.closed = true;
    });
  }

  private pump(): void {
    while (!this.blocked && !this.closed && this.pending === undefined) {
      let frame: Uint8Array | undefined;
      try {
        frame = this.decoder.next();
      } catch (error) {
        if (!(error instanceof K07Error)) throw error;
        this.close(error.message);
        return;
      }
      if (frame === undefined) return;
      const started = performance.now();
      const outcome = this.work(this.handler.start(frame, WORK_SLICE_BYTES), started);
      if (outcome === undefined || !this.apply(outcome)) return;
    }
  }

  /**
   * Resumes a pending request until it has an outcome or ~10 ms have passed since `started`; then
   * it continues in a later turn (undefined is returned), with reading paused to keep frames in order.
   */
  private work(outcome: RequestOutcome | PendingRequest, started: number): RequestOutcome | undefined {
    while (outcome.kind === "pending") {
      if (performance.now() - started > YIELD_AFTER_MS) {
        this.pending = outcome;
        this.socket.pause();
        setImmediate(() => this.continuePending());
        return undefined;
      }
      outcome = outcome.resume(WORK_SLICE_BYTES);
    }
    return outcome;
  }

  private continuePending(): void {
    const pending = this.pending!;
    this.pending = undefined;
    const outcome = this.work(pending, performance.now());
    if (outcome === undefined) return;
    if (!this.blocked && !this.closed) this.socket.resume();
    // The request was received whole: it is applied even if the client has gone meanwhile.
    if (this.apply(outcome)) this.pump();
  }

  /** Acts on a request's outcome; false when the connection is closed. */
  private apply(outcome: RequestOutcome): boolean {
    if (outcome.kind === "close") {
      this.close(outcome.reason);
      return false;
    }
    if (outcome.kind === "none") {
      if (outcome.dropped !== undefined) this.report({ kind: "dropped-produce", remote: this.remote, reason: outcome.dropped });
      return !this.closed;
    }
    if (this.closed) return false;
    const socket = this.socket;
    socket.cork();
    let flushed = true;
    for (const chunk of outcome.chunks) flushed = socket.write(chunk);
    socket.uncork();
    if (!flushed) {
      this.blocked = true;
      socket.pause();
    }
    return true;
  }

  private close(reason: string): void {
    this.closed = true;
    this.report({ kind: "closed-by-broker", remote: this.remote, reason });
    // Like 0.7: no error reply, the socket is simply closed (after what was already answered).
    if (!this.socket.destroyed) this.socket.end(() => this.socket.destroy());
  }
}
