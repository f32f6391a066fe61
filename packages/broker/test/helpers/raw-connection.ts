/**
 * A client that speaks raw bytes (through the codec's frame decoder, not through @k07/client), so
 * broker tests see exactly what goes over the wire, including a connection the broker closes.
 */
import { connect, type Socket } from "node:net";
import { FrameDecoder } from "@k07/codec";

export class RawConnection {
  private readonly decoder = new FrameDecoder({ maxFrameBytes: 0x7fff_ffff });
  private readonly frames: Uint8Array[] = [];
  private waiter: (() => void) | undefined;
  private isClosed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.decoder.push(chunk);
      for (let f = this.decoder.next(); f !== undefined; f = this.decoder.next()) this.frames.push(f);
      this.wake();
    });
    socket.on("error", () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on("close", () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  send(...frames: Uint8Array[]): void {
    for (const f of frames) this.socket.write(f);
  }

  /** The next response frame (after its size prefix); rejects if the broker closes first. */
  async frame(timeoutMs = 3000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.isClosed) throw new Error("connection closed by the broker");
      if (Date.now() > deadline) throw new Error("no response");
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.frames.shift()!;
  }

  /** The next response frame with its size prefix, as the broker wrote it. */
  async frameWithPrefix(timeoutMs?: number): Promise<Uint8Array> {
    const frame = await this.frame(timeoutMs);
    const out = new Uint8Array(frame.length + 4);
    new DataView(out.buffer).setInt32(0, frame.length);
    out.set(frame, 4);
    return out;
  }

  /** Resolves true if the broker closes the connection within the time. */
  async closesWithin(ms = 2000): Promise<boolean> {
    await Promise.race([this.closedPromise, new Promise((r) => setTimeout(r, ms))]);
    return this.isClosed;
  }

  end(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

/**
 * Sends request frames on a fresh connection and returns the responses to those that get one (all
 * but Produce and MultiProduce, whose type byte is 0 or 3), in order.
 */
export async function ask(port: number, ...frames: Uint8Array[]): Promise<Uint8Array[]> {
  const conn = await RawConnection.open(port);
  conn.send(...frames);
  const answers: Uint8Array[] = [];
  const expected = frames.filter((f) => f[5] !== 0 && f[5] !== 3).length;
  for (let i = 0; i < expected; i++) answers.push(await conn.frame());
  conn.end();
  return answers;
}
