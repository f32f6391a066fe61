/**
 * The encoder writes a run of entries first and fills their CRCs afterwards in batches: by one
 * WebAssembly call per up to 48 KiB of entries where the runtime has WebAssembly, else by the same
 * entry walk in JavaScript. Both give the bytes crc-32 gives, for payloads of every size class (larger
 * than one call's window included), both magics, payloads given bare or as messages, compressed
 * wrappers, Produce and MultiProduce frames; and a `crc32` hook still hashes exactly the payloads from
 * its `minBytes` up, its answers written as they are.
 */
import CRC32 from "crc-32";
import fc from "fast-check";
import * as withWasm from "../src/index.ts";
import {
  ProduceRequest,
  WASM_CRC32_WINDOW,
  createMessage,
  decodeMessageSet,
  encodeMessages,
  encodeProduceRequest,
  pureCrc32,
  type Crc32Function,
  type MessageEntries,
} from "../src/index.ts";
import { wasmEntryCrcFiller, type EntryCrcFiller } from "../src/crc/wasm.ts";
import { fillEntryCrcs, fillEntryCrcsInJs } from "../src/message/entry-crcs.ts";
import { bytesFrom } from "./helpers/seeded-bytes.ts";
import { setsWithUnreadableSecondEntry } from "./helpers/unreadable-entries.ts";

type Codec = typeof import("../src/index.ts");

/**
 * A fresh instance of the codec's modules that found no WebAssembly: the global is removed while the
 * modules load and while they make their once-only choices (the first CRC and the first encode), then put back.
 */
async function codecWithoutWebAssembly(): Promise<Codec> {
  const saved = globalThis.WebAssembly;
  try {
    delete (globalThis as { WebAssembly?: unknown }).WebAssembly;
    let codec: Codec | undefined;
    await jest.isolateModulesAsync(async () => {
      codec = await import("../src/index.ts");
    });
    codec!.wasmCrc32();
    codec!.encodeMessages([codec!.createMessage("x")]);
    return codec!;
  } finally {
    globalThis.WebAssembly = saved;
  }
}

const reference = (bytes: Uint8Array): number => CRC32.buf(bytes) >>> 0;

/** An entry to encode: a bare payload (a plain magic-1 message) or a message of either magic, of every size class up to ~70 KiB. */
const entry = fc
  .record({
    length: fc.oneof(
      { arbitrary: fc.nat(40), weight: 10 },
      { arbitrary: fc.integer({ min: 90, max: 1100 }), weight: 10 },
      { arbitrary: fc.integer({ min: WASM_CRC32_WINDOW - 30, max: 70 * 1024 }), weight: 1 },
    ),
    seed: fc.integer(),
    form: fc.constantFrom("payload", "magic 0", "magic 1"),
  })
  .map(({ length, seed, form }) => {
    const payload = bytesFrom(length, seed);
    return form === "payload" ? payload : createMessage(payload, { magic: form === "magic 0" ? 0 : 1 });
  });
const entries = fc.array(entry, { maxLength: 12 });

const payloadOf = (e: MessageEntries[number]): Uint8Array => (e instanceof Uint8Array ? e : e.payload);
/** Bytes as text, which Jest compares far faster than arrays of 70 KiB element by element (and prints as readably). */
const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

/** Each entry of an encoded message set, read by hand (protocol §5): its stored CRC and its payload. */
function readEntries(set: Uint8Array): { storedCrc: number; payload: Uint8Array }[] {
  const view = new DataView(set.buffer, set.byteOffset, set.byteLength);
  const found = [];
  for (let at = 0; at < set.length;) {
    const end = at + 4 + view.getInt32(at);
    const payloadStart = at + 9 + set[at + 4]!;
    found.push({ storedCrc: view.getUint32(payloadStart - 4), payload: set.subarray(payloadStart, end) });
    at = end;
  }
  return found;
}

