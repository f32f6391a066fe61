/**
 * On plain TCP the Node transport reads into the buffers the client names (`onread`): a large
 * response lands in its own buffer, read after read, with no chunk allocated per read and no copy.
 */
import { createServer, type Socket } from "node:net";
import { startBroker } from "@k07/broker";
import { FetchRequest, KafkaClient, ProduceRequest, nodeTransport, type TransportHandlers } from "@k07/transport-node";

test("every byte received goes where readBuffer() said, and data() is never called", async () => {
  const sent = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 13) & 0xff);
  const server = createServer((socket: Socket) => socket.end(sent));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const into = new Uint8Array(sent.length);
  let filled = 0;
  const reads: number[] = [];
  let chunks = 0;
  const closed = new Promise<void>((resolve) => {
    const handlers: TransportHandlers = {
      data: () => void chunks++,
      // One buffer, offered a piece at a time (at most 50,000 bytes per read).
      readBuffer: () => into.subarray(filled, Math.min(filled + 50_000, into.length)),
      bytesRead: (n) => {
        reads.push(n);
        filled += n;
      },
      drain: () => {},
      closed: () => resolve(),
    };
    const port = (server.address() as { port: number }).port;
    void nodeTransport.connect({ host: "127.0.0.1", port }, handlers, new AbortController().signal);
  });
  await closed;
  server.close();
  expect(chunks).toBe(0);
  expect(filled).toBe(sent.length);
  expect(Math.max(...reads)).toBeLessThanOrEqual(50_000);
  expect(into).toEqual(sent);
});

test("a 3 MiB fetch from the broker arrives whole and correct, its payloads views of one buffer of the response's size", async () => {
  const broker = await startBroker({ port: 0 });
  const client = new KafkaClient("127.0.0.1", broker.port);
  try {
    const payloads = Array.from({ length: 3000 }, (_, i) => Uint8Array.from({ length: 1000 }, (_, j) => (i + j) & 0xff));
    for (let i = 0; i < payloads.length; i += 500) await client.sendMessageSet(new ProduceRequest("big", 0, payloads.slice(i, i + 500)));
    await client.confirm();
    const [messages] = await client.getMessageSet(new FetchRequest("big", 0, 0, 4 * 1024 * 1024));
    expect(messages.map((m) => m.payload)).toEqual(payloads);
    const buffer = messages[0]!.payload.buffer;
    expect(messages.every((m) => m.payload.buffer === buffer)).toBe(true);
    expect(buffer.byteLength).toBe(2 + 3000 * 1010); // the response after its size prefix: error code and the set
  } finally {
    await client.close();
    await broker.close();
  }
});

test("a response buffer that cannot be allocated fails the connection with a ConnectionClosedError, never the process", async () => {
  // Node asks for the next read's buffer outside any handler of the client's: an allocation that
  // throws there (out of memory, or an allocate hook that refuses) would be an uncaught exception.
  const server = createServer((socket: Socket) => {
    socket.once("data", () => socket.write(Uint8Array.of(0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0))); // a 2 MiB answer announced
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const client = new KafkaClient("127.0.0.1", port, {
    allocate: (size) => {
      if (size > 1024 * 1024) throw new RangeError("Array buffer allocation failed");
      return new Uint8Array(size);
    },
  });
  try {
    const answer = client.earliestOffset("t", 0).then(
      () => "answered",
      (error: Error) => [error.constructor.name, error.message],
    );
    expect(await answer).toEqual(["ConnectionClosedError", `Bad response from 127.0.0.1:${port}: Array buffer allocation failed`]);
  } finally {
    await client.close().catch(() => {});
    server.close();
  }
});
