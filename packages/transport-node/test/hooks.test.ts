/**
 * The Node fast paths are options, never process-wide state: importing the Node transport or the
 * broker changes nothing in the codec, the Node client passes its CRC and allocator explicitly, and
 * the hooks a client or broker is given are the ones it calls.
 */
import { Buffer } from "node:buffer";
import CRC32 from "crc-32";
import { resolveBrokerOptions, startBroker } from "@k07/broker";
import {
  CrcError,
  FetchRequest,
  FrameDecoder,
  KafkaClient,
  ProduceRequest,
  createMessage,
  decodeMessageSet,
  encodeMessages,
  hybridCrc32,
  nodeAllocator,
  nodeHooks,
  pureCrc32,
  type Allocator,
  type Crc32Function,
} from "@k07/transport-node";

afterEach(() => jest.restoreAllMocks());

/** A CRC-32 that counts the bytes it hashed (and hashes them correctly). */
function countingCrc32(): Crc32Function & { bytes: number } {
  const crc = Object.assign(
    (bytes: Uint8Array) => {
      crc.bytes += bytes.length;
      return pureCrc32(bytes);
    },
    { bytes: 0 },
  );
  return crc;
}

/** An allocator that records the sizes it was asked for. */
function recordingAllocator(): Allocator & { sizes: number[] } {
  const allocate = Object.assign(
    (size: number) => {
      allocate.sizes.push(size);
      return new Uint8Array(size);
    },
    { sizes: [] as number[] },
  );
  return allocate;
}

test("after importing the Node transport and the broker, the codec still hashes with its own default CRC and allocates zero-filled memory", () => {
  const pure = jest.spyOn(CRC32, "buf");
  const unsafe = jest.spyOn(Buffer, "allocUnsafeSlow");
  // Large enough for the Node transport's native CRC (from 512 B) and allocator (from 4 KiB).
  const payload = new Uint8Array(8192).fill(7);
  const set = encodeMessages([createMessage(payload)]);
  expect(decodeMessageSet(set).toArray()).toHaveLength(1);
  // Encoding and the checking decoder used the codec's own default (its batch CRC, many messages per
  // call, which crc-32 stands for), not the Node transport's hook, and the decoder still checks.
  expect(pure).not.toHaveBeenCalled();
  set[set.length - 1]! ^= 1;
  expect(() => decodeMessageSet(set).toArray()).toThrow(CrcError);
  const decoder = new FrameDecoder();
  decoder.push(Uint8Array.of(0, 0, 0x20, 0));
  decoder.push(new Uint8Array(0x2000));
  expect(decoder.next()).toHaveLength(0x2000);
  expect(unsafe).not.toHaveBeenCalled();
});

test("the Node client passes node:zlib's CRC and the uninitialised allocator as its options, unless given others", () => {
  const client = new KafkaClient("127.0.0.1", 9);
  expect(client.options.crc32).toBe(hybridCrc32);
  expect(client.options.allocate).toBe(nodeAllocator);
  expect(nodeHooks).toEqual({ crc32: hybridCrc32, allocate: nodeAllocator });
  // The broker runs on Node too: the same hooks by default, from the same package.
  expect(resolveBrokerOptions({})).toMatchObject({ crc32: hybridCrc32, allocate: nodeAllocator });
  const crc32 = countingCrc32();
  const allocate = recordingAllocator();
  const own = new KafkaClient("127.0.0.1", 9, { crc32, allocate });
  expect(own.options.crc32).toBe(crc32);
  expect(own.options.allocate).toBe(allocate);
  expect(() => new KafkaClient("127.0.0.1", 9, { crc32: 42 as never })).toThrow(TypeError);
});

test("a client's and a broker's crc32 and allocate options are the functions they call", async () => {
  const brokerCrc = countingCrc32();
  const brokerAllocate = recordingAllocator();
  const broker = await startBroker({ crc32: brokerCrc, allocate: brokerAllocate });
  const clientCrc = countingCrc32();
  const clientAllocate = recordingAllocator();
  const client = new KafkaClient(broker.host, broker.port, { crc32: clientCrc, allocate: clientAllocate });
  try {
    // 200 KB: more than one socket read, so the broker assembles the frame in a buffer of its allocator.
    const payload = new Uint8Array(200_000).fill(1);
    const produce = new ProduceRequest("hooks", 0, [createMessage(payload), createMessage("small")]);
    await client.sendMessageSet(produce);
    await client.confirm();
    expect(clientCrc.bytes).toBe(200_000 + 5); // encoding hashed both payloads
    expect(clientAllocate.sizes).toContain(4 + 2 + 2 + 5 + 4 + 4 + 10 + 200_000 + 10 + 5); // the Produce frame
    expect(brokerCrc.bytes).toBe(200_000 + 5); // validation checked both
    expect(brokerAllocate.sizes).toContain(2 + 2 + 5 + 4 + 4 + 10 + 200_000 + 10 + 5);
    const [messages] = await client.getMessageSet(new FetchRequest("hooks", 0, 0, 1024 * 1024));
    expect(messages.map((m) => m.payload.length)).toEqual([200_000, 5]);
    expect(clientCrc.bytes).toBe(2 * (200_000 + 5)); // the fetch checked both again
  } finally {
    await client.close();
    await broker.close();
  }
});
