import type { Socket } from "node:net";
import { FrameDecoder, K07Error, type FrameDecoderOptions } from "@k07/codec";
import type { PendingRequest, RequestHandler, RequestOutcome } from "./request-handler.ts";
import type { LogPiece } from "./log/segment.ts";

/** Longest stretch one connection's request may hold the event loop before other connections get a turn. */
const YIELD_AFTER_MS = 10;
/** Work (bytes inflated or checked) between clock reads while a produce is validated. */
const WORK_SLICE_BYTES = 256 * 1024;
/**
 * Bytes of a segment file read per step while a fetch response is written: the most of a response
 * one connection holds. A fetch up to this size is one read and one write, as before streaming.
 * Measured serving 23 MiB fetches: 64 and 256 KiB slices cost 1.2–2.5× the CPU per byte, 4 MiB no less than 1 MiB.
 */
const FILE_SLICE_BYTES = 1024 * 1024;

/** Something the broker reports about a connection (for logging and tests). */
export interface ConnectionEvent {
  readonly kind: "closed-by-broker" | "dropped-produce" | "zookeeper-error";
  readonly remote: string;
  readonly reason: string;
}

/**
 * Serves one client connection: frames are handled strictly one at a time, in order. While a
 * response is not yet written (the socket's buffer is full, or file bytes of it are still to be
 * read), no further request is read, so a client that does not read cannot make the broker buffer
 * without bound. A request that needs more than ~10 ms (validating big compressed produces) is
 * continued in later event-loop turns, so other connections are served meanwhile; this connection
 * reads nothing more until it is done.
 */
export class BrokerConnection {
  private readonly decoder: FrameDecoder;
  private blocked = false;
  /** The request being worked on across event-loop turns. */
  private pending: PendingRequest | undefined;
  private closed = false;
  /** The rest of the response being written: pieces from `next`, `offset` bytes into that one when it is a file range. */
  private unsent: { readonly pieces: readonly LogPiece[]; next: number; offset: number } | undefined;
  private readonly remote: string;

  constructor(
    private readonly socket: Socket,
    private readonly handler: RequestHandler,
    /** The request frame limit (`maxFrameBytes`) and the allocator of frames spanning reads. */
    frames: FrameDecoderOptions,
    private readonly report: (event: ConnectionEvent) => void,
  ) {
    this.decoder = new FrameDecoder(frames);
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      if (this.closed) return;
      this.decoder.push(chunk);
      this.pump();
    });
    socket.on("drain", () => {
      if (!this.blocked || this.closed) return;
      if (this.unsent === undefined) {
        this.blocked = false;
        this.readOn();
        return;
      }
      // The rest of a response goes on in a later turn, so a large fetch to a fast reader does not hold the event loop.
      setImmediate(() => {
        if (this.closed) return;
        this.writeResponse();
        this.readOn();
      });
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      this.closed = true;
    });
  }

  /** Goes on reading requests, unless a response is still being written (or the connection is closed). */
  private readOn(): void {
    if (this.blocked || this.closed) return;
    if (this.pending === undefined) this.socket.resume();
    this.pump();
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
    this.unsent = { pieces: outcome.chunks, next: 0, offset: 0 };
    this.writeResponse();
    return !this.closed;
  }

  /**
   * Writes the rest of the response: views of memory as they are, file ranges a slice at a time.
   * A slice is read only once the socket has taken the write before it; otherwise the connection
   * stays blocked until 'drain'. So a fetch of any size holds at most one slice here. A range the
   * file can no longer give (segment deleted, file cut short) aborts the connection: the response's
   * sizes are declared already, and no wrong byte may follow them.
   */
  private writeResponse(): void {
    const unsent = this.unsent!;
    const socket = this.socket;
    let flushed = true;
    let failure: string | undefined;
    socket.cork();
    while (unsent.next < unsent.pieces.length) {
      const piece = unsent.pieces[unsent.next]!;
      if (piece instanceof Uint8Array) {
        flushed = socket.write(piece);
        unsent.next++;
        continue;
      }
      if (!flushed) break;
      const length = Math.min(FILE_SLICE_BYTES, piece.length - unsent.offset);
      try {
        flushed = socket.write(piece.read(unsent.offset, length));
      } catch (error) {
        if (!(error instanceof Error)) throw error;
        failure = error.message;
        break;
      }
      unsent.offset += length;
      if (unsent.offset === piece.length) {
        unsent.next++;
        unsent.offset = 0;
      }
    }
    socket.uncork();
    if (failure !== undefined) return this.close(`cannot finish a fetch response: ${failure}`, true);
    if (unsent.next === unsent.pieces.length) this.unsent = undefined;
    this.blocked = !flushed;
    if (!flushed) socket.pause();
  }

  /** Closes the connection, after what was already answered; `abort` drops what is still queued too (a response cut short). */
  private close(reason: string, abort = false): void {
    this.closed = true;
    this.report({ kind: "closed-by-broker", remote: this.remote, reason });
    // Like 0.7: no error reply, the socket is simply closed.
    if (abort) this.socket.destroy();
    else if (!this.socket.destroyed) this.socket.end(() => this.socket.destroy());
  }
}
