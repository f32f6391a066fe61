/** validateProducedSet and its stepped form, without a broker: what is appended, dropped or refused. */
import { createGzipMessage, createMessage, createMessageFromString, encodeMessages, type Message } from "@k07/codec";
import { validateProducedSet } from "@k07/broker";
import { ProducedSetValidation } from "../src/produce-validation.ts";
import { concat, hex, int32, textSet } from "./helpers/bytes.ts";

const limits = { maxMessageSize: 1_000, maxDecompressedBytes: 1_000_000 };

function payloadOf(length: number, magic: 0 | 1): Message {
  return createMessage(new Uint8Array(length).fill(7), { magic });
}

test("whole entries are appended as they are, with their messages counted (inner ones included)", () => {
  const set = concat(textSet("a", "b"), encodeMessages([createGzipMessage([createMessageFromString("c"), createMessageFromString("d")])]));
  const verdict = validateProducedSet(set, limits);
  expect(verdict.kind).toBe("append");
  if (verdict.kind !== "append") return;
  expect(hex(verdict.bytes)).toBe(hex(set));
  expect(verdict.messageCount).toBe(4);
});

test("an empty set appends nothing, and is no error", () => {
  expect(validateProducedSet(new Uint8Array(0), limits)).toEqual({ kind: "append", bytes: new Uint8Array(0), messageCount: 0 });
});

test("a trailing partial entry is trimmed; a set that is only a partial entry is refused", () => {
  const whole = textSet("kept");
  const verdict = validateProducedSet(concat(whole, textSet("cut").subarray(0, 8)), limits);
  expect(verdict).toEqual({ kind: "append", bytes: whole, messageCount: 1 });
  expect(validateProducedSet(whole.subarray(0, whole.length - 1), limits)).toEqual({
    kind: "reject",
    reason: "the first message of the set is truncated",
  });
  expect(validateProducedSet(whole.subarray(0, 2), limits)).toEqual({ kind: "reject", reason: "the first message of the set is truncated" });
});

test("an impossible first length is refused with the codec's reason; after whole entries it is refused too", () => {
  const first = validateProducedSet(concat(int32(2), new Uint8Array(10)), limits);
  expect(first).toEqual({ kind: "reject", reason: expect.stringMatching(/^Impossible message length 2/) });
  const later = validateProducedSet(concat(textSet("ok"), int32(-1), new Uint8Array(10)), limits);
  expect(later).toEqual({ kind: "reject", reason: expect.stringMatching(/^Impossible message length -1/) });
});

test("a payload over maxMessageSize drops the part, for either magic, even if a later CRC is bad", () => {
  for (const magic of [0, 1] as const) {
    const atLimit = encodeMessages([payloadOf(10, magic)]);
    expect(validateProducedSet(atLimit, { ...limits, maxMessageSize: 10 }).kind).toBe("append");
    const over = encodeMessages([payloadOf(3, magic), payloadOf(11, magic), payloadOf(2, magic)]);
    expect(validateProducedSet(over, { ...limits, maxMessageSize: 10 })).toEqual({
      kind: "drop",
      reason: "a payload of 11 bytes exceeds maxMessageSize 10",
    });
  }
  const badCrc = textSet("x").slice();
  badCrc[badCrc.length - 1]! ^= 1;
  expect(validateProducedSet(concat(encodeMessages([payloadOf(11, 1)]), badCrc), { ...limits, maxMessageSize: 10 }).kind).toBe("drop");
  // An impossible length after the oversize entry does not turn the drop into a refusal.
  expect(validateProducedSet(concat(encodeMessages([payloadOf(11, 1)]), int32(1), new Uint8Array(8)), { ...limits, maxMessageSize: 10 }).kind).toBe(
    "drop",
  );
  // A trailing partial entry's size is not a payload.
  expect(validateProducedSet(concat(textSet("a"), int32(500), new Uint8Array(3)), { ...limits, maxMessageSize: 10 }).kind).toBe("append");
});

test("a bad CRC anywhere refuses the whole set", () => {
  const set = concat(textSet("a"), textSet("b"));
  set[set.length - 1]! ^= 1;
  expect(validateProducedSet(set, limits)).toEqual({ kind: "reject", reason: expect.stringMatching(/CRC/) });
});

test("a failure that is not about the bytes (a broken CRC hook) is thrown, not blamed on the client", () => {
  const crc32 = (): number => {
    throw new TypeError("hook broke");
  };
  expect(() => validateProducedSet(textSet("a"), { ...limits, crc32 })).toThrow(new TypeError("hook broke"));
});

test("the stepped form gives no verdict until the work is done, then the same verdict every time", () => {
  const inner = Array.from({ length: 500 }, (_, i) => createMessageFromString(`m${i}`));
  const set = encodeMessages([createGzipMessage(inner)]);
  const validation = new ProducedSetValidation(set, { ...limits, maxMessageSize: 1_000_000 });
  let steps = 0;
  let verdict;
  while ((verdict = validation.step(100)) === undefined) steps++;
  expect(steps).toBeGreaterThan(2);
  expect(verdict).toEqual({ kind: "append", bytes: set, messageCount: 500 });
  expect(validation.step(100)).toBe(verdict);
  const refused = new ProducedSetValidation(new Uint8Array(3), limits);
  expect(refused.step(1)).toBe(refused.step(1));
});
