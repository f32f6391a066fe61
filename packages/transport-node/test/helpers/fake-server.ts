/** TCP servers on 127.0.0.1 that play a broker badly, for the client's hostile-server cases. */
import { createServer, type Server, type Socket } from "node:net";
import { FrameDecoder } from "@k07/transport-node";

export interface FakeServer {
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** A server whose n-th connection (from 0) is handled by `onConnection`. */
export async function fakeServer(onConnection: (socket: Socket, connection: number) => void): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    onConnection(socket, connections++);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    get connections() {
      return connections;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Calls `answer` with each request frame (after its size prefix) the client sends on `socket`. */
export function onEachRequest(socket: Socket, answer: (request: Uint8Array) => void): void {
  const decoder = new FrameDecoder({ maxFrameBytes: 0x7fff_ffff });
  socket.on("data", (chunk: Buffer) => {
    decoder.push(chunk);
    for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) answer(frame);
  });
}
