/**
 * What gzip and snappy do with hostile or broken payloads: decompression bombs are refused with
 * DecompressionLimitError before they are inflated, corrupt data is a CompressionError naming the
 * wrapper's offset, and no mutation of a valid payload escapes as any other kind of error.
 */
import fc from "fast-check";
import {
  Compression,
  CompressionError,
  DECOMPRESSED_MESSAGE_COST,
  DecompressionLimitError,
  K07Error,
  MalformedError,
  compressionCodec,
  createGzipMessage,
  createMessage,
  createSnappyMessage,
  decodeMessageSet,
  encodeMessages,
  gzipCodec,
  registerCompressionCodec,
  snappyCodec,
  type Message,
} from "../src/index.ts";

const MiB = 1024 * 1024;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A magic-1 wrapper message around an arbitrary (possibly corrupt) payload; its CRC is computed, so it passes the CRC check. */
const wrapperOf = (codec: number, payload: Uint8Array): Message => ({ magic: 1, attributes: codec, payload });

/** Runs `f` and returns what it threw (failing the test if it did not throw). */
function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, none was thrown");
}

/** A gzip member of `size` zero bytes: about a thousandth of that size. */
const zerosGzip = (size: number): Uint8Array => gzipCodec.compress(new Uint8Array(size));

/** A raw snappy block header claiming `length` uncompressed bytes (varint), followed by `elements`. */
function rawBlockClaiming(length: number, elements: readonly number[]): Uint8Array {
  const varint: number[] = [];
  for (let rest = length; ; rest = Math.floor(rest / 128)) {
    if (rest < 128) {
      varint.push(rest);
      break;
    }
    varint.push((rest % 128) | 0x80);
  }
  return Uint8Array.from([...varint, ...elements]);
}

/** A snappy-java stream (header, then each block with its int32 length). */
function snappyStream(blocks: readonly Uint8Array[]): Uint8Array {
  const header = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1];
  const bytes = [...header];
  for (const block of blocks) bytes.push(...[24, 16, 8, 0].map((shift) => (block.length >>> shift) & 0xff), ...block);
  return Uint8Array.from(bytes);
}

describe("decompression bombs", () => {
  test("a 16 KB gzip that inflates to 16 MiB is refused under a 1 MiB cap", () => {
    const bomb = zerosGzip(16 * MiB);
    expect(bomb.length).toBeLessThan(20_000);
    const error = thrownBy(() => gzipCodec.decompress(bomb, MiB));
    expect(error).toBeInstanceOf(DecompressionLimitError);
    expect((error as DecompressionLimitError).limit).toBe(MiB);
  });

  test("gzip stops inflating at the cap: a truncated bomb is refused for its size, not for the truncation it never reaches", () => {
    const bomb = zerosGzip(16 * MiB);
    const firstHalf = bomb.subarray(0, bomb.length >> 1); // inflates to about 8 MiB, then breaks off
    expect(thrownBy(() => gzipCodec.decompress(firstHalf, 64 * MiB))).toBeInstanceOf(CompressionError);
    expect(thrownBy(() => gzipCodec.decompress(firstHalf, MiB))).toBeInstanceOf(DecompressionLimitError);
  });

  test("4 GiB of zeros as 1,024 concatenated 4 MiB members (4 MB of gzip) is refused at the default 64 MiB cap", () => {
    // Inflating all of it first would need 4 GiB of memory; refusing at the cap needs about 64 MiB.
    const member = zerosGzip(4 * MiB);
    const bomb = new Uint8Array(member.length * 1024);
    for (let i = 0; i < 1024; i++) bomb.set(member, i * member.length);
    const set = encodeMessages([wrapperOf(Compression.Gzip, bomb)]);
    expect(() => decodeMessageSet(set).toArray()).toThrow(DecompressionLimitError);
  });

  test("a snappy raw block whose varint claims 4 GiB is refused without allocating it", () => {
    const bomb = rawBlockClaiming(0xffff_ffff, [0x00, 0x61]);
    expect(thrownBy(() => snappyCodec.decompress(bomb, 64 * MiB))).toBeInstanceOf(DecompressionLimitError);
  });

  test("snappy sums every block's declared length before decompressing any: garbage blocks claiming 3 × 30 MiB hit the cap first", () => {
    const garbage = Array.from({ length: 3 }, () => rawBlockClaiming(30 * MiB, [0xff, 0xff, 0xff]));
    const stream = snappyStream(garbage);
    expect(thrownBy(() => snappyCodec.decompress(stream, 64 * MiB))).toBeInstanceOf(DecompressionLimitError);
    // Under a cap that fits them, the same blocks are what they are: corrupt.
    expect(thrownBy(() => snappyCodec.decompress(stream, 128 * MiB))).toBeInstanceOf(CompressionError);
  });

  test("a snappy block claiming more than its elements could ever produce is corrupt, refused before allocation", () => {
    const claim = rawBlockClaiming(10 * MiB, [0x00, 0x61]); // 2 bytes of elements cannot make 10 MiB
    expect(thrownBy(() => snappyCodec.decompress(claim, 64 * MiB))).toBeInstanceOf(CompressionError);
  });

  test.each([
    ["gzip", createGzipMessage],
    ["snappy", createSnappyMessage],
  ] as const)("decodeMessageSet applies maxDecompressedBytes to %s wrappers, both ways of the boundary", (_name, createWrapper) => {
    const batch = Array.from({ length: 100 }, (_, i) => createMessage(`message ${i} `.repeat(10)));
    const set = encodeMessages([createWrapper(batch)]);
    // The budget counts the bytes inflated plus DECOMPRESSED_MESSAGE_COST per message found.
    const needed = encodeMessages(batch).length + batch.length * DECOMPRESSED_MESSAGE_COST;
    expect(decodeMessageSet(set, { maxDecompressedBytes: needed }).toArray()).toHaveLength(100);
    expect(() => decodeMessageSet(set, { maxDecompressedBytes: needed - 1 }).toArray()).toThrow(DecompressionLimitError);
  });
});

