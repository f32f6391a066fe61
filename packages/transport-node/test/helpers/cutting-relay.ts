/**
 * A TCP relay on 127.0.0.1 that forwards a client's connections to a target port and cuts chosen
 * connections at a chosen byte position in one direction: the bytes before the position are
 * delivered, the rest never is, and both sides then see the connection end (FIN or reset).
 */
import { connect, createServer, type Server, type Socket } from "node:net";

/** Where and how one connection is cut. */
export interface Cut {
  /** "up": client → target bytes; "down": target → client bytes. */
  readonly direction: "up" | "down";
  /** Bytes of that direction delivered before the cut (0 cuts at the first byte). */
  readonly afterBytes: number;
  /** "end" closes both sides with a FIN after the delivered bytes; "reset" destroys them with an RST. */
  readonly how: "end" | "reset";
  /**
   * Time between reaching the position and closing, during which nothing more passes either way and
   * nothing is read (as on a broken path: a sender with more to write sees its buffers fill).
   */
  readonly delayMs: number;
}

export class CuttingRelay {
  /** Connections accepted so far. */
  connections = 0;
  /** Connections cut so far (a cut beyond the bytes that ever flowed does not happen). */
  cuts = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Starts a relay to `targetPort`; `cutFor(n)` says how the n-th accepted connection (from 0) is cut, if at all. */
  static async start(targetPort: number, cutFor: (connectionIndex: number) => Cut | undefined): Promise<CuttingRelay> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const relay = new CuttingRelay(server, (server.address() as { port: number }).port);
    server.on("connection", (client) => relay.relay(client, targetPort, cutFor(relay.connections++)));
    return relay;
  }

  /** Stops listening and destroys every relayed connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(client: Socket, targetPort: number, cut: Cut | undefined): void {
    const target = connect(targetPort, "127.0.0.1");
    const forwarded = { up: 0, down: 0 };
    let stopped = false;
    for (const socket of [client, target]) {
      this.sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => {
        this.sockets.delete(socket);
        // One side gone: the other goes too, as with a real broken path.
        if (!stopped) {
          stopped = true;
          client.destroy();
          target.destroy();
        }
      });
    }
    const closeBoth = (how: Cut["how"]) => {
      for (const socket of [client, target]) {
        if (how === "reset") socket.resetAndDestroy();
        else socket.end(() => socket.destroy());
      }
    };
    const forward = (direction: "up" | "down", chunk: Buffer, to: Socket) => {
      if (stopped) return;
      if (cut === undefined || cut.direction !== direction || forwarded[direction] + chunk.length < cut.afterBytes) {
        forwarded[direction] += chunk.length;
        to.write(chunk);
        return;
      }
      stopped = true;
      this.cuts++;
      const delivered = cut.afterBytes - forwarded[direction];
      if (delivered > 0) to.write(chunk.subarray(0, delivered));
      forwarded[direction] += delivered;
      client.pause();
      target.pause();
      if (cut.delayMs > 0) setTimeout(() => closeBoth(cut.how), cut.delayMs);
      else closeBoth(cut.how);
    };
    client.on("data", (chunk: Buffer) => forward("up", chunk, target));
    target.on("data", (chunk: Buffer) => forward("down", chunk, client));
  }
}