describe("the encoder's batch CRCs", () => {
  let withoutWasm: Codec;
  beforeAll(async () => {
    withoutWasm = await codecWithoutWebAssembly();
  });

  it("a codec that found no WebAssembly really encodes without it", () => {
    expect(withoutWasm.wasmCrc32()).toBeUndefined();
    expect(wasmEntryCrcFiller()).toBeDefined();
  });

  it("store crc-32's CRC of every payload, and a checking decoder gives the payloads back", () => {
    fc.assert(
      fc.property(entries, (list) => {
        const set = encodeMessages(list);
        const found = readEntries(set);
        expect(found.map((e) => e.storedCrc)).toEqual(list.map((e) => reference(payloadOf(e))));
        expect(found.map((e) => hex(e.payload))).toEqual(list.map((e) => hex(payloadOf(e))));
        expect(
          decodeMessageSet(set)
            .toArray()
            .map((m) => hex(m.payload)),
        ).toEqual(list.map((e) => hex(payloadOf(e))));
      }),
      { numRuns: 100 },
    );
  });

  it("are the same bytes with and without WebAssembly: message sets, Produce (plain, gzip, snappy) and MultiProduce frames", () => {
    fc.assert(
      fc.property(entries, entries, fc.constantFrom(undefined, "gzip" as const, "snappy" as const), (first, second, compression) => {
        expect(hex(withoutWasm.encodeMessages(first))).toBe(hex(encodeMessages(first)));
        const produce = (codec: Codec) => hex(codec.encodeProduceRequest(new codec.ProduceRequest("topic", 3, first, { compression })));
        expect(produce(withoutWasm)).toBe(produce(withWasm));
        const multi = (codec: Codec) =>
          hex(codec.encodeMultiProduceRequest([new codec.ProduceRequest("a", 0, first), new codec.ProduceRequest("b", 1, second, { compression })]));
        expect(multi(withoutWasm)).toBe(multi(withWasm));
      }),
      { numRuns: 60 },
    );
  });

  it("of a compressed wrapper's inner messages are checked when it is decoded", () => {
    fc.assert(
      fc.property(entries, fc.constantFrom("gzip" as const, "snappy" as const), (list, compression) => {
        const frame = encodeProduceRequest(new ProduceRequest("t", 0, list, { compression }));
        const set = frame.subarray(4 + 2 + 2 + 1 + 4 + 4);
        expect(readEntries(set).map((e) => e.storedCrc)).toEqual(readEntries(set).map((e) => reference(e.payload)));
        expect(
          decodeMessageSet(set)
            .toArray()
            .map((m) => hex(m.payload)),
        ).toEqual(list.map((e) => hex(payloadOf(e))));
      }),
      { numRuns: 40 },
    );
  });
});

const fillers: [string, EntryCrcFiller][] = [
  ["WebAssembly", (bytes, start, end) => wasmEntryCrcFiller()!(bytes, start, end)],
  ["JavaScript", fillEntryCrcsInJs],
];

