/**
 * The broker checks a produced set of plain messages in place (no message objects, no views), and
 * falls back to the codec's deep iteration for anything else and to name any fault it finds. Either
 * way the verdict is the codec's: these tests hold the two paths to the same answers.
 */
import { validateProducedSet, type ProduceVerdict } from "@k07/broker";
import { K07Error, createGzipMessage, createMessage, decodeMessageSet, encodeMessages, pureCrc32, type Crc32Function } from "@k07/codec";
import { ProducedSetValidation } from "../src/produce-validation.ts";
import { concat, int32 } from "./helpers/bytes.ts";

const OPTIONS = { maxMessageSize: 1_000_000, maxDecompressedBytes: 64 * 1024 * 1024 };

/** The codec's answer for a set whose payloads are all within the size limit: every message iterated, CRCs checked. */
function codecVerdict(set: Uint8Array, crc32: Crc32Function = pureCrc32): ProduceVerdict {
  const view = decodeMessageSet(set, { maxDecompressedBytes: OPTIONS.maxDecompressedBytes, crc32 });
  let messageCount = 0;
  try {
    for (const message of view) if (message) messageCount++;
  } catch (error) {
    if (error instanceof K07Error) return { kind: "reject", reason: error.message };
    throw error;
  }
  return { kind: "append", bytes: set.subarray(0, view.validBytes), messageCount };
}

/** `count` distinct 100-byte payloads as magic-1 messages (every `magic0Every`-th one magic 0). */
function plainSet(count: number, magic0Every = 0): Uint8Array {
  const messages = [];
  for (let i = 0; i < count; i++) {
    const payload = new Uint8Array(100).map((_, j) => (i * 31 + j * 7) & 0xff);
    messages.push(createMessage(payload, magic0Every > 0 && i % magic0Every === 0 ? { magic: 0 } : {}));
  }
  return encodeMessages(messages);
}

/** Start of each whole entry of a set. */
function entryStarts(set: Uint8Array): number[] {
  const starts = [];
  const view = new DataView(set.buffer, set.byteOffset, set.byteLength);
  for (let at = 0; at + 4 <= set.length && at + 4 + view.getInt32(at) <= set.length; at += 4 + view.getInt32(at)) starts.push(at);
  return starts;
}

/** A copy of `set` with the CRC of entry `index` changed (its payload left as it was). */
function withBadCrc(set: Uint8Array, index: number): Uint8Array {
  const copy = set.slice();
  const at = entryStarts(set)[index]!;
  copy[at + (copy[at + 4] === 1 ? 6 : 5)]! ^= 0x5a;
  return copy;
}

/** Validates in steps of `allowance`, counting the steps that ended without a verdict. */
function validateInSteps(set: Uint8Array, allowance: number, crc32?: Crc32Function): { verdict: ProduceVerdict; pauses: number } {
  const validation = new ProducedSetValidation(set, { ...OPTIONS, crc32 });
  let pauses = 0;
  for (;;) {
    const verdict = validation.step(allowance);
    if (verdict !== undefined) return { verdict, pauses };
    pauses++;
  }
}

test("a set of sound plain messages, magic 0 and 1 mixed, is appended whole with every message counted", () => {
  const set = plainSet(200, 3);
  const verdict = validateProducedSet(set, OPTIONS);
  expect(verdict).toEqual({ kind: "append", bytes: set, messageCount: 200 });
  expect(verdict).toEqual(codecVerdict(set));
});

test.each([0, 1, 99, 199])("a bad CRC in message %i rejects the set with the codec's CRC error, offset named", (index) => {
  const set = withBadCrc(plainSet(200, 7), index);
  const verdict = validateProducedSet(set, OPTIONS);
  expect(verdict.kind).toBe("reject");
  expect(verdict).toEqual(codecVerdict(set));
  expect((verdict as { reason: string }).reason).toContain(`offset ${entryStarts(set)[index]}`);
});

test("a magic-1 entry too short for its header rejects the set as the codec does", () => {
  // length 5: magic 1, attributes 0, and only three of the four CRC bytes.
  const set = concat(plainSet(3), int32(5), new Uint8Array([1, 0, 0, 0, 0]), plainSet(2));
  const verdict = validateProducedSet(set, OPTIONS);
  expect(verdict).toEqual(codecVerdict(set));
  expect((verdict as { reason: string }).reason).toMatch(/Magic-1 message too short/);
});

test("an unknown magic byte rejects the set as the codec does", () => {
  const good = plainSet(2);
  const bad = good.slice(0, 110);
  bad[4] = 2;
  const set = concat(good, bad);
  const verdict = validateProducedSet(set, OPTIONS);
  expect(verdict).toEqual(codecVerdict(set));
  expect((verdict as { reason: string }).reason).toMatch(/Unknown magic byte 2/);
});

test("a trailing partial entry is trimmed: the whole entries before it are appended", () => {
  const whole = plainSet(5);
  const set = concat(whole, plainSet(1).subarray(0, 50));
  expect(validateProducedSet(set, OPTIONS)).toEqual({ kind: "append", bytes: whole, messageCount: 5 });
});

test("an impossible length after sound entries rejects the set as the codec does", () => {
  const set = concat(plainSet(4), int32(2), new Uint8Array([1, 0]));
  const verdict = validateProducedSet(set, OPTIONS);
  expect(verdict.kind).toBe("reject");
  expect(verdict).toEqual(codecVerdict(set));
});

test("a set with a compressed wrapper among plain messages is checked deeply, inner messages counted", () => {
  const set = encodeMessages([createMessage("a"), createGzipMessage([createMessage("b"), createMessage("c")]), createMessage("d")]);
  expect(validateProducedSet(set, OPTIONS)).toEqual({ kind: "append", bytes: set, messageCount: 4 });
});

test("the configured crc32 is the one that checks a plain set: a CRC that disagrees rejects a sound set", () => {
  const set = plainSet(10);
  const calls: number[] = [];
  const counting: Crc32Function = (bytes) => {
    calls.push(bytes.length);
    return pureCrc32(bytes);
  };
  expect(validateProducedSet(set, { ...OPTIONS, crc32: counting })).toEqual({ kind: "append", bytes: set, messageCount: 10 });
  expect(calls).toEqual(new Array(10).fill(100));
  const wrong: Crc32Function = (bytes) => pureCrc32(bytes) ^ 1;
  expect(validateProducedSet(set, { ...OPTIONS, crc32: wrong })).toEqual(codecVerdict(set, wrong));
});

test("validated in small steps, a plain set pauses between messages and ends with the same verdict", () => {
  const set = plainSet(50);
  // Each message costs 64 + its 100 payload bytes of work; an allowance of 400 checks three at a time.
  const sound = validateInSteps(set, 400);
  expect(sound.verdict).toEqual({ kind: "append", bytes: set, messageCount: 50 });
  expect(sound.pauses).toBe(16);
  const late = withBadCrc(set, 40);
  const rejected = validateInSteps(late, 400);
  expect(rejected.verdict).toEqual(codecVerdict(late));
  expect(rejected.pauses).toBeGreaterThanOrEqual(13);
});