describe("corrupt compressed data", () => {
  const gzipped = gzipCodec.compress(text("a perfectly good gzip member ".repeat(20)));
  const corruptGzip: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["not gzip at all", text("this is plain text, not a gzip member")],
    ["a bad magic number", Uint8Array.from([0x1f, 0x8c, ...gzipped.subarray(2)])],
    ["truncated in the deflate data", gzipped.subarray(0, gzipped.length >> 1)],
    ["truncated in the trailer", gzipped.subarray(0, gzipped.length - 3)],
    ["a wrong CRC-32 in the trailer", Uint8Array.from(gzipped, (b, i) => (i === gzipped.length - 8 ? b ^ 1 : b))],
    ["a wrong length in the trailer", Uint8Array.from(gzipped, (b, i) => (i === gzipped.length - 4 ? b ^ 1 : b))],
    ["a broken deflate block type", Uint8Array.from(gzipped, (b, i) => (i === 10 ? b | 0x06 : b))],
    ["trailing bytes after the member", Uint8Array.from([...gzipped, 0, 0])],
    ["trailing garbage after the member", Uint8Array.from([...gzipped, ...text("garbage")])],
  ];
  test.each(corruptGzip)("gzip with %s is a CompressionError", (_what, payload) => {
    expect(thrownBy(() => gzipCodec.decompress(payload, MiB))).toBeInstanceOf(CompressionError);
  });

  test.each([
    [corruptGzip[0]![1], /^gzip data of 0 bytes is shorter than the smallest gzip member \(20 bytes\)$/],
    [corruptGzip[5]![1], /^gzip member 0: CRC-32 of the inflated data is 0x[0-9a-f]{8}, its trailer at byte \d+ says 0x[0-9a-f]{8}$/],
    [corruptGzip[6]![1], /^gzip member 0 inflated to 580 bytes but its trailer at byte \d+ says \d+ \(truncated or trailing data\?\)$/],
    [corruptGzip[7]![1], /^invalid gzip data: ./],
  ])("a gzip CompressionError says what is wrong (%#)", (payload, message) => {
    const error = thrownBy(() => gzipCodec.decompress(payload, MiB)) as CompressionError;
    expect(error).toBeInstanceOf(CompressionError);
    expect(error.message).toMatch(message);
    if (message.source.startsWith("^invalid")) expect(error.cause).toBeInstanceOf(Error);
  });

  test("the cap must be a number: a numeric string is refused too", () => {
    for (const codec of [gzipCodec, snappyCodec]) {
      expect(() => codec.decompress(gzipped, "5" as unknown as number)).toThrow("maxDecompressedBytes must be a non-negative number, got 5");
    }
  });

  const framed = snappyCodec.compress(text("a perfectly good snappy stream ".repeat(20)));
  const corruptSnappy: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["a stream cut inside a block length", framed.subarray(0, 18)],
    ["a stream cut inside a block", framed.subarray(0, framed.length - 1)],
    ["a negative block length", Uint8Array.from([...snappyStream([]), 0xff, 0xff, 0xff, 0xff])],
    ["a zero block length", Uint8Array.from([...snappyStream([]), 0, 0, 0, 0])],
    ["a compatible version of 0", Uint8Array.from(framed, (b, i) => (i === 15 ? 0 : b))],
    ["a varint longer than 5 bytes", rawBlockClaiming(0, [0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).subarray(1)],
    ["a literal running past the block", rawBlockClaiming(10, [9 << 2, 0x61, 0x62])],
    ["a literal longer than the declared length", rawBlockClaiming(1, [1 << 2, 0x61, 0x62])],
    ["a copy reaching before the start", rawBlockClaiming(8, [0x00, 0x61, 0x01 | (0 << 2), 2])],
    ["a copy with offset 0", rawBlockClaiming(8, [0x00, 0x61, 0x01 | (0 << 2), 0])],
    ["a copy cut off inside its offset", rawBlockClaiming(8, [0x00, 0x61, 0x02 | (3 << 2), 1])],
    ["fewer bytes than the declared length", rawBlockClaiming(5, [0x00, 0x61])],
  ];
  test.each(corruptSnappy)("snappy with %s is a CompressionError", (_what, payload) => {
    expect(thrownBy(() => snappyCodec.decompress(payload, MiB))).toBeInstanceOf(CompressionError);
  });

  test("a snappy CompressionError says what is wrong and at which byte", () => {
    expect(corruptSnappy.map(([what, payload]) => [what, (thrownBy(() => snappyCodec.decompress(payload, MiB)) as Error).message])).toEqual([
      ["empty", "snappy block at byte 0 has no valid length varint"],
      ["a stream cut inside a block length", "snappy stream ends inside a block length at byte 16"],
      ["a stream cut inside a block", "snappy block length 64 at byte 16 does not fit the 63 bytes that follow"],
      ["a negative block length", "snappy block length -1 at byte 16 does not fit the 0 bytes that follow"],
      ["a zero block length", "snappy block length 0 at byte 16 does not fit the 0 bytes that follow"],
      ["a compatible version of 0", "snappy stream compatible version 0 is below 1"],
      ["a varint longer than 5 bytes", "snappy block at byte 0 has no valid length varint"],
      ["a literal running past the block", "corrupt snappy data: a literal of 10 bytes runs past the block (element at byte 1)"],
      ["a literal longer than the declared length", "corrupt snappy data: a literal overruns the declared length (element at byte 1)"],
      ["a copy reaching before the start", "corrupt snappy data: a copy reaches back 2 bytes (element at byte 3)"],
      ["a copy with offset 0", "corrupt snappy data: a copy reaches back 0 bytes (element at byte 3)"],
      ["a copy cut off inside its offset", "corrupt snappy data: a copy runs past the block (element at byte 3)"],
      ["fewer bytes than the declared length", "snappy block at byte 0 declares 5 bytes but its elements produce 1"],
    ]);
  });

  test.each([
    ["gzip", Compression.Gzip, corruptGzip[3]![1]],
    ["snappy", Compression.Snappy, corruptSnappy[2]![1]],
  ] as const)("a corrupt %s wrapper fails iteration with a CompressionError naming its topic, partition and offset", (name, codec, payload) => {
    const set = encodeMessages([createMessage("before"), wrapperOf(codec, payload), createMessage("after")]);
    const wrapperOffset = 5000 + encodeMessages([createMessage("before")]).length;
    const iterator = decodeMessageSet(set, { baseOffset: 5000, context: { topic: "events", partition: 3 } })[Symbol.iterator]();
    expect(iterator.next().value?.text()).toBe("before");

    const error = thrownBy(() => iterator.next()) as CompressionError;
    expect(error).toBeInstanceOf(CompressionError);
    expect(error.offset).toBe(wrapperOffset);
    expect(error.topic).toBe("events");
    expect(error.partition).toBe(3);
    expect(error.message).toContain(`Cannot decompress ${name} message`);
    expect(error.message).toContain(`offset ${wrapperOffset}`);
  });

  test("a wrapper that inflates to an incomplete message set is malformed, not silently short", () => {
    const inner = encodeMessages([createMessage("complete"), createMessage("cut")]);
    const set = encodeMessages([wrapperOf(Compression.Snappy, snappyCodec.compress(inner.subarray(0, inner.length - 1)))]);
    expect(() => decodeMessageSet(set).toArray()).toThrow(K07Error);
    expect(() => decodeMessageSet(set).toArray()).toThrow(/Compressed message holds an incomplete message set/);
  });

  test("a k07 error other than a CompressionError from a registered codec passes through unwrapped", () => {
    const own = new MalformedError("the codec's own finding", 7);
    registerCompressionCodec(Compression.Gzip, {
      name: "gzip",
      compress: gzipCodec.compress,
      decompress: () => {
        throw own;
      },
    });
    try {
      const set = encodeMessages([wrapperOf(Compression.Gzip, new Uint8Array(4))]);
      expect(thrownBy(() => decodeMessageSet(set).toArray())).toBe(own);
    } finally {
      registerCompressionCodec(Compression.Gzip, gzipCodec);
    }
    expect(compressionCodec(Compression.Gzip)).toBe(gzipCodec);
  });

  test("a wrapper with compression codec 3 is a CompressionError naming codec 3, not a codec it is not", () => {
    const set = encodeMessages([wrapperOf(3, gzipCodec.compress(encodeMessages([createMessage("x")])))]);
    expect(() => decodeMessageSet(set).toArray()).toThrow(CompressionError);
    expect(() => decodeMessageSet(set).toArray()).toThrow(/Cannot decompress codec 3 message: Unknown compression codec 3/);
  });
});