describe("entry CRC fillers", () => {
  it.each(fillers)("%s overwrites whatever the CRC fields held with crc-32's CRC, one call's window at a time", (_, fill) => {
    fc.assert(
      fc.property(entries, fc.integer(), (list, noise) => {
        const expected = encodeMessages(list);
        const noisy = expected.slice();
        for (const e of readEntries(noisy)) noisy.fill(noise & 0xff, e.payload.byteOffset - 4, e.payload.byteOffset);
        // One call fills the entries up to the first that does not end within one window, and stops there.
        const ends = readEntries(expected).map((e) => e.payload.byteOffset + e.payload.length);
        const firstPast = ends.findIndex((end) => end > WASM_CRC32_WINDOW);
        const stop = firstPast === -1 ? noisy.length : (ends[firstPast - 1] ?? 0);
        const once = noisy.slice();
        expect(fill(once, 0, once.length)).toBe(stop);
        expect(hex(once)).toBe(hex(Uint8Array.from([...expected.subarray(0, stop), ...noisy.subarray(stop)])));
        // fillEntryCrcs goes on to the end, the entries too large for one call hashed alone.
        fillEntryCrcs(noisy, 0, noisy.length, fill);
        expect(hex(noisy)).toBe(hex(expected));
      }),
      { numRuns: 100 },
    );
  });

  it("fillEntryCrcs keeps what the filler wrote and hashes alone only the entry the filler did not take", () => {
    const set = encodeMessages([createMessage("small"), bytesFrom(WASM_CRC32_WINDOW + 10, 1), createMessage("small again", { magic: 0 })]);
    const large = readEntries(set)[1]!;
    /** A filler that takes one entry per call when it fits one window, and marks its CRC field instead of hashing. */
    const marking: EntryCrcFiller = (bytes, start) => {
      const entryEnd = start + 4 + new DataView(bytes.buffer, bytes.byteOffset).getInt32(start);
      if (entryEnd - start > WASM_CRC32_WINDOW) return start;
      const crcAt = start + 5 + bytes[start + 4]!;
      bytes.fill(0xee, crcAt, crcAt + 4);
      return entryEnd;
    };
    const bytes = set.slice();
    fillEntryCrcs(bytes, 0, bytes.length, marking);
    const found = readEntries(bytes);
    expect(found.map((e) => e.storedCrc)).toEqual([0xeeeeeeee, large.storedCrc, 0xeeeeeeee]);
  });

  it.each(fillers)("%s fills entries from a start inside a larger buffer and leaves the bytes around them alone", (_, fill) => {
    const set = encodeMessages([createMessage("one"), createMessage("two", { magic: 0 }), new Uint8Array(0)]);
    const bytes = new Uint8Array(set.length + 20).fill(0xaa);
    bytes.set(set, 7);
    bytes.fill(0, 7 + 6, 7 + 10); // the first CRC cleared
    fillEntryCrcs(bytes, 7, 7 + set.length, fill);
    expect(bytes.subarray(7, 7 + set.length)).toEqual(set);
    expect([...bytes.subarray(0, 7), ...bytes.subarray(7 + set.length)].every((b) => b === 0xaa)).toBe(true);
  });

  it("a range that does not hold whole entries is a RangeError (an encoder bug), never an endless loop or a CRC of other bytes", () => {
    const set = encodeMessages([createMessage("whole"), createMessage(bytesFrom(WASM_CRC32_WINDOW + 10, 1))]);
    const firstEnd = 4 + new DataView(set.buffer).getInt32(0);
    for (const [, fill] of fillers) {
      expect(() => fillEntryCrcs(set, 0, set.length - 1, fill)).toThrow(
        `no whole message set entry at ${firstEnd} of [${firstEnd}, ${set.length - 1})`,
      );
      expect(() => fillEntryCrcs(set, 1, set.length, fill)).toThrow("no whole message set entry at ");
      // Three bytes of a next entry at the very end of the bytes: not even its length.
      const cut = set.slice(0, firstEnd + 3);
      expect(() => fillEntryCrcs(cut, 0, cut.length, fill)).toThrow(`no whole message set entry at ${firstEnd} of [${firstEnd}, ${cut.length})`);
    }
  });

  it.each(fillers)(
    "%s stops at an entry it cannot read as a message, and fillEntryCrcs throws a RangeError there, writing nothing past it",
    (_, fill) => {
      for (const { name, bytes, secondAt } of setsWithUnreadableSecondEntry()) {
        const spoilt = bytes.slice();
        expect([name, fill(bytes, 0, bytes.length)]).toEqual([name, secondAt]);
        expect([name, hex(bytes)]).toEqual([name, hex(spoilt)]);
        expect(() => fillEntryCrcs(bytes, 0, bytes.length, fill)).toThrow(
          new RangeError(`no whole message set entry at ${secondAt} of [${secondAt}, ${bytes.length})`),
        );
        expect([name, hex(bytes.subarray(secondAt))]).toEqual([name, hex(spoilt.subarray(secondAt))]);
      }
    },
  );
});

describe("a crc32 hook with the batch", () => {
  /** A hook whose answers are recognisable (not CRCs at all): what it says must be what is written. */
  function markingCrc32(minBytes: number): Crc32Function & { lengths: number[] } {
    const lengths: number[] = [];
    return Object.assign(
      (bytes: Uint8Array) => {
        lengths.push(bytes.length);
        return (0xc0de0000 | lengths.length) >>> 0;
      },
      { lengths, minBytes },
    );
  }

  it("writes the hook's answer for each payload from minBytes up, in order, and the codec's CRC for the runs between", () => {
    const sizes = [3, 600, 10, 20, 700, 512, 0, 511];
    const payloads = sizes.map((n, i) => bytesFrom(n, i + 1));
    const crc32 = markingCrc32(512);
    const found = readEntries(encodeMessages(payloads, { crc32 }));
    expect(crc32.lengths).toEqual([600, 700, 512]);
    let marks = 0;
    expect(found.map((e) => e.storedCrc)).toEqual(payloads.map((p) => (p.length >= 512 ? (0xc0de0000 | ++marks) >>> 0 : reference(p))));
  });

  it("the pure default given as the hook gives the same bytes as no hook", () => {
    const payloads = [bytesFrom(100, 1), bytesFrom(5000, 2)];
    expect(encodeMessages(payloads, { crc32: pureCrc32 })).toEqual(encodeMessages(payloads));
  });
});
