/**
 * A broker with a data directory serves fetches from its segment files a slice (≤ 1 MiB) at a time,
 * as the socket takes them, the way 0.7.2 streams them with sendfile: however large the fetch (or a
 * MultiFetch of many parts over the same bytes), the broker holds one slice of it, and a client
 * that does not read makes it buffer no more. What a response declared is what it sends: when the
 * file can no longer give the bytes (segment deleted by retention, file cut short), the connection
 * is closed with a reason rather than a wrong byte sent.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, truncateSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBroker, type Broker, type BrokerOptions, type ConnectionEvent } from "@k07/broker";
import { FetchRequest, MultiFetchRequest, OffsetRequest, ProduceRequest, createMessage, encodeMessages, encodeRequest } from "@k07/codec";
import { ask } from "./helpers/raw-connection.ts";
import { int16, int32, rawFetch } from "./helpers/bytes.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** The most the broker may read of a file at once. */
const SLICE_BOUND = MiB;

/** 24 messages of 1,000,000 bytes (≈ 22.9 MiB), each payload a different pattern, so a misplaced byte shows. */
const messages = Array.from({ length: 24 }, (_, m) => createMessage(new Uint8Array(1_000_000).map((_, i) => (i * 31 + m * 7 + (i >> 12)) & 0xff)));
/** What the log holds after the produce, byte for byte. */
const logBytes = encodeMessages(messages);

interface Setup {
  readonly broker: Broker;
  readonly events: ConnectionEvent[];
  readonly segmentPath: string;
}

