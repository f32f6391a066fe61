/// <reference lib="deno.ns" />
import type { Transport, TransportConnection, TransportHandlers, TransportTarget } from "@k07/client";

/** Bytes queued for writing above which `write` asks the client to wait for `drain`. */
export const WRITE_HIGH_WATER_BYTES = 1024 * 1024;

/**
 * The client's transport on Deno: `Deno.connect`, or `Deno.connectTls` when the target has a `tls`
 * option (`true` or `Deno.ConnectTlsOptions` without hostname/port). Reads go into the buffers the
 * client names (`readBuffer`: a large response straight into its own buffer); with handlers that
 * have none, they come from the connection's ReadableStream, whose chunks are fresh buffers.
 */
export const denoTransport: Transport = {
  async connect(target: TransportTarget, handlers: TransportHandlers, signal: AbortSignal): Promise<TransportConnection> {
    const tls = target.tls;
    const connecting =
      tls === undefined || tls === false
        ? Deno.connect({ hostname: target.host, port: target.port, transport: "tcp" })
        : Deno.connectTls({ hostname: target.host, port: target.port, ...(tls === true ? {} : (tls as object)) });
    const conn = await abortable(connecting, signal);
    if (tls === undefined || tls === false) (conn as Deno.TcpConn).setNoDelay(true);
    return new DenoConnection(conn, handlers);
  },
};

/** Resolves with the connection, or rejects on abort (closing a connection that arrives late). */
function abortable(connecting: Promise<Deno.Conn>, signal: AbortSignal): Promise<Deno.Conn> {
  if (signal.aborted) {
    connecting.then(
      (c) => c.close(),
      () => {},
    );
    return Promise.reject(new Error("connect aborted"));
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      connecting.then(
        (c) => c.close(),
        () => {},
      );
      reject(new Error("connect aborted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    connecting.then(
      (c) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) c.close();
        else resolve(c);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

class DenoConnection implements TransportConnection {
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | undefined;
  private wantsDrain = false;
  private done = false;

  constructor(
    private readonly conn: Deno.Conn,
    private readonly handlers: TransportHandlers,
  ) {
    void this.readLoop();
  }

  write(bytes: Uint8Array): boolean {
    if (this.done) return false;
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    this.writing ??= this.writeLoop();
    const ok = this.queuedBytes < WRITE_HIGH_WATER_BYTES;
    if (!ok) this.wantsDrain = true;
    return ok;
  }

  async end(): Promise<void> {
    if (this.writing !== undefined) await this.writing;
    this.finish(undefined);
  }

  destroy(): void {
    this.finish(undefined);
  }

  private async readLoop(): Promise<void> {
    const handlers = this.handlers;
    try {
      if (handlers.readBuffer !== undefined && handlers.bytesRead !== undefined) {
        // Each read goes where the client says: a large response straight into its own buffer.
        for (;;) {
          const n = await this.conn.read(handlers.readBuffer());
          if (n === null || this.done) break;
          handlers.bytesRead(n);
        }
      } else {
        for await (const chunk of this.conn.readable) {
          if (this.done) break;
          handlers.data(chunk);
        }
      }
      this.finish(undefined);
    } catch (error) {
      this.finish(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.done) {
        const bytes = this.queue.shift()!;
        let written = 0;
        while (written < bytes.length) written += await this.conn.write(bytes.subarray(written));
        this.queuedBytes -= bytes.length;
        if (this.wantsDrain && this.queuedBytes < WRITE_HIGH_WATER_BYTES / 2) {
          this.wantsDrain = false;
          this.handlers.drain();
        }
      }
    } catch (error) {
      this.finish(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.writing = undefined;
    }
  }

  private finish(error: Error | undefined): void {
    if (this.done) return;
    this.done = true;
    this.queue = [];
    try {
      this.conn.close();
    } catch {
      // Already closed by the peer.
    }
    this.handlers.closed(error);
  }
}
