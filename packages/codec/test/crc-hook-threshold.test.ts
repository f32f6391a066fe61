/**
 * A `crc32` hook that says from which size it is worth calling (`minBytes`, as Node's native CRC
 * does): the codec hashes shorter payloads with its own code and calls the hook for the rest, with
 * the same bytes and the same verdicts as the pure default.
 */
import {
  CrcError,
  ProduceRequest,
  createMessage,
  decodeMessageSet,
  encodeMessages,
  encodeProduceRequest,
  pureCrc32,
  type Crc32Function,
} from "@k07/codec";

/** A correct CRC-32 that records the length of every payload it hashed. */
function recordingCrc32(minBytes?: number): Crc32Function & { lengths: number[] } {
  const lengths: number[] = [];
  return Object.assign(
    (bytes: Uint8Array) => {
      lengths.push(bytes.length);
      return pureCrc32(bytes);
    },
    { lengths, ...(minBytes === undefined ? {} : { minBytes }) },
  );
}

const sizes = [0, 10, 511, 512, 513, 4000, 60_000];
const payloads = sizes.map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff));

test("encoding calls a hook with minBytes only for payloads of at least that size, and writes the same bytes", () => {
  const crc32 = recordingCrc32(512);
  const frame = encodeProduceRequest(new ProduceRequest("t", 0, payloads), { crc32 });
  expect(crc32.lengths).toEqual([512, 513, 4000, 60_000]);
  expect(frame).toEqual(encodeProduceRequest(new ProduceRequest("t", 0, payloads)));
});

test("a hook without minBytes hashes every payload", () => {
  const crc32 = recordingCrc32();
  encodeMessages(
    payloads.map((p) => createMessage(p)),
    { crc32 },
  );
  expect(crc32.lengths).toEqual(sizes);
});

test("checked decoding with a minBytes hook leaves runs of entries to the batch checker, calls the hook for an entry past its window, and still finds every corruption", () => {
  const set = encodeMessages(payloads.map((p) => createMessage(p)));
  const crc32 = recordingCrc32(512);
  expect([...decodeMessageSet(set, { crc32 })].map((m) => m.payloadLength)).toEqual(sizes);
  // The 60,000-byte entry is larger than one batch call covers (48 KiB): the hook checks it.
  expect(crc32.lengths).toEqual([60_000]);
  for (const index of [1, 3, 6]) {
    const corrupt = set.slice();
    let at = 0;
    for (let i = 0; i < index; i++) at += 4 + new DataView(corrupt.buffer).getInt32(at);
    corrupt[at + 4 + 6 + Math.floor(sizes[index]! / 2)]! ^= 1; // a payload byte, after length, magic, attributes and CRC
    expect(() => [...decodeMessageSet(corrupt, { crc32: recordingCrc32(512) })]).toThrow(CrcError);
  }
});
