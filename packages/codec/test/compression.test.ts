/**
 * gzip (codec 1) and snappy (codec 2): the wrapper vectors V15–V18 of protocol §10, snappy-java's stream
 * framing (protocol §5.6), and round-trips of random batches through both codecs with the inner-message
 * offsets of protocol §6.2.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import {
  Compression,
  ProduceRequest,
  compressionCodec,
  createGzipMessage,
  createMessage,
  createSnappyMessage,
  decodeMessageSet,
  decodeRequest,
  encodeMessages,
  encodeRequest,
  gzipCodec,
  snappyCodec,
  type Message,
} from "../src/index.ts";
import { compressRawBlock } from "../src/compression/snappy.ts";
import { vectors as allVectors } from "@k07/testing/vectors.ts";

// ---------------------------------------------------------------------------------------------
// Vectors, loaded from packages/testing/fixtures/kafka07-vectors.json, never retyped.

interface WrapperVector {
  readonly name: string;
  readonly hex: string;
  readonly decode: readonly { readonly payload: string; readonly next_offset: number }[];
}
const vectors = allVectors as unknown as readonly WrapperVector[];

function vector(name: string): WrapperVector {
  const found = vectors.find((v) => v.name === name);
  if (found === undefined) throw new Error(`the vectors file has no ${name}`);
  return found;
}
const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, "hex"));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The wrapper's payload: the bytes after length(4), magic(1), attributes(1) and CRC(4). */
const wrapperPayload = (entry: Uint8Array): Uint8Array => entry.subarray(10);

const WRAPPER_VECTORS = [
  ["V15", "gzip_wrapper_hello_world_java", Compression.Gzip],
  ["V16", "gzip_wrapper_abracadabra_kafka_rb", Compression.Gzip],
  ["V17", "snappy_wrapper_hello_world", Compression.Snappy],
  ["V18", "snappy_raw_wrapper_hello_world", Compression.Snappy],
] as const;

describe("registration", () => {
  test("importing the codec registers gzip as codec 1 and snappy as codec 2", () => {
    expect(compressionCodec(Compression.Gzip)).toBe(gzipCodec);
    expect(compressionCodec(Compression.Snappy)).toBe(snappyCodec);
    expect(gzipCodec.name).toBe("gzip");
    expect(snappyCodec.name).toBe("snappy");
  });
});

describe("wrapper vectors V15–V18", () => {
  test.each(WRAPPER_VECTORS)("%s %s decodes to the messages and next offsets the vectors file lists", (_id, name, codec) => {
    const v = vector(name);
    const bytes = fromHex(v.hex);
    const [wrapper] = decodeMessageSet(bytes, { decompress: false }).toArray();
    expect(wrapper!.compression).toBe(codec);

    const messages = decodeMessageSet(bytes).toArray();
    expect(messages.map((m) => ({ payload: m.text(), next_offset: m.nextOffset }))).toEqual(v.decode);
    // Every inner message starts at the wrapper (protocol §6.2) and is itself uncompressed.
    expect(messages.every((m) => m.offset === 0 && m.compression === Compression.None)).toBe(true);
  });

  test.each(WRAPPER_VECTORS)("%s %s: the codec alone inflates the payload to an exact message set", (_id, name, codec) => {
    const bytes = fromHex(vector(name).hex);
    const inner = compressionCodec(codec).decompress(wrapperPayload(bytes), 1024);
    const decoded = decodeMessageSet(inner);
    expect(decoded.validBytes).toBe(inner.length);
    expect(decoded.toArray().map((m) => m.text())).toEqual(vector(name).decode.map((d) => d.payload));
  });

  test("V17 encodes byte-identically: createSnappyMessage([hello, world]) is snappy-java's output", () => {
    const set = encodeMessages([createSnappyMessage([createMessage("hello"), createMessage("world")])]);
    expect(toHex(set)).toBe(vector("snappy_wrapper_hello_world").hex);
  });

  test("V18's raw block is what V17 frames: the decoder accepts both forms of the same inner set", () => {
    const framed = snappyCodec.decompress(wrapperPayload(fromHex(vector("snappy_wrapper_hello_world").hex)), 1024);
    const raw = snappyCodec.decompress(wrapperPayload(fromHex(vector("snappy_raw_wrapper_hello_world").hex)), 1024);
    expect(toHex(raw)).toBe(toHex(framed));
  });

  test("the V15 and V17 inner sets are exactly the uncompressed hello/world set k07 encodes", () => {
    const plain = encodeMessages([createMessage("hello"), createMessage("world")]);
    for (const name of ["gzip_wrapper_hello_world_java", "snappy_wrapper_hello_world"]) {
      const bytes = fromHex(vector(name).hex);
      const codec = bytes[5]!;
      expect(toHex(compressionCodec(codec).decompress(wrapperPayload(bytes), 1024))).toBe(toHex(plain));
    }
  });

  test("protocol §6.2 worked example: V15, a plain message and a truncated entry fetched at offset 1000", () => {
    const gzipWrapper = fromHex(vector("gzip_wrapper_hello_world_java").hex);
    const after = encodeMessages([createMessage("after")]);
    const truncated = Uint8Array.of(0, 0, 0, 0x20, 1, 0, 0xaa);
    const bytes = Uint8Array.from([...gzipWrapper, ...after, ...truncated]);

    const set = decodeMessageSet(bytes, { baseOffset: 1000 });
    expect(set.toArray().map((m) => [m.text(), m.offset, m.nextOffset])).toEqual([
      ["hello", 1000, 1000],
      ["world", 1000, 1057],
      ["after", 1057, 1072],
    ]);
    expect(set.validBytes).toBe(72);
    expect(set.nextOffset).toBe(1072);
    const shallow = decodeMessageSet(bytes, { baseOffset: 1000, decompress: false }).toArray();
    expect(shallow.map((m) => m.nextOffset)).toEqual([1057, 1072]);
  });

  test("a consumer that committed after 'hello' (offset 1000) gets the whole wrapper again on resume", () => {
    const log = Uint8Array.from([...fromHex(vector("snappy_wrapper_hello_world").hex), ...encodeMessages([createMessage("after")])]);
    const logStart = 1000;
    const [hello] = decodeMessageSet(log, { baseOffset: logStart }).toArray();
    const committed = hello!.nextOffset;
    expect(committed).toBe(logStart);

    const resumed = decodeMessageSet(log.subarray(committed - logStart), { baseOffset: committed }).toArray();
    expect(resumed.map((m) => m.text())).toEqual(["hello", "world", "after"]);
  });
});

