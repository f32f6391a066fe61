/**
 * A response whose size cannot be declared in int32 is refused, never sent with a wrong size: the
 * broker closes the connection, as for any request it cannot answer, and says why through its
 * connection events. The parts are views of the log, so nothing near 2 GiB is allocated by the
 * test or the broker.
 */
import { connect } from "node:net";
import { startBroker, type Broker, type ConnectionEvent } from "@k07/broker";
import { FetchRequest, MultiFetchRequest, OffsetRequest, ProduceRequest, createMessage, encodeRequest } from "@k07/codec";
import { ask } from "./helpers/raw-connection.ts";
import { rawFetch } from "./helpers/bytes.ts";

const TWO_MIB = 2 * 1024 * 1024;
let broker: Broker;
const events: ConnectionEvent[] = [];

beforeAll(async () => {
  broker = await startBroker({ onEvent: (event) => events.push(event) });
  // ≈2.1 MB of log: 21 messages of 100,000 bytes.
  const produce = new ProduceRequest(
    "big",
    0,
    Array.from({ length: 21 }, () => createMessage(new Uint8Array(100_000).fill(1))),
  );
  // The Offsets request behind it is answered once the produce is applied.
  await ask(broker.port, encodeRequest(produce), encodeRequest(new OffsetRequest("big", 0, -1, 1)));
});

afterAll(() => broker.close());

/** Sends `frame` on a fresh connection; resolves with the bytes received before the broker closed it (at most the first 64 KiB, or what came in 5 s). */
function bytesBeforeClose(frame: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const received: Buffer[] = [];
    let length = 0;
    const socket = connect(broker.port, "127.0.0.1", () => socket.write(frame));
    socket.on("data", (chunk: Buffer) => {
      received.push(chunk);
      length += chunk.length;
      // A broker that answers would stream gigabytes: the first bytes tell enough.
      if (length >= 65536) socket.destroy();
    });
    setTimeout(() => socket.destroy(), 5000).unref();
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(received)));
  });
}

test("a MultiFetch whose answer would pass 2 GiB (1,100 parts × 2 MiB over a 2.1 MB log) closes the connection with no byte sent", async () => {
  const multi = new MultiFetchRequest(Array.from({ length: 1100 }, () => new FetchRequest("big", 0, 0, TWO_MIB)));
  const received = await bytesBeforeClose(encodeRequest(multi));
  // The old broker declared -1988093494 bytes here and kept streaming.
  const declared = received.length >= 4 ? received.readInt32BE(0) : undefined;
  expect(declared).toBeUndefined();
  expect(received.length).toBe(0);
  const event = events.find((e) => e.kind === "closed-by-broker");
  expect(event?.reason).toMatch(/^cannot answer: a MultiFetch response \(\d+ of 1100 parts so far\) of \d+ bytes does not fit an int32 size field/);
});

test("the broker keeps answering afterwards, and a MultiFetch that fits is answered", async () => {
  const [single] = await ask(broker.port, rawFetch("big", 0, 0, TWO_MIB));
  expect(single!.length).toBe(2 + TWO_MIB);
  const multi = new MultiFetchRequest(Array.from({ length: 3 }, () => new FetchRequest("big", 0, 0, 1000)));
  const [answer] = await ask(broker.port, encodeRequest(multi));
  expect(answer!.length).toBe(2 + 3 * (6 + 1000));
});
