/**
 * One decompression budget per decode: the bytes inflated by every
 * wrapper of a message set, plus DECOMPRESSED_MESSAGE_COST per message found inside them, count
 * against one `maxDecompressedBytes`; a compressed message inside a compressed message is refused;
 * and the work can be done in caller-sized steps (`advance`, `step`, `decompressInSteps`).
 */
import {
  Compression,
  CompressionError,
  DECOMPRESSED_MESSAGE_COST,
  DecompressionLimitError,
  NestedCompressionError,
  createGzipMessage,
  createMessage,
  createSnappyMessage,
  decodeMessageSet,
  decompressInSteps,
  encodeMessages,
  gzipCodec,
  snappyCodec,
  type FetchedMessage,
  type Message,
} from "../src/index.ts";
import { PARTIAL_ENTRY, h11TripleBytes } from "./helpers/h11-triple.ts";
import { emptyMessageSet } from "@k07/testing/hostile.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const context = { topic: "t", partition: 3 };

/** Byte equality as one boolean (jest's element-by-element diff of megabyte arrays is very slow). */
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;
const sameList = (a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean => a.length === b.length && a.every((x, i) => sameBytes(x, b[i]!));

/** A gzip wrapper whose payload is `innerSet` compressed. */
const gzipWrapperOf = (innerSet: Uint8Array): Message => ({ magic: 1, attributes: Compression.Gzip, payload: gzipCodec.compress(innerSet) });

/** A message of `size` bytes that compresses well but not to nothing. */
function filler(size: number, seed: number): Message {
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = ((i * 31) ^ seed) % 97;
  return createMessage(payload);
}

/** What a decode comes to, as plain values: the texts, or the error's class, place and limit. */
function outcome(bytes: Uint8Array, options: Parameters<typeof decodeMessageSet>[1] = {}): unknown {
  try {
    return decodeMessageSet(bytes, { context, ...options })
      .toArray()
      .map((m) => m.text());
  } catch (error) {
    const e = error as DecompressionLimitError;
    return { error: e.name, topic: e.topic, partition: e.partition, offset: e.offset, limit: e.limit };
  }
}

describe("nesting", () => {
  const inner = createGzipMessage([createMessage("a"), createMessage("b")]);
  const nested = encodeMessages([createMessage("before"), createGzipMessage([createMessage("x"), inner])]);
  const outerStart = 4 + 6 + 6; // after the 6-byte "before" entry

  test("a compressed message inside a compressed message is refused with NestedCompressionError naming the outer wrapper", () => {
    const expected = { error: "NestedCompressionError", topic: "t", partition: 3, offset: 1000 + outerStart, limit: undefined };
    // Whole, as it grows byte by byte (a prefix holds only "before", or nothing), and with a partial entry after it.
    h11TripleBytes(nested, (bytes) => outcome(bytes, { baseOffset: 1000 }), {
      trailing: PARTIAL_ENTRY,
      prefix: (result, length) => {
        if (length < nested.length) expect([[], ["before"]]).toContainEqual(result);
      },
    });
    expect(outcome(nested, { baseOffset: 1000 })).toEqual(expected);
  });

  test("the refusal comes before the inner wrapper is inflated, and is a CompressionError", () => {
    const error = (() => {
      try {
        decodeMessageSet(nested).toArray();
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(NestedCompressionError);
    expect(error).toBeInstanceOf(CompressionError);
    expect((error as Error).message).toMatch(/never nest/);
  });

  test("snappy inside gzip is nesting too; plain messages inside either are not", () => {
    const mixed = encodeMessages([createGzipMessage([createSnappyMessage([createMessage("deep")])])]);
    expect(outcome(mixed)).toMatchObject({ error: "NestedCompressionError", offset: 0 });
    expect(outcome(encodeMessages([createSnappyMessage([createMessage("flat")])]))).toEqual(["flat"]);
  });

  test("maxCompressionDepth must be a non-negative integer", () => {
    expect(() => decodeMessageSet(nested, { maxCompressionDepth: -1 })).toThrow(RangeError);
    expect(() => decodeMessageSet(nested, { maxCompressionDepth: 1.5 })).toThrow(RangeError);
    expect(outcome(encodeMessages([createGzipMessage([createMessage("z")])]), { maxCompressionDepth: 0 })).toMatchObject({
      error: "NestedCompressionError",
    });
  });
});

describe("one budget per decode", () => {
  test("two wrappers that each fit the budget but not together: the second is refused, named by its offset", () => {
    const a = gzipWrapperOf(encodeMessages([filler(40 * KiB, 1)]));
    const b = gzipWrapperOf(encodeMessages([filler(40 * KiB, 2)]));
    const set = encodeMessages([a, b]);
    const secondAt = 4 + 6 + a.payload.length;
    h11TripleBytes(set, (bytes) => outcome(bytes, { maxDecompressedBytes: 64 * KiB, baseOffset: 500 }), {
      trailing: PARTIAL_ENTRY,
      prefix: (result, length) => {
        // With only the first wrapper arrived, it fits.
        if (length >= secondAt && length < set.length) expect((result as string[]).length).toBe(1);
      },
    });
    expect(outcome(set, { maxDecompressedBytes: 64 * KiB, baseOffset: 500 })).toEqual({
      error: "DecompressionLimitError",
      topic: "t",
      partition: 3,
      offset: 500 + secondAt,
      limit: 64 * KiB,
    });
    // Each alone is accepted under the same budget.
    expect(outcome(encodeMessages([a]), { maxDecompressedBytes: 64 * KiB })).toHaveLength(1);
  });

  test("wrappers nested (where allowed) share the budget of the outermost", () => {
    const inner = () => gzipWrapperOf(encodeMessages([filler(40 * KiB, 3)]));
    const outer = createGzipMessage([inner(), inner()]);
    const set = encodeMessages([outer]);
    expect(outcome(set, { maxCompressionDepth: 2, maxDecompressedBytes: 64 * KiB })).toMatchObject({ error: "DecompressionLimitError", offset: 0 });
    expect(outcome(set, { maxCompressionDepth: 2, maxDecompressedBytes: 1 * MiB })).toHaveLength(2);
  });

  test("the message is told what to do: raise maxDecompressedBytes", () => {
    const set = encodeMessages([gzipWrapperOf(emptyMessageSet(1000))]);
    expect(() => decodeMessageSet(set, { maxDecompressedBytes: 20_000, context }).toArray()).toThrow(
      /maxDecompressedBytes \(20000\).*64 bytes per decompressed message; raise maxDecompressedBytes.*topic "t", partition 3, offset 0/,
    );
  });

  test("each message inside a wrapper costs DECOMPRESSED_MESSAGE_COST: 1,000 empty messages need 10,000 + 64,000 bytes", () => {
    expect(DECOMPRESSED_MESSAGE_COST).toBe(64);
    const set = encodeMessages([gzipWrapperOf(emptyMessageSet(1000))]);
    const needed = 1000 * 10 + 1000 * DECOMPRESSED_MESSAGE_COST;
    expect(outcome(set, { maxDecompressedBytes: needed })).toHaveLength(1000);
    expect(outcome(set, { maxDecompressedBytes: needed - 1 })).toMatchObject({ error: "DecompressionLimitError" });
  });

  test("a small gzip of two million empty messages is refused before any message object is made", () => {
    const bomb = encodeMessages([gzipWrapperOf(emptyMessageSet(2_000_000))]);
    expect(bomb.length).toBeLessThan(64 * KiB); // 20 MB of messages, well under the 64 MiB of bytes alone
    const iterator = decodeMessageSet(bomb, { context, baseOffset: 77 })[Symbol.iterator]();
    let handedOut = 0;
    const started = performance.now();
    let error: unknown;
    try {
      while (!iterator.step(MiB, () => handedOut++));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DecompressionLimitError);
    expect(error).toMatchObject({ topic: "t", partition: 3, offset: 77, limit: 64 * MiB });
    expect(handedOut).toBe(0);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  test("the budget belongs to one iteration: iterating the same view again starts afresh", () => {
    const view = decodeMessageSet(encodeMessages([gzipWrapperOf(encodeMessages([filler(40 * KiB, 4)]))]), { maxDecompressedBytes: 64 * KiB });
    expect(view.toArray()).toHaveLength(1);
    expect(view.toArray()).toHaveLength(1);
  });
});

describe("decoding in steps", () => {
  const batch = Array.from({ length: 64 }, (_, i) => filler(64 * KiB, i)); // 4 MiB inflated
  const expected = batch.map((m) => m.payload);

  test.each([
    ["gzip", createGzipMessage],
    ["snappy", createSnappyMessage],
  ] as const)("advance(64 KiB) inflates a 4 MiB %s wrapper over many calls, to the same messages", (_name, wrap) => {
    const set = encodeMessages([createMessage("first"), wrap(batch), createMessage("last")]);
    const iterator = decodeMessageSet(set)[Symbol.iterator]();
    const messages: FetchedMessage[] = [];
    let calls = 0;
    for (;;) {
      calls++;
      if (!iterator.advance(64 * KiB)) continue;
      const r = iterator.next();
      if (r.done) break;
      messages.push(r.value);
    }
    expect(calls).toBeGreaterThan(4 * 16); // at least one call per 64 KiB inflated
    const text = (s: string) => new TextEncoder().encode(s);
    expect(
      sameList(
        messages.map((m) => m.payload),
        [text("first"), ...expected, text("last")],
      ),
    ).toBe(true);
    expect(messages.map((m) => m.offset)).toEqual(
      decodeMessageSet(set)
        .toArray()
        .map((m) => m.offset),
    );
  });

  test("step(allowance, onMessage) hands out every message and reports the end", () => {
    const set = encodeMessages([createGzipMessage(batch)]);
    const iterator = decodeMessageSet(set)[Symbol.iterator]();
    const payloads: Uint8Array[] = [];
    let steps = 1;
    while (!iterator.step(256 * KiB, (m) => payloads.push(m.payload))) steps++;
    expect(sameList(payloads, expected)).toBe(true);
    expect(steps).toBeGreaterThan(8);
  });

  test.each([
    ["gzip", gzipCodec],
    ["snappy", snappyCodec],
  ] as const)("%s decompressInSteps gives what decompress gives, and refuses at the cap the same way", (_name, codec) => {
    const data = encodeMessages(batch);
    const compressed = codec.compress(data);
    const steps = decompressInSteps(codec, compressed, 64 * MiB);
    let output: Uint8Array | undefined;
    let count = 0;
    while ((output = steps.step(32 * KiB)) === undefined) count++;
    expect(sameBytes(output, data)).toBe(true);
    expect(count).toBeGreaterThan(16);
    // gzip finds out while inflating; snappy reads the lengths first and refuses when asked to start.
    let capped: ReturnType<typeof decompressInSteps> | undefined;
    expect(() => {
      capped = decompressInSteps(codec, compressed, MiB);
      while (capped.step(32 * KiB) === undefined);
    }).toThrow(DecompressionLimitError);
    // Once failed, it stays failed.
    if (capped !== undefined) expect(() => capped!.step(32 * KiB)).toThrow(DecompressionLimitError);
  });

  test("a gzip of several members, one of them corrupt, fails in steps as in one call", () => {
    const members = [gzipCodec.compress(encodeMessages(batch.slice(0, 8))), gzipCodec.compress(encodeMessages(batch.slice(8, 16)))];
    const joined = new Uint8Array(members[0]!.length + members[1]!.length);
    joined.set(members[0]!);
    joined.set(members[1]!, members[0]!.length);
    const good = decompressInSteps(gzipCodec, joined, 64 * MiB);
    let output: Uint8Array | undefined;
    while ((output = good.step(16 * KiB)) === undefined);
    expect(sameBytes(output, gzipCodec.decompress(joined, 64 * MiB))).toBe(true);
    joined[joined.length - 6]! ^= 1; // the second member's stored CRC-32
    const bad = decompressInSteps(gzipCodec, joined, 64 * MiB);
    expect(() => {
      while (bad.step(16 * KiB) === undefined);
    }).toThrow(/gzip member 1: CRC-32/);
  });

  test("a codec without decompressInSteps is called once, with what is left of the budget", () => {
    const calls: number[] = [];
    const oneShot = {
      name: "gzip" as const,
      compress: (data: Uint8Array) => data,
      decompress: (data: Uint8Array, maxBytes: number) => {
        calls.push(maxBytes);
        return data;
      },
    };
    const steps = decompressInSteps(oneShot, Uint8Array.of(1, 2, 3), 99);
    expect(steps.step(1)).toEqual(Uint8Array.of(1, 2, 3));
    expect(calls).toEqual([99]);
  });
});
