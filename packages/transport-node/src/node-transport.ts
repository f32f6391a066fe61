import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import type { Transport, TransportConnection, TransportHandlers, TransportTarget } from "@k07/client";

/**
 * The client's transport on Node: `node:net`, or `node:tls` when the target has a `tls` option
 * (`true` or `tls.ConnectionOptions`). On plain TCP reads go into the buffers the client names
 * (`onread`); over TLS they arrive as fresh Buffers (`data`). Either way no memory is read into
 * twice, so payload views stay valid.
 */
export const nodeTransport: Transport = {
  connect(target: TransportTarget, handlers: TransportHandlers, signal: AbortSignal): Promise<TransportConnection> {
    return new Promise((resolve, reject) => {
      const tls = target.tls;
      // Plain TCP reads into the buffers the client names (a large response straight into its own
      // buffer: no 64 KiB chunk allocated per read, no copy). TLS keeps `data` events (Node's TLS
      // sockets accept `onread` too; not used here yet).
      const onread =
        handlers.readBuffer !== undefined && handlers.bytesRead !== undefined
          ? { buffer: () => handlers.readBuffer!(), callback: (n: number) => (handlers.bytesRead!(n), true) }
          : undefined;
      const socket: Socket =
        tls === undefined || tls === false
          ? netConnect({ host: target.host, port: target.port, ...(onread === undefined ? {} : { onread }) })
          : tlsConnect({ host: target.host, port: target.port, servername: target.host, ...(tls === true ? {} : (tls as ConnectionOptions)) });
      let connected = false;
      const onAbort = () => socket.destroy(new Error("connect aborted"));
      signal.addEventListener("abort", onAbort, { once: true });
      socket.setNoDelay(true);
      socket.once(tls === undefined || tls === false ? "connect" : "secureConnect", () => {
        connected = true;
        signal.removeEventListener("abort", onAbort);
        resolve(connection);
      });
      socket.on("data", (chunk: Buffer) => handlers.data(chunk)); // not called when reading with onread
      socket.on("drain", () => handlers.drain());
      let failure: Error | undefined;
      socket.on("error", (error) => {
        failure = error;
        if (!connected) reject(error);
      });
      socket.on("close", () => {
        signal.removeEventListener("abort", onAbort);
        if (connected) handlers.closed(failure);
        else reject(failure ?? new Error("connection closed while connecting"));
      });
      const connection: TransportConnection = {
        write: (bytes) => socket.write(bytes),
        writeMany: (chunks) => {
          socket.cork();
          let ok = true;
          for (const chunk of chunks) ok = socket.write(chunk);
          socket.uncork();
          return ok;
        },
        end: () =>
          new Promise<void>((done) => {
            if (socket.destroyed) return done();
            socket.once("close", () => done());
            socket.end();
          }),
        destroy: () => socket.destroy(),
      };
    });
  },
};
