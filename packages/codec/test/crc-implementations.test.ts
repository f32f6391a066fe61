/**
 * The candidate CRC-32 implementations (pure-JS slicing by 16 over a byte range, and the
 * WebAssembly one) give exactly what the `crc-32` package gives, on random inputs of every size class
 * and alignment, continued CRCs included, and the CRCs stored in the golden vectors' messages; the
 * entry checkers (many entries' CRCs per call, WebAssembly and JavaScript) stop exactly where crc-32
 * finds the first bad entry; and the checking decoder's default CRC judges messages (skipped, thrown
 * at, yielded) as `crc-32` does.
 */
import CRC32 from "crc-32";
import fc from "fast-check";
import { CrcError, WASM_CRC32_WINDOW, crc32Range, createMessage, decodeMessageSet, encodeMessages, slicingCrc32, wasmCrc32 } from "../src/index.ts";
import { assembleCrc32Wasm, wasmEntryCrcChecker, type EntryCrcChecker } from "../src/crc/wasm.ts";
import { checkEntryCrcsInJs } from "../src/message/entry-crcs.ts";
import { sliceBy16 } from "../src/crc/slicing.ts";
import { CRC32_TABLES } from "../src/crc/table.ts";
import { hexToBytes, vectors } from "@k07/testing/vectors.ts";
import { bytesFrom } from "./helpers/seeded-bytes.ts";
import { setsWithUnreadableSecondEntry } from "./helpers/unreadable-entries.ts";

const reference = (bytes: Uint8Array): number => CRC32.buf(bytes) >>> 0;
const wasm = wasmCrc32();

/** Every implementation as a range CRC: (bytes, start, end, previous) -> unsigned CRC. */
const rangeImplementations: [string, (b: Uint8Array, s: number, e: number, p: number) => number][] = [
  ["crc32Range (JS slicing-by-16)", crc32Range],
  ["sliceBy16", sliceBy16],
  ["wasm", (b, s, e, p) => wasm!(b, s, e, p)],
];

/** Random bytes of every size class (tails, one step, 100 B messages, past the wasm window) and two cut points. */
const sizedBytes = fc
  .oneof(fc.nat(40), fc.integer({ min: 90, max: 1100 }), fc.integer({ min: WASM_CRC32_WINDOW - 20, max: WASM_CRC32_WINDOW * 2 + 40 }))
  .chain((length) =>
    fc.tuple(
      fc.integer().map((seed) => bytesFrom(length, seed)),
      fc.nat(length),
      fc.nat(length),
    ),
  );

describe("CRC-32 implementations", () => {
  it("WebAssembly is available on Node, so the wasm rows are really tested", () => {
    expect(wasm).toBeDefined();
  });

  it("table k holds each byte's CRC register followed by k zero bytes (checked bit by bit)", () => {
    const shiftByte = (register: number): number => {
      for (let bit = 0; bit < 8; bit++) register = register & 1 ? (register >>> 1) ^ 0xedb88320 : register >>> 1;
      return register >>> 0;
    };
    for (let k = 0; k < 16; k++) {
      for (let b = 0; b < 256; b++) {
        let register = shiftByte(b);
        for (let zero = 0; zero < k; zero++) register = shiftByte(register);
        if (CRC32_TABLES[k * 256 + b]! >>> 0 !== register) throw new Error(`table ${k}[${b}] is wrong`);
      }
    }
  });

  it.each(rangeImplementations)("%s agrees with crc-32 on any range of random bytes of any size", (_, crc) => {
    fc.assert(
      fc.property(sizedBytes, ([bytes, a, b]) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        expect(crc(bytes, start, end, 0)).toBe(reference(bytes.subarray(start, end)));
      }),
      { numRuns: 300 },
    );
  });

  it.each(rangeImplementations)("%s continues a CRC: crc(ab) = crc(b, crc(a))", (_, crc) => {
    fc.assert(
      fc.property(sizedBytes, ([bytes, a]) => {
        const cut = Math.min(a, bytes.length);
        expect(crc(bytes, cut, bytes.length, crc(bytes, 0, cut, 0))).toBe(reference(bytes));
      }),
      { numRuns: 100 },
    );
  });

  it("whole-array forms agree with crc-32 (slicingCrc32 and wasm with defaults)", () => {
    fc.assert(
      fc.property(sizedBytes, ([bytes]) => {
        expect(slicingCrc32(bytes)).toBe(reference(bytes));
        expect(wasm!(bytes)).toBe(reference(bytes));
        expect(crc32Range(bytes)).toBe(reference(bytes));
      }),
      { numRuns: 100 },
    );
  });

  it("reproduce the CRC stored in every golden message entry, read in place", () => {
    const entries = vectors.filter((v) => v.name.startsWith("msg_") || v.name.includes("_wrapper_"));
    expect(entries.length).toBeGreaterThanOrEqual(7);
    for (const v of entries) {
      const bytes = hexToBytes(v.hex);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const crcAt = bytes[4] === 0 ? 5 : 6; // magic 0: no attributes byte
      const stored = view.getUint32(crcAt);
      for (const [name, crc] of rangeImplementations) expect([name, v.name, crc(bytes, crcAt + 4, bytes.length, 0)]).toEqual([name, v.name, stored]);
    }
  });

  it.each([
    ["start past end", 5, 4],
    ["negative start", -1, 4],
    ["end past the array", 0, 11],
    ["fractional end", 0, 2.5],
    ["NaN start", Number.NaN, 4],
  ])("a range that is not inside the bytes (%s) is a RangeError, never a silently wrong CRC", (_, start, end) => {
    const bytes = new Uint8Array(10);
    expect(() => crc32Range(bytes, start, end)).toThrow(RangeError);
    expect(() => wasm!(bytes, start, end)).toThrow(RangeError);
  });

  it("a non-Uint8Array is a TypeError", () => {
    expect(() => crc32Range([1, 2, 3] as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => wasm!("abc" as unknown as Uint8Array)).toThrow(TypeError);
  });

  it("the assembled module is small and valid WebAssembly", () => {
    const bytes = assembleCrc32Wasm();
    expect(bytes.length).toBeLessThan(2048);
    expect(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)).toBe(true);
  });
});