describe("gzip output", () => {
  test("is one RFC 1952 member with mtime 0, no flags and OS 'unknown', so it is reproducible", () => {
    const data = text("reproducible ".repeat(50));
    const compressed = gzipCodec.compress(data);
    expect(toHex(compressed.subarray(0, 10))).toBe("1f8b0800000000000" + "0ff");
    expect(toHex(gzipCodec.compress(data))).toBe(toHex(compressed));
    const trailer = new DataView(compressed.buffer, compressed.byteOffset + compressed.length - 8, 8);
    expect(trailer.getUint32(4, true)).toBe(data.length);
  });

  test("several concatenated members inflate to their concatenation, as GZIPInputStream reads them", () => {
    const parts = [text("first member "), new Uint8Array(0), text("third ".repeat(1000))];
    const joined = Uint8Array.from(parts.flatMap((p) => [...gzipCodec.compress(p)]));
    const inflated = gzipCodec.decompress(joined, 1 << 20);
    expect(Buffer.from(inflated).toString()).toBe(parts.map((p) => Buffer.from(p).toString()).join(""));
  });
});

describe("snappy-java stream framing (protocol §5.6)", () => {
  /** The blocks of a framed stream: [compressed length, declared uncompressed length]. */
  function blocksOf(stream: Uint8Array): [number, number][] {
    const view = new DataView(stream.buffer, stream.byteOffset, stream.length);
    const blocks: [number, number][] = [];
    for (let at = 16; at < stream.length;) {
      const length = view.getInt32(at);
      let declared = 0;
      for (let i = 0, shift = 0; ; i++, shift += 7) {
        const byte = stream[at + 4 + i]!;
        declared += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) break;
      }
      blocks.push([length, declared]);
      at += 4 + length;
    }
    return blocks;
  }

  test("the header is the magic, version 1 and compatible version 1", () => {
    expect(toHex(snappyCodec.compress(text("x")).subarray(0, 16))).toBe("82534e4150505900" + "00000001" + "00000001");
  });

  test("input is cut into blocks of exactly 32 KiB, the last holding the rest", () => {
    const data = new Uint8Array(3 * 32768 + 1696);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
    const stream = snappyCodec.compress(data);
    expect(blocksOf(stream).map(([, declared]) => declared)).toEqual([32768, 32768, 32768, 1696]);
    expect(toHex(snappyCodec.decompress(stream, data.length))).toBe(toHex(data));
  });

  test("an empty input is the header alone, and the header alone is an empty payload", () => {
    const stream = snappyCodec.compress(new Uint8Array(0));
    expect(stream.length).toBe(16);
    expect(snappyCodec.decompress(stream, 0)).toEqual(new Uint8Array(0));
  });

  test("a payload without the 8-byte magic is read as one raw block, even one longer than 32 KiB", () => {
    // A raw block: varint length, then one literal element of 40000 bytes (tag 61<<2: 2-byte length).
    const literal = new Uint8Array(40000).map((_, i) => i % 256);
    const raw = Uint8Array.from([0xc0, 0xb8, 0x02, 61 << 2, (40000 - 1) & 0xff, (40000 - 1) >> 8, ...literal]);
    expect(toHex(snappyCodec.decompress(raw, 40000))).toBe(toHex(literal));
  });

  test("a bare block whose length varint starts with 0x82, the magic's first byte, is still read as a raw block", () => {
    // kafka-python style: no header. 130 bytes of input make the varint 0x82 0x01, so only the
    // full 8-byte magic (not its first byte) tells a snappy-java stream from a bare block.
    const input = new Uint8Array(130).map((_, i) => (i * 37) % 256);
    const raw = compressRawBlock(input);
    expect(raw.subarray(0, 2)).toEqual(Uint8Array.of(0x82, 0x01));
    expect(raw.length).toBeGreaterThanOrEqual(16);
    expect(toHex(snappyCodec.decompress(raw, input.length))).toBe(toHex(input));
  });

  test("copy elements (1-, 2- and 4-byte offsets, overlapping runs) decode to what they describe", () => {
    // "abcd", copy len 8 offset 4 (1-byte offset), copy len 5 offset 2 (2-byte), copy len 3 offset 17 (4-byte)
    const raw = Uint8Array.of(20, 3 << 2, 0x61, 0x62, 0x63, 0x64, 0x01 | (4 << 2), 4, 0x02 | (4 << 2), 2, 0, 0x03 | (2 << 2), 17, 0, 0, 0);
    expect(Buffer.from(snappyCodec.decompress(raw, 20)).toString()).toBe("abcd" + "abcdabcd" + "cdcdc" + "abc");
  });
});