const dirs: string[] = [];
const brokers: Broker[] = [];
afterAll(async () => {
  for (const broker of brokers) await broker.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A file-backed broker whose topic "big" holds `logBytes` in segment 0 (and whatever `options` add). */
async function fileBroker(options: BrokerOptions = {}): Promise<Setup> {
  const dataDir = mkdtempSync(join(tmpdir(), "k07-file-fetch-"));
  dirs.push(dataDir);
  const events: ConnectionEvent[] = [];
  const broker = await startBroker({ dataDir, onEvent: (event) => events.push(event), ...options });
  brokers.push(broker);
  // The Offsets request behind the produce is answered once the produce is applied.
  await ask(broker.port, encodeRequest(new ProduceRequest("big", 0, messages)), encodeRequest(new OffsetRequest("big", 0, -1, 1)));
  expect(broker.logs.get("big", 0)!.visibleEnd).toBe(logBytes.length);
  return { broker, events, segmentPath: join(dataDir, "big-0", "00000000000000000000.kafka") };
}

/**
 * Sizes of the uninitialised buffers Node hands out meanwhile: the broker reads segment files into
 * `Buffer.allocUnsafeSlow` memory (through @k07/node-hooks' allocator), so the largest is the most
 * it read at once. Past `capBytes` in all it throws, so a broker reading gigabytes at once fails
 * the test fast instead of taking the machine's memory.
 */
function watchAllocations(capBytes = 512 * MiB): { largest: number; total: number; stop(): void } {
  const allocateUnsafeSlow = Buffer.allocUnsafeSlow;
  const seen = { largest: 0, total: 0, stop: () => spy.mockRestore() };
  const spy = jest.spyOn(Buffer, "allocUnsafeSlow").mockImplementation((size: number) => {
    seen.total += size;
    seen.largest = Math.max(seen.largest, size);
    if (seen.total > capBytes) throw new RangeError(`test cap: ${seen.total} bytes allocated`);
    return allocateUnsafeSlow(size);
  });
  return seen;
}

/** A raw client that keeps every byte it receives (or only their count and hash, `keep: false`), and can stop reading. */
class Receiver {
  readonly socket: Socket;
  readonly chunks: Buffer[] = [];
  readonly hash = createHash("sha256");
  length = 0;
  readonly closed: Promise<void>;

  constructor(port: number, keep = true) {
    this.socket = connect(port, "127.0.0.1");
    this.socket.on("data", (chunk: Buffer) => {
      this.length += chunk.length;
      this.hash.update(chunk);
      if (keep) this.chunks.push(chunk);
    });
    this.socket.on("error", () => {});
    this.closed = new Promise((resolve) => this.socket.on("close", () => resolve()));
  }

  /** Resolves once `length` bytes have come, or the connection closed. */
  async until(length: number): Promise<void> {
    while (this.length < length && !this.socket.destroyed) await new Promise((r) => setTimeout(r, 10));
  }

  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** The bytes of a Fetch response holding `bytes` (protocol §7.2): size, error 0, the log bytes. */
function fetchResponse(bytes: Uint8Array): Buffer {
  return Buffer.concat([int32(2 + bytes.length), int16(0), bytes]);
}

let setup: Setup;
beforeAll(async () => {
  setup = await fileBroker();
});

test("a Fetch with a 1 GiB maxSize over a 23 MiB segment returns exactly the segment, read at most 1 MiB at a time", async () => {
  const allocations = watchAllocations();
  const receiver = new Receiver(setup.broker.port);
  try {
    receiver.socket.write(rawFetch("big", 0, 0, GiB));
    await receiver.until(6 + logBytes.length);
  } finally {
    allocations.stop();
    receiver.socket.destroy();
  }
  expect(receiver.bytes.equals(fetchResponse(logBytes))).toBe(true);
  // The old broker read the whole range into one 23 MiB buffer.
  expect(allocations.largest).toBeLessThanOrEqual(SLICE_BOUND);
  // The probe saw the broker's reads (else the bound above would say nothing).
  expect(allocations.total).toBeGreaterThanOrEqual(logBytes.length);
});

test("a MultiFetch of 8 parts over the same 23 MiB (184 MiB answered) is served one slice at a time", async () => {
  const parts = 8;
  const bodyLength = 2 + parts * (6 + logBytes.length);
  const part = fetchResponse(logBytes);
  const expected = createHash("sha256").update(int32(bodyLength)).update(int16(0));
  for (let i = 0; i < parts; i++) expected.update(part);

  const allocations = watchAllocations();
  const receiver = new Receiver(setup.broker.port, false);
  try {
    receiver.socket.write(encodeRequest(new MultiFetchRequest(Array.from({ length: parts }, () => new FetchRequest("big", 0, 0, GiB)))));
    await receiver.until(4 + bodyLength);
  } finally {
    allocations.stop();
    receiver.socket.destroy();
  }
  expect(receiver.length).toBe(4 + bodyLength);
  expect(receiver.hash.digest("hex")).toBe(expected.digest("hex"));
  // The old broker read all 8 parts at once, 184 MiB for a request of 200 bytes.
  expect(allocations.largest).toBeLessThanOrEqual(SLICE_BOUND);
});

test("a MultiFetch that would pass 2 GiB (100 parts over the same 23 MiB) is refused before any byte is read or sent", async () => {
  const allocations = watchAllocations();
  const receiver = new Receiver(setup.broker.port);
  try {
    receiver.socket.write(encodeRequest(new MultiFetchRequest(Array.from({ length: 100 }, () => new FetchRequest("big", 0, 0, GiB)))));
    await receiver.closed;
  } finally {
    allocations.stop();
  }
  expect(receiver.length).toBe(0);
  expect(setup.events.at(-1)?.reason).toMatch(
    /^cannot answer: a MultiFetch response \(\d+ of 100 parts so far\) .* does not fit an int32 size field/,
  );
  // The old broker read part after part (up to 2 GiB) until the running size passed int32.
  expect(allocations.total).toBeLessThan(SLICE_BOUND);
});

test("a client that does not read makes the broker buffer at most about one slice, and gets every byte once it reads", async () => {
  const receiver = new Receiver(setup.broker.port);
  receiver.socket.pause();
  receiver.socket.write(rawFetch("big", 0, 0, GiB));
  // Let the broker write what it will: the kernel's buffers fill, then it must wait.
  let peak = 0;
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    peak = Math.max(peak, setup.broker.bufferedBytes());
  }
  expect(peak).toBeGreaterThan(0);
  // The old broker handed the socket the whole 23 MiB at once.
  expect(peak).toBeLessThanOrEqual(SLICE_BOUND + 64 * 1024);
  receiver.socket.resume();
  await receiver.until(6 + logBytes.length);
  receiver.socket.destroy();
  expect(receiver.bytes.equals(fetchResponse(logBytes))).toBe(true);
});

test("requests pipelined behind a big fetch are answered after it, in order", async () => {
  const [big, small, offsets, again] = await ask(
    setup.broker.port,
    rawFetch("big", 0, 0, GiB),
    rawFetch("big", 0, 100, 1000),
    encodeRequest(new OffsetRequest("big", 0, -1, 1)),
    rawFetch("big", 0, 0, 3 * MiB + 5),
  );
  expect(Buffer.from(big!).equals(fetchResponse(logBytes).subarray(4))).toBe(true);
  expect(Buffer.from(small!).equals(fetchResponse(logBytes.subarray(100, 1100)).subarray(4))).toBe(true);
  expect(Buffer.from(offsets!).equals(Buffer.concat([int16(0), int32(1), new Uint8Array(4), int32(logBytes.length)]))).toBe(true);
  expect(Buffer.from(again!).equals(fetchResponse(logBytes.subarray(0, 3 * MiB + 5)).subarray(4))).toBe(true);
});

describe("when the file can no longer give the bytes mid-response, the connection is closed with a reason, never a wrong byte sent", () => {
  /** Starts a 1 GiB fetch to a client that does not read, lets `damage` happen once the response has begun, then reads what comes until the end or the close. */
  async function fetchWhile(owner: Setup, damage: () => void): Promise<Buffer> {
    const receiver = new Receiver(owner.broker.port);
    receiver.socket.pause();
    receiver.socket.write(rawFetch("big", 0, 0, GiB));
    while (owner.broker.bufferedBytes() === 0) await new Promise((r) => setTimeout(r, 10));
    damage();
    receiver.socket.resume();
    // Until the broker closes the connection, or (as the old broker did) sends the whole response.
    await receiver.until(6 + logBytes.length);
    receiver.socket.destroy();
    return receiver.bytes;
  }

  test("the segment is deleted by retention", async () => {
    // Segment 0 is rolled over by the next produce and then past the retention size.
    const owner = await fileBroker({ segmentBytes: 8 * MiB, retentionBytes: 1, retentionCheckIntervalMs: 3_600_000 });
    await ask(
      owner.broker.port,
      encodeRequest(new ProduceRequest("big", 0, [createMessage(new Uint8Array(10))])),
      encodeRequest(new OffsetRequest("big", 0, -1, 1)),
    );
    const received = await fetchWhile(owner, () => owner.broker.logs.enforceRetention());
    expect(owner.broker.logs.get("big", 0)!.startOffset).toBe(logBytes.length);
    // The old broker had read all of it before: it sent the whole response, from a segment now gone.
    expect(received.length).toBeLessThan(6 + logBytes.length);
    expect(received.equals(fetchResponse(logBytes).subarray(0, received.length))).toBe(true);
    expect(owner.events.at(-1)).toMatchObject({
      kind: "closed-by-broker",
      reason: expect.stringMatching(/^cannot finish a fetch response: segment .*00000000000000000000\.kafka was closed \(deleted by retention/),
    });
  });

  test("the segment file is cut short under the broker", async () => {
    const owner = await fileBroker();
    const received = await fetchWhile(owner, () => truncateSync(owner.segmentPath, 4 * MiB));
    expect(received.length).toBeLessThan(6 + logBytes.length);
    expect(received.equals(fetchResponse(logBytes).subarray(0, received.length))).toBe(true);
    expect(owner.events.at(-1)).toMatchObject({
      kind: "closed-by-broker",
      reason: expect.stringMatching(/^cannot finish a fetch response: segment .* was cut short: \d+ of \d+ bytes at position \d+/),
    });
  });
});
