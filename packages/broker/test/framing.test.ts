/** Frames the broker refuses by closing the connection (protocol §2.1), and requests answered in order. */
import { startBroker, type Broker } from "@k07/broker";
import { concat, int16, int32, rawFetch, rawOffsets, rawProduce, requestFrame, shortString, textSet } from "./helpers/bytes.ts";
import { RawConnection } from "./helpers/raw-connection.ts";

let broker: Broker;
beforeEach(async () => {
  broker = await startBroker({ maxRequestBytes: 1000 });
});
afterEach(() => broker.close());

async function closes(bytes: Uint8Array): Promise<boolean> {
  const conn = await RawConnection.open(broker.port);
  conn.send(bytes);
  const closed = await conn.closesWithin(1000);
  conn.end();
  return closed;
}

test.each([
  ["size 0", int32(0)],
  ["size -5", int32(-5)],
  ["size above maxRequestBytes", concat(int32(1001), int16(1))],
  ["an unknown request type", requestFrame(7, new Uint8Array(20))],
  ["a body too short for its fields", requestFrame(1, concat(shortString("t"), int32(0)))],
  ["a negative fetch size", rawFetch("t", 0, 0, -1)],
  ["a negative fetch size inside a multi-fetch", requestFrame(2, concat(int16(1), rawFetch("t", 0, 0, -98).subarray(6)))],
  ["offsets for a bad partition", rawOffsets("t", 5, -1, 1)],
  ["offsets for an illegal topic", rawOffsets("a\u0001b", 0, -1, 1)],
  ["offsets with a negative count", rawOffsets("t", 0, -1, -1)],
])("closes the connection on %s", async (_name, bytes) => {
  expect(await closes(bytes)).toBe(true);
});

test("a size prefix above the limit is refused before its bytes arrive", async () => {
  const conn = await RawConnection.open(broker.port);
  conn.send(int32(0x7fff_ffff));
  expect(await conn.closesWithin(1000)).toBe(true);
});

test("extra bytes after a request's fields are ignored, as by 0.7", async () => {
  const conn = await RawConnection.open(broker.port);
  const fetch = rawFetch("t", 0, 0, 100);
  const padded = concat(int32(fetch.length - 4 + 3), fetch.subarray(4), new Uint8Array(3));
  conn.send(padded);
  expect((await conn.frame()).length).toBe(2);
  conn.end();
});

test("pipelined requests are answered strictly in order, produces silently", async () => {
  const conn = await RawConnection.open(broker.port);
  for (let i = 0; i < 200; i++) conn.send(rawProduce("order", 0, textSet(`m${i}`)), rawOffsets("order", 0, -1, 1));
  let previous = -1;
  for (let i = 0; i < 200; i++) {
    const frame = await conn.frame();
    const offset = Number(new DataView(frame.buffer, frame.byteOffset).getBigInt64(6));
    expect(offset).toBeGreaterThan(previous);
    previous = offset;
  }
  conn.end();
});

test("many concurrent connections are served", async () => {
  const conns = await Promise.all(Array.from({ length: 50 }, () => RawConnection.open(broker.port)));
  for (const [i, c] of conns.entries()) c.send(rawProduce(`c${i}`, 0, textSet("x")), rawFetch(`c${i}`, 0, 0, 100));
  const frames = await Promise.all(conns.map((c) => c.frame()));
  for (const f of frames) expect(f.length).toBe(2 + 11);
  for (const c of conns) c.end();
});

test("a client that does not read makes the broker stop reading, not buffer without bound", async () => {
  await broker.close();
  broker = await startBroker();
  const setup = await RawConnection.open(broker.port);
  const payload = "x".repeat(1000);
  for (let i = 0; i < 1000; i++) setup.send(rawProduce("bp", 0, textSet(payload)));
  setup.send(rawOffsets("bp", 0, -1, 1));
  await setup.frame();
  setup.end();
  const reader = await RawConnection.open(broker.port);
  reader.socket.pause();
  // 500 fetches of ~1 MB each: half a gigabyte if the broker buffered every response.
  const fetch = rawFetch("bp", 0, 0, 1_000_000);
  for (let i = 0; i < 500; i++) reader.socket.write(fetch);
  await new Promise((r) => setTimeout(r, 500));
  expect(broker.bufferedBytes()).toBeLessThan(16 * 1_000_000);
  reader.end();
});