/** Payload sizes near and past what one call of an entry checker covers (such entries are checked one by one). */
const largerThanOneCheck = { arbitrary: fc.integer({ min: WASM_CRC32_WINDOW - 30, max: WASM_CRC32_WINDOW + 30 }), weight: 1 };

/** A message set of plain messages (both magics, payloads of every size class), some with one byte of their CRC or payload flipped. */
const possiblyCorruptSets = fc
  .array(
    fc.record({
      payload: fc
        .oneof({ arbitrary: fc.nat(40), weight: 10 }, { arbitrary: fc.integer({ min: 90, max: 400 }), weight: 10 }, largerThanOneCheck)
        .chain((length) => fc.integer().map((seed) => bytesFrom(length, seed))),
      magic: fc.constantFrom<0 | 1>(0, 1),
      flip: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { freq: 2 }),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((entries) => {
    const bytes = encodeMessages(entries.map((e) => createMessage(e.payload, { magic: e.magic })));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Each entry's offset and whether crc-32 finds its stored CRC right, after the flips.
    const expected: { offset: number; end: number; payloadCrc: number; valid: boolean }[] = [];
    let start = 0;
    for (const entry of entries) {
      const end = start + 4 + view.getInt32(start);
      const crcStart = start + (entry.magic === 1 ? 6 : 5);
      if (entry.flip !== null) {
        const [at, mask] = entry.flip;
        bytes[crcStart + (at % (end - crcStart))]! ^= mask;
      }
      const payloadCrc = reference(bytes.subarray(crcStart + 4, end));
      expected.push({ offset: start, end, payloadCrc, valid: payloadCrc === view.getUint32(crcStart) });
      start = end;
    }
    return { bytes, expected };
  });

describe("the checking decoder's default CRC against crc-32", () => {
  it("skips exactly the messages crc-32 finds corrupt, and yields the others with their payloads", () => {
    fc.assert(
      fc.property(possiblyCorruptSets, ({ bytes, expected }) => {
        const set = decodeMessageSet(bytes, { onCorrupt: "skip" });
        const yielded = set.toArray();
        expect(yielded.map((m) => m.offset)).toEqual(expected.filter((e) => e.valid).map((e) => e.offset));
        expect(set.corruptSkipped).toBe(expected.filter((e) => !e.valid).length);
        for (const m of yielded) expect(reference(m.payload)).toBe(m.crc);
      }),
      { numRuns: 300 },
    );
  });

  it("throws a CrcError at the first message crc-32 finds corrupt, with crc-32's CRC as the actual one", () => {
    fc.assert(
      fc.property(possiblyCorruptSets, ({ bytes, expected }) => {
        const firstCorrupt = expected.find((e) => !e.valid);
        const seen: number[] = [];
        let thrown: unknown;
        try {
          for (const m of decodeMessageSet(bytes)) seen.push(m.offset);
        } catch (error) {
          thrown = error;
        }
        if (firstCorrupt === undefined) {
          expect(thrown).toBeUndefined();
          expect(seen).toEqual(expected.map((e) => e.offset));
          return;
        }
        expect(thrown).toBeInstanceOf(CrcError);
        expect((thrown as CrcError).offset).toBe(firstCorrupt.offset);
        expect((thrown as CrcError).actual).toBe(firstCorrupt.payloadCrc);
        expect(seen).toEqual(expected.slice(0, expected.indexOf(firstCorrupt)).map((e) => e.offset));
      }),
      { numRuns: 300 },
    );
  });
});

const entryCheckers: [string, EntryCrcChecker][] = [
  ["WebAssembly", (bytes, start, end) => wasmEntryCrcChecker()!(bytes, start, end)],
  ["JavaScript", checkEntryCrcsInJs],
];

describe("entry checkers: many entries' CRCs per call", () => {
  it.each(entryCheckers)("%s stops at the first entry crc-32 finds corrupt, or at the first one past one call's window", (_, check) => {
    fc.assert(
      fc.property(possiblyCorruptSets, fc.nat(), ({ bytes, expected }, from) => {
        const first = from % expected.length;
        const start = expected[first]!.offset;
        const stop = expected.slice(first).find((e) => !e.valid || e.end - start > WASM_CRC32_WINDOW);
        expect(check(bytes, start, bytes.length)).toBe(stop === undefined ? bytes.length : stop.offset);
      }),
      { numRuns: 300 },
    );
  });

  it.each(entryCheckers)("%s stops at an entry it cannot read as a message, whatever its length says", (_, check) => {
    for (const { name, bytes, secondAt } of setsWithUnreadableSecondEntry()) {
      expect([name, check(bytes, 0, bytes.length)]).toEqual([name, secondAt]);
    }
    // A range that ends inside an entry: the entries wholly inside it are checked.
    const good = encodeMessages([createMessage("first"), createMessage("second")]);
    expect(check(good, 0, good.length - 1)).toBe(4 + new DataView(good.buffer).getInt32(0));
    expect(check(good, 0, 3)).toBe(0);
  });

  it("the WebAssembly checker refuses a range outside the bytes rather than checking other memory", () => {
    const bytes = encodeMessages([createMessage("x")]);
    expect(() => wasmEntryCrcChecker()!(bytes, 0, bytes.length + 1)).toThrow(RangeError);
  });
});

describe("checked decoding makes no payload view", () => {
  it("a consumer reading offsets, payload lengths and stored CRCs gets every CRC checked without a subarray per message", () => {
    const bytes = encodeMessages(Array.from({ length: 50 }, (_, i) => createMessage(`message ${i}`)));
    const subarray = jest.spyOn(Uint8Array.prototype, "subarray");
    try {
      const seen = [];
      for (const m of decodeMessageSet(bytes)) seen.push([m.offset, m.payloadLength, m.crc]);
      expect(seen).toHaveLength(50);
      expect(seen[49]).toEqual([bytes.length - 20, 10, CRC32.str("message 49") >>> 0]);
      expect(subarray.mock.calls.length).toBeLessThan(5);
    } finally {
      subarray.mockRestore();
    }
  });
});

describe("checked decoding where WebAssembly is unavailable", () => {
  it("checks with the JavaScript walk and judges every message as crc-32 does", () => {
    const saved = globalThis.WebAssembly;
    Reflect.deleteProperty(globalThis, "WebAssembly");
    try {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh codec that looks for WebAssembly again
        const fresh = require("../src/index.ts") as typeof import("../src/index.ts");
        expect(fresh.wasmCrc32()).toBeUndefined();
        fc.assert(
          fc.property(possiblyCorruptSets, ({ bytes, expected }) => {
            const set = fresh.decodeMessageSet(bytes, { onCorrupt: "skip" });
            expect(set.toArray().map((m) => m.offset)).toEqual(expected.filter((e) => e.valid).map((e) => e.offset));
            expect(set.corruptSkipped).toBe(expected.filter((e) => !e.valid).length);
            const firstCorrupt = expected.find((e) => !e.valid);
            if (firstCorrupt !== undefined) {
              expect(() => fresh.decodeMessageSet(bytes).toArray()).toThrow(
                expect.objectContaining({ offset: firstCorrupt.offset, actual: firstCorrupt.payloadCrc }) as Error,
              );
            }
          }),
          { numRuns: 100 },
        );
      });
    } finally {
      globalThis.WebAssembly = saved;
    }
  });
});
