/** The Node client under trouble: restarts, silent and hostile servers, refused connections. */
import { createServer, type Server, type Socket } from "node:net";
import { startBroker } from "@k07/broker";
import {
  ConnectionClosedError,
  FetchRequest,
  FrameTooLargeError,
  KafkaClient,
  OffsetRequest,
  ProduceNotConfirmedError,
  ProduceRequest,
  TimeoutError,
  createMessage,
} from "@k07/transport-node";

/** A TCP server on a free port whose connections do what `onConnection` says. */
async function fakeServer(onConnection: (socket: Socket) => void): Promise<{ port: number; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as { port: number }).port, server, sockets };
}

async function stop(fake: { server: Server; sockets: Set<Socket> }): Promise<void> {
  for (const s of fake.sockets) s.destroy();
  await new Promise((resolve) => fake.server.close(resolve));
}

test("a broker restarted under a live client: pending requests fail clearly, the next ones reconnect", async () => {
  let broker = await startBroker();
  const port = broker.port;
  const kafka = new KafkaClient("127.0.0.1", port, { reconnectBackoffMs: 10 });
  await kafka.sendMessagesSimple("restart", 0, "before");
  await kafka.confirm();
  await broker.close();
  await expect(kafka.getOffsets(new OffsetRequest("restart", 0, -1, 1))).rejects.toBeInstanceOf(ConnectionClosedError);
  broker = await startBroker({ port });
  await kafka.sendMessagesSimple("restart", 0, "after");
  await kafka.confirm();
  const [messages] = await kafka.getMessageSet(new FetchRequest("restart", 0, 0, 1000));
  expect(messages.map((m) => m.text())).toEqual(["after"]);
  await kafka.close();
  await broker.close();
});

test("produces written before the broker went away are reported by the next confirm()", async () => {
  const fake = await fakeServer((socket) => socket.on("data", () => socket.destroy()));
  const kafka = new KafkaClient("127.0.0.1", fake.port, { reconnectBackoffMs: 10 });
  await kafka.sendMessagesSimple("lost", 0, "maybe applied");
  await new Promise((r) => setTimeout(r, 100));
  const error = await kafka.confirm().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ProduceNotConfirmedError);
  expect((error as ProduceNotConfirmedError).requests).toHaveLength(1);
  await kafka.close().catch(() => {});
  await stop(fake);
});

test("a server that accepts but never answers: the request times out and the connection is dropped", async () => {
  const fake = await fakeServer(() => {});
  const kafka = new KafkaClient("127.0.0.1", fake.port, { requestTimeoutMs: 200 });
  const started = Date.now();
  const first = kafka.getOffsets(new OffsetRequest("t", 0, -1, 1));
  const second = kafka.getOffsets(new OffsetRequest("t", 0, -1, 1));
  await expect(first).rejects.toBeInstanceOf(TimeoutError);
  await expect(second).rejects.toBeInstanceOf(TimeoutError);
  expect(Date.now() - started).toBeLessThan(5000);
  await kafka.close();
  await stop(fake);
});

test("a hostile server announcing a 2 GiB response is refused before anything is allocated", async () => {
  const fake = await fakeServer((socket) => socket.on("data", () => socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0]))));
  const kafka = new KafkaClient("127.0.0.1", fake.port);
  const before = process.memoryUsage().arrayBuffers;
  await expect(kafka.getOffsets(new OffsetRequest("t", 0, -1, 1))).rejects.toBeInstanceOf(FrameTooLargeError);
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  await kafka.close();
  await stop(fake);
});

test("a refused connection is a ConnectionClosedError; retries back off", async () => {
  const fake = await fakeServer(() => {});
  const port = fake.port;
  await stop(fake);
  const kafka = new KafkaClient("127.0.0.1", port, { reconnectBackoffMs: 100 });
  const first = await kafka.getOffsets(new OffsetRequest("t", 0, -1, 1)).catch((e: unknown) => e);
  expect(first).toBeInstanceOf(ConnectionClosedError);
  expect((first as Error).message).toMatch(/Cannot connect to 127\.0\.0\.1:\d+/);
  const started = Date.now();
  await kafka.getOffsets(new OffsetRequest("t", 0, -1, 1)).catch(() => {});
  expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  await kafka.close();
});

test("a reset while confirm() waits for a 5 MB produce to drain: confirm() names both produces, and only it", async () => {
  // A server that never reads, then resets the connection after 300 ms.
  const fake = await fakeServer((socket) => {
    socket.pause();
    setTimeout(() => socket.resetAndDestroy(), 300);
  });
  const kafka = new KafkaClient("127.0.0.1", fake.port, { maxMessageSize: 6_000_000, reconnectBackoffMs: 10 });
  const small = new ProduceRequest("drain", 0, [createMessage("small")]);
  const large = new ProduceRequest("drain", 0, [createMessage(new Uint8Array(5_000_000))]);
  await kafka.sendMessageSet(small);
  await kafka.sendMessageSet(large);
  const error = await kafka.confirm().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ProduceNotConfirmedError);
  expect((error as ProduceNotConfirmedError).requests).toEqual([small, large]);
  // Named once: nothing is left over for the next confirm.
  await expect(kafka.confirm()).resolves.toBeUndefined();
  await kafka.close();
  await stop(fake);
});
