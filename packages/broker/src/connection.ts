import type { Socket } from "node:net";
import { FrameDecoder, K07Error } from "@k07/codec";
import type { RequestHandler } from "./request-handler.ts";

/** Something the broker reports about a connection (for logging and tests). */
export interface ConnectionEvent {
  readonly kind: "closed-by-broker" | "dropped-produce" | "zookeeper-error";
  readonly remote: string;
  readonly reason: string;
}

/**
 * Serves one client connection: frames are handled strictly one at a time, in order. While a
 * response is not yet written (the socket's buffer is full), no further request is read, so a
 * client that does not read cannot make the broker buffer without bound.
 */
export class BrokerConnection {
  private readonly decoder: FrameDecoder;
  private blocked = false;
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
      socket.resume();
      this.pump();
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      this.closed = true;
    });
  }

  private pump(): void {
    while (!this.blocked && !this.closed) {
      let frame: Uint8Array | undefined;
      try {
        frame = this.decoder.next();
      } catch (error) {
        if (!(error instanceof K07Error)) throw error;
        this.close(error.message);
        return;
      }
      if (frame === undefined) return;
      const outcome = this.handler.handle(frame);
      if (outcome.kind === "close") {
        this.close(outcome.reason);
        return;
      }
      if (outcome.kind === "none") {
        if (outcome.dropped !== undefined) this.report({ kind: "dropped-produce", remote: this.remote, reason: outcome.dropped });
        continue;
      }
      const socket = this.socket;
      socket.cork();
      let flushed = true;
      for (const chunk of outcome.chunks) flushed = socket.write(chunk);
      socket.uncork();
      if (!flushed) {
        this.blocked = true;
        socket.pause();
      }
    }
  }

  private close(reason: string): void {
    this.closed = true;
    this.report({ kind: "closed-by-broker", remote: this.remote, reason });
    // Like 0.7: no error reply, the socket is simply closed (after what was already answered).
    this.socket.end(() => this.socket.destroy());
  }
}
