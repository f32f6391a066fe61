/** Helpers of the proxy's socket tests: a fake broker on 127.0.0.1, and waiting without hanging. */
import { createServer, type Socket } from "node:net";

export type FakeBroker = Awaited<ReturnType<typeof fakeBroker>>;

/**
 * A fake broker: counts what it is sent, keeps its sockets, and answers with `answer` if given.
 * With `keepsOpen`, it keeps its side open after the proxy ends the connection, and keeps writing.
 */
export async function fakeBroker(answer?: (socket: Socket, chunk: Buffer) => void, options: { keepsOpen?: boolean } = {}) {
  const sockets: Socket[] = [];
  const closed: Socket[] = [];
  let received = 0;
  const server = createServer({ allowHalfOpen: options.keepsOpen ?? false }, (socket) => {
    if (options.keepsOpen) {
      socket.once("end", () => {
        const timer = setInterval(() => socket.write(Buffer.from([0])), 50);
        socket.once("close", () => clearInterval(timer));
      });
    }
    sockets.push(socket);
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
      answer?.(socket, chunk);
    });
    socket.on("close", () => closed.push(socket));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    sockets,
    closed,
    received: () => received,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A fetch answer of `body` zero bytes that `fakeBroker` can give, written in 1 MB pieces without waiting for drain. */
export function hugeFetchAnswer(body: number): (socket: Socket) => void {
  return (socket) => {
    const header = Buffer.alloc(6);
    header.writeInt32BE(body + 2);
    socket.write(header);
    const piece = Buffer.alloc(1_000_000);
    for (let sent = 0; sent < body; sent += piece.length) socket.write(piece.subarray(0, Math.min(piece.length, body - sent)));
  };
}

/** Resolves when `condition` holds (polled), or rejects after `ms`. */
export async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** `promise`, or a rejection after `ms`: a close that never comes fails the test instead of hanging it. */
export function within<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms))]);
}

/** Lets the sockets' remaining events run (a second onClose call would come in this time). */
export const settle = (ms = 50) => new Promise((resolve) => setTimeout(resolve, ms));
