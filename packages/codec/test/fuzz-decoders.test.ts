/**
 * Fuzzing the frame-content decoders: for each, 10,000 random inputs and 10,000 mutated valid
 * encodings, every one of which must decode or throw a K07Error (never another exception).
 * fast-check prints the seed of a failure so it can be replayed with `{ seed, path }`.
 */
import fc from "fast-check";
import {
  decodeFetchResponse,
  decodeMessageSet,
  decodeMultiFetchResponse,
  decodeOffsetsResponse,
  decodeRequest,
  encodeFetchResponse,
  encodeMessages,
  encodeMultiFetchResponse,
  encodeOffsetsResponse,
  encodeRequest,
  type Message,
} from "../src/index.ts";
import { fetchResponse, messages, mutated, offsetsList, request } from "./helpers/arbitraries.ts";
import { FUZZ_RUNS, decodesOrThrowsK07Error } from "./helpers/decodes-or-k07.ts";

const RUNS = { numRuns: FUZZ_RUNS };
const randomBytes = fc.uint8Array({ maxLength: 160 });
/** Random bytes behind a valid type or a small int16, to get past the first field. */
const typedRandom = fc.tuple(fc.integer({ min: -1, max: 5 }), randomBytes).map(([type, body]) => {
  const out = new Uint8Array(2 + body.length);
  new DataView(out.buffer).setInt16(0, type);
  out.set(body, 2);
  return out;
});

/** Messages with any attributes byte (so compression bits 1–3 appear) and magics 0, 1 or other. */
const rawMessage: fc.Arbitrary<Message> = fc
  .tuple(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(0 as const, 1 as const), fc.integer({ min: 0, max: 255 }))
  .map(([payload, magic, attributes]) => ({ magic, attributes: magic === 0 ? 0 : attributes, payload }));

function iterateAll(bytes: Uint8Array, verifyCrc: boolean): void {
  const set = decodeMessageSet(bytes, { verifyCrc, maxDecompressedBytes: 1 << 16 });
  for (const m of set) {
    m.text();
    void m.payload;
  }
}

describe("decodeRequest", () => {
  test("random bytes", () => {
    fc.assert(
      fc.property(fc.oneof(randomBytes, typedRandom), (b) => decodesOrThrowsK07Error(() => decodeRequest(b))),
      RUNS,
    );
  });
  test("mutated requests", () => {
    const valid = request.map((r) => encodeRequest(r).subarray(4));
    fc.assert(
      fc.property(mutated(valid), (b) => decodesOrThrowsK07Error(() => decodeRequest(b))),
      RUNS,
    );
  });
});

describe("decodeFetchResponse (and the message set it carries)", () => {
  const decode = (b: Uint8Array) => () => iterateAll(decodeFetchResponse(b).messageSet, true);
  test("random bytes", () => {
    fc.assert(
      fc.property(randomBytes, (b) => decodesOrThrowsK07Error(decode(b))),
      RUNS,
    );
  });
  test("mutated responses", () => {
    const valid = fetchResponse.map((r) => encodeFetchResponse(r).subarray(4));
    fc.assert(
      fc.property(mutated(valid), (b) => decodesOrThrowsK07Error(decode(b))),
      RUNS,
    );
  });
});

describe("decodeMultiFetchResponse", () => {
  const count = fc.integer({ min: 0, max: 6 });
  test("random bytes and counts", () => {
    fc.assert(
      fc.property(randomBytes, count, (b, n) => decodesOrThrowsK07Error(() => decodeMultiFetchResponse(b, n))),
      RUNS,
    );
  });
  test("mutated responses, with the right count or one off", () => {
    const valid = fc
      .array(fetchResponse, { maxLength: 4 })
      .chain((parts) =>
        fc.tuple(
          mutated(fc.constant(encodeMultiFetchResponse(parts).subarray(4))),
          fc.integer({ min: Math.max(0, parts.length - 1), max: parts.length + 1 }),
        ),
      );
    fc.assert(
      fc.property(valid, ([b, n]) => decodesOrThrowsK07Error(() => decodeMultiFetchResponse(b, n))),
      RUNS,
    );
  });
});

describe("decodeOffsetsResponse", () => {
  test("random bytes", () => {
    fc.assert(
      fc.property(randomBytes, (b) => decodesOrThrowsK07Error(() => decodeOffsetsResponse(b))),
      RUNS,
    );
  });
  test("mutated responses", () => {
    const valid = offsetsList.map((o) => encodeOffsetsResponse(o).subarray(4));
    fc.assert(
      fc.property(mutated(valid), (b) => decodesOrThrowsK07Error(() => decodeOffsetsResponse(b))),
      RUNS,
    );
  });
});

describe("decodeMessageSet, iterated to the end (CRC checked and not)", () => {
  test("random bytes", () => {
    fc.assert(
      fc.property(randomBytes, fc.boolean(), (b, crc) => decodesOrThrowsK07Error(() => iterateAll(b, crc))),
      RUNS,
    );
  });
  test("mutated message sets, with wrappers of every codec id", () => {
    const valid = fc.oneof(messages, fc.array(rawMessage, { maxLength: 6 })).map((ms) => encodeMessages(ms));
    fc.assert(
      fc.property(mutated(valid), fc.boolean(), (b, crc) => decodesOrThrowsK07Error(() => iterateAll(b, crc))),
      RUNS,
    );
  });
});