describe("snappy output is byte-identical to snappy-java", () => {
  // Expected bytes were made by snappy-java 1.1.8.3 (Debian's build, on libsnappy 1.1.9) with
  // `new SnappyOutputStream(out).write(input); close()`, as Kafka 0.7's CompressionUtils does. Small
  // outputs are given whole, large ones as the SHA-256 of snappy-java's output.
  const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
  const JAVA_OUTPUT: [string, () => Uint8Array, string][] = [
    // The C++ library never searches inputs under 17 bytes, so these are literal-only blocks.
    ["16 bytes of 'a'", () => text("a".repeat(16)), "82534e4150505900000000010000000100000012103c61616161616161616161616161616161"],
    ["one short message", () => encodeMessages([createMessage("hi")]), "82534e415050590000000001000000010000000e0c2c000000080100d8932aac6869"],
    [
      "17 bytes of 'abab…'",
      () => text("ab".repeat(9).slice(0, 17)),
      "82534e415050590000000001000000010000001311406162616261626162616261626162616261",
    ],
    [
      "1,000 log lines as a message set (2 blocks)",
      () =>
        encodeMessages(
          Array.from({ length: 1000 }, (_, j) =>
            createMessage(`{"ts":${1700000000000 + j * 37},"user":${(j * 7919) % 10007},"ev":"${["click", "view", "buy"][j % 3]}"}`),
          ),
        ),
      "7607ce0166bb7e7f13fc5d9a122080fcaa69f4ddec45c6f03b15b8ed7b014df0",
    ],
    [
      "100,000 patterned bytes (4 blocks)",
      () => Uint8Array.from({ length: 100_000 }, (_, i) => ((i * i * 31) ^ (i >> 3)) & 0xff),
      "0276b8ad3bbee6b1c36cad01afa83a5f8da7a030da6abba007eeda6d20f56e96",
    ],
    [
      "200,000 bytes of one repeated phrase (long copies)",
      () => text("the quick brown fox ".repeat(10_000)),
      "bb5041c03d502c23b4fb1d4fcf24651b7deccd271d45377be4a1cbf7973c06c8",
    ],
  ];
  test.each(JAVA_OUTPUT)("%s", (_what, input, expected) => {
    const output = snappyCodec.compress(input());
    expect(expected.length === 64 ? sha256(output) : toHex(output)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// Round-trips of random batches (fast-check prints the seed and the shrunk batch on failure).

const payloadArb = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  // Repetitive payloads, so that compressors emit back-references and not only literals.
  fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 80 })).map(([s, n]) => text(s.repeat(n))),
);
const messageArb: fc.Arbitrary<Message> = fc
  .tuple(payloadArb, fc.constantFrom<0 | 1>(0, 1))
  .map(([payload, magic]) => createMessage(payload, { magic }));
const batchArb = fc.array(messageArb, { minLength: 1, maxLength: 40 });

const WRAPPERS = [
  ["gzip", createGzipMessage, Compression.Gzip],
  ["snappy", createSnappyMessage, Compression.Snappy],
] as const;

describe.each(WRAPPERS)("%s round-trips", (_name, createWrapper, codec) => {
  test("bytes: decompress(compress(x)) is x", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 2000 }), payloadArb), (data) => {
        const codecImpl = compressionCodec(codec);
        expect(toHex(codecImpl.decompress(codecImpl.compress(data), data.length))).toBe(toHex(data));
      }),
      { numRuns: 200 },
    );
  });

  test("a wrapper between plain messages yields its inner messages with the offsets of protocol §6.2", () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { maxLength: 3 }),
        batchArb,
        fc.array(messageArb, { maxLength: 3 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (before, batch, after, baseOffset) => {
          const wrapper = createWrapper(batch);
          expect(wrapper.attributes).toBe(codec);
          const bytes = encodeMessages([...before, wrapper, ...after]);
          const wrapperStart = baseOffset + encodeMessages(before).length;
          const wrapperEnd = wrapperStart + encodeMessages([wrapper]).length;

          const expected = [
            ...expectedPlain(before, baseOffset),
            ...batch.map((m, i) => ({
              payload: toHex(m.payload),
              magic: m.magic,
              offset: wrapperStart,
              next: i === batch.length - 1 ? wrapperEnd : wrapperStart,
            })),
            ...expectedPlain(after, wrapperEnd),
          ];
          const set = decodeMessageSet(bytes, { baseOffset });
          expect(set.validBytes).toBe(bytes.length);
          expect(set.toArray().map((m) => ({ payload: toHex(m.payload), magic: m.magic, offset: m.offset, next: m.nextOffset }))).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  });

  test("batches larger than one 32 KiB snappy block (and many gzip deflate blocks) survive", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1000, maxLength: 20000 }), { minLength: 3, maxLength: 8 }), (payloads) => {
        const batch = payloads.map((p) => createMessage(p));
        const decoded = decodeMessageSet(encodeMessages([createWrapper(batch)])).toArray();
        expect(decoded.map((m) => toHex(m.payload))).toEqual(payloads.map(toHex));
      }),
      { numRuns: 10 },
    );
  });

  test("a ProduceRequest with this compression carries one wrapper that decodes to the batch", () => {
    const batch = ["one", "two", "three"].map((s) => createMessage(s));
    const frame = encodeRequest(new ProduceRequest("events", 0, batch, { compression: codec }));
    const decoded = decodeRequest(frame.subarray(4));
    if (decoded.type !== 0) throw new Error("expected a produce request");
    expect(decodeMessageSet(decoded.messageSet).entryCount).toBe(1);
    expect(
      decodeMessageSet(decoded.messageSet)
        .toArray()
        .map((m) => m.text()),
    ).toEqual(["one", "two", "three"]);
  });
});

describe("k07's raw snappy blocks are read by an independent decoder", () => {
  // snappyjs (a separate JavaScript implementation) decodes what k07's port of the C++ encoder writes.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- snappyjs ships no types; require() lets the test give it one
  const snappyjs: { uncompress(block: Uint8Array, maxLength?: number): Uint8Array } = require("snappyjs");

  test("for random, repetitive and multi-fragment inputs", () => {
    const inputArb = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      payloadArb,
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 800 })).map(([unit, times]) => {
        const bytes = new Uint8Array(unit.length * times);
        for (let i = 0; i < times; i++) bytes.set(unit, i * unit.length);
        return bytes;
      }),
    );
    fc.assert(
      fc.property(inputArb, (input) => {
        expect(toHex(snappyjs.uncompress(compressRawBlock(input)))).toBe(toHex(input));
      }),
      { numRuns: 300 },
    );
  });
});

/** Uncompressed messages written from `start`: each starts where the previous ended. */
function expectedPlain(messages: readonly Message[], start: number) {
  let offset = start;
  return messages.map((m) => {
    const next = offset + encodeMessages([m]).length;
    const entry = { payload: toHex(m.payload), magic: m.magic, offset, next };
    offset = next;
    return entry;
  });
}
