/** The Node hooks give the same answers as the codec's portable defaults, faster. */
import fc from "fast-check";
import { createMessage, decodeMessageSet, encodeMessages, pureCrc32 } from "@k07/codec";
import { NATIVE_CRC32_THRESHOLD, hybridCrc32, nodeAllocator, nodeHooks } from "@k07/node-hooks";

test("the hybrid CRC-32 equals the pure crc-32 on both sides of the threshold", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: NATIVE_CRC32_THRESHOLD * 3 }), (bytes) => {
      expect(hybridCrc32(bytes)).toBe(pureCrc32(bytes));
    }),
    { numRuns: 500 },
  );
  expect(hybridCrc32(new TextEncoder().encode("test"))).toBe(0xd87f7e0c);
});

test("the Node allocator returns plain Uint8Arrays of exactly the size asked, each on its own memory", () => {
  for (const size of [0, 1, 4095, 4096, 100_000]) {
    const a = nodeAllocator(size);
    expect(a.constructor).toBe(Uint8Array);
    expect(a.length).toBe(size);
    if (size < 4096) expect(a.every((b) => b === 0)).toBe(true); // small ones come zero-filled
    if (size >= 4096) {
      expect(a.byteOffset).toBe(0);
      expect(a.buffer.byteLength).toBe(size);
    }
  }
});

test("the codec with nodeHooks writes and reads the same bytes as with its defaults", () => {
  const messages = [createMessage("x".repeat(5000)), createMessage("small"), createMessage(new Uint8Array(0))];
  const encoded = encodeMessages(messages, nodeHooks);
  expect(encoded).toEqual(encodeMessages(messages));
  expect([...decodeMessageSet(encoded, nodeHooks)].map((m) => m.payload.length)).toEqual([5000, 5, 0]);
  expect(Object.isFrozen(nodeHooks)).toBe(true);
});