describe("fuzzing: mutated and random payloads", () => {
  /** Either a result or a typed compression error; anything else fails the property (and fast-check prints the seed). */
  function decompressOrTypedError(codec: number, payload: Uint8Array, maxBytes: number): Uint8Array | undefined {
    try {
      const result = compressionCodec(codec).decompress(payload, maxBytes);
      expect(result.length).toBeLessThanOrEqual(maxBytes);
      return result;
    } catch (error) {
      if (error instanceof CompressionError || error instanceof DecompressionLimitError) return undefined;
      throw error;
    }
  }

  const originalArb = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 500 }),
    fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 100 })).map(([s, n]) => text(s.repeat(n))),
  );

  test("gzip: a payload with one byte changed inflates to the original or fails with a typed error (CRC-32 catches the rest)", () => {
    fc.assert(
      fc.property(originalArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (original, at, xor) => {
        const payload = gzipCodec.compress(original);
        payload[at % payload.length]! ^= xor;
        const result = decompressOrTypedError(Compression.Gzip, payload, 4 * original.length + 1024);
        if (result !== undefined) expect(Buffer.from(result).equals(Buffer.from(original))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test("snappy: a payload with one byte changed or cut short decodes or fails with a typed error, never anything else", () => {
    fc.assert(
      fc.property(originalArb, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (original, at, xor, cut) => {
        let payload = snappyCodec.compress(original);
        if (cut) payload = payload.subarray(0, at % payload.length);
        else payload[at % payload.length]! ^= xor;
        decompressOrTypedError(Compression.Snappy, payload, 4 * original.length + 1024);
      }),
      { numRuns: 500 },
    );
  });

  test.each([
    ["gzip", Compression.Gzip],
    ["snappy", Compression.Snappy],
  ] as const)("%s: random bytes decode or fail with a typed error", (_name, codec) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (payload) => {
        decompressOrTypedError(codec, payload, 4096);
      }),
      { numRuns: 500 },
    );
  });
});

describe("the cap itself", () => {
  test.each([
    ["gzip", gzipCodec],
    ["snappy", snappyCodec],
  ] as const)("%s refuses a cap that is NaN or negative with a RangeError, as an argument mistake", (_name, codec) => {
    const payload = codec.compress(text("data"));
    expect(() => codec.decompress(payload, Number.NaN)).toThrow(RangeError);
    expect(() => codec.decompress(payload, -1)).toThrow(RangeError);
    expect(Buffer.from(codec.decompress(payload, Number.POSITIVE_INFINITY)).toString()).toBe("data");
  });
});

describe("snappy elements, each checked (raw blocks built by hand)", () => {
  test.each([
    ["a varint above 2^32", Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x1f, 0x00), "snappy block at byte 0 has a length varint above 2^32"],
    [
      "a 60-tag literal whose length byte is missing",
      rawBlockClaiming(20, [60 << 2]),
      "corrupt snappy data: a literal length runs past the block (element at byte 1)",
    ],
    ["a 1-byte-offset copy cut off", rawBlockClaiming(8, [0x00, 0x61, 0x01]), "corrupt snappy data: a copy runs past the block (element at byte 3)"],
    [
      "a 4-byte-offset copy cut off",
      rawBlockClaiming(8, [0x00, 0x61, 0x03, 1, 0, 0]),
      "corrupt snappy data: a copy runs past the block (element at byte 3)",
    ],
    [
      "a copy past the declared length",
      rawBlockClaiming(4, [0x00, 0x61, 0x01 | (1 << 2), 1]),
      "corrupt snappy data: a copy overruns the declared length (element at byte 3)",
    ],
    [
      "a block claiming more than 64/3 bytes of output per byte of elements",
      rawBlockClaiming(22, [0x00]),
      "snappy block at byte 0 claims 22 bytes, more than its 1 bytes of elements can hold",
    ],
  ])("%s is a CompressionError that says so", (_what, payload, message) => {
    const error = thrownBy(() => snappyCodec.decompress(payload, MiB));
    expect(error).toBeInstanceOf(CompressionError);
    expect((error as Error).message).toBe(message);
  });

  test("the largest claim 1 byte of elements can hold (21 bytes) is judged by decoding it, not refused up front", () => {
    expect((thrownBy(() => snappyCodec.decompress(rawBlockClaiming(21, [0x00]), MiB)) as Error).message).toMatch(/literal of 1 bytes runs past/);
  });

  test("literals with 1- and 2-byte lengths (tags 60 and 61) decode", () => {
    const short = Array.from({ length: 100 }, (_, i) => i);
    const long = Array.from({ length: 300 }, (_, i) => i & 0xff);
    expect([...snappyCodec.decompress(rawBlockClaiming(100, [60 << 2, 99, ...short]), MiB)]).toEqual(short);
    expect([...snappyCodec.decompress(rawBlockClaiming(300, [61 << 2, 299 & 0xff, 299 >> 8, ...long]), MiB)]).toEqual(long);
  });

  test("copies of every kind decode: 1-, 2- and 4-byte offsets, overlapping runs, and long copies", () => {
    const abcd = [0x61, 0x62, 0x63, 0x64];
    const literal = [3 << 2, ...abcd];
    // A 2-byte-offset copy of 4 bytes from 4 back, then a 4-byte-offset copy of 8 from 8 back.
    expect(
      new TextDecoder().decode(snappyCodec.decompress(rawBlockClaiming(16, [...literal, 0x02 | (3 << 2), 4, 0, 0x03 | (7 << 2), 8, 0, 0, 0]), MiB)),
    ).toBe("abcd".repeat(4));
    // An overlapping 1-byte-offset copy repeats the last byte: 1 + 11 bytes of "a".
    expect(new TextDecoder().decode(snappyCodec.decompress(rawBlockClaiming(12, [0x00, 0x61, 0x01 | (7 << 2), 1]), MiB))).toBe("a".repeat(12));
    // A long copy (20 bytes from 20 back) after a 20-byte literal.
    const twenty = Array.from({ length: 20 }, (_, i) => 0x41 + i);
    const out = snappyCodec.decompress(rawBlockClaiming(40, [19 << 2, ...twenty, 0x02 | (19 << 2), 20, 0]), MiB);
    expect([...out]).toEqual([...twenty, ...twenty]);
    // An overlapping long copy (20 bytes from 4 back) repeats the last 4 bytes.
    const repeated = snappyCodec.decompress(rawBlockClaiming(24, [...literal, 0x02 | (19 << 2), 4, 0]), MiB);
    expect(new TextDecoder().decode(repeated)).toBe("abcd".repeat(6));
  });
});
