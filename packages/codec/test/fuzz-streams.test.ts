/**
 * Fuzzing the streaming layer: FrameDecoder and ClientSession fed random and mutated byte streams in
 * random chunks. Each run must end normally or with a K07Error, and must never allocate a buffer
 * larger than the frame limit (a hostile size prefix cannot make the decoder reserve memory).
 */
import fc from "fast-check";
import {
  ClientSession,
  FetchRequest,
  FrameDecoder,
  MultiFetchRequest,
  OffsetRequest,
  encodeFetchResponse,
  encodeMultiFetchResponse,
  encodeOffsetsResponse,
  type Request,
} from "../src/index.ts";
import { fetchResponse, mutated, offsetsList } from "./helpers/arbitraries.ts";
import { FUZZ_RUNS, decodesOrThrowsK07Error } from "./helpers/decodes-or-k07.ts";

const LIMIT = 256;
const RUNS = { numRuns: FUZZ_RUNS };

let largestAllocation = 0;
const OriginalUint8Array = globalThis.Uint8Array;
/** Counts the largest length-constructed Uint8Array while the streaming code runs. */
function watchingAllocations(run: () => void): void {
  largestAllocation = 0;
  globalThis.Uint8Array = new Proxy(OriginalUint8Array, {
    construct(target, args, newTarget) {
      if (typeof args[0] === "number" && args[0] > largestAllocation) largestAllocation = args[0];
      return Reflect.construct(target, args, newTarget === globalThis.Uint8Array ? target : newTarget);
    },
  });
  try {
    run();
  } finally {
    globalThis.Uint8Array = OriginalUint8Array;
  }
}

function chunked(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = 1 + ((sizes[i % Math.max(1, sizes.length)] ?? bytes.length) % 64);
    chunks.push(bytes.slice(at, at + n));
    at += n;
  }
  return chunks;
}

const chunkSizes = fc.array(fc.nat(), { minLength: 1, maxLength: 10 });

function feedFrameDecoder(bytes: Uint8Array, sizes: number[]): void {
  const decoder = new FrameDecoder({ maxFrameBytes: LIMIT });
  const chunks = chunked(bytes, sizes);
  watchingAllocations(() =>
    decodesOrThrowsK07Error(() => {
      for (const c of chunks) {
        decoder.push(c);
        for (let f = decoder.next(); f !== undefined; f = decoder.next()) if (f.length > LIMIT) throw new Error("frame over the limit");
      }
    }),
  );
  if (largestAllocation > LIMIT) throw new Error(`allocated ${largestAllocation} bytes with a ${LIMIT}-byte limit`);
}

/** A stream of frames (as a broker would send) to mutate. */
/** Frames back to back, in a buffer made with the real constructor (allocations by the code under test are what is counted). */
function joinFrames(frames: readonly Uint8Array[]): Uint8Array {
  const out = new OriginalUint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

const frameStream = fc
  .array(fc.oneof(fetchResponse.map(encodeFetchResponse), offsetsList.map(encodeOffsetsResponse)), { maxLength: 4 })
  .map(joinFrames);

describe("FrameDecoder", () => {
  test("random bytes in random chunks", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), chunkSizes, feedFrameDecoder), RUNS);
  });
  test("mutated frame streams in random chunks", () => {
    fc.assert(fc.property(mutated(frameStream), chunkSizes, feedFrameDecoder), RUNS);
  });
});

describe("ClientSession", () => {
  const pending: Request[] = [
    new FetchRequest("t", 0, 0, 100),
    new OffsetRequest("t", 0, -1, 4),
    new MultiFetchRequest([new FetchRequest("t", 0, 0, 100), new FetchRequest("t", 1, 0, 100)]),
    new FetchRequest("t", 1, 0, 100),
  ];
  const responses = fc
    .tuple(fetchResponse, offsetsList, fc.array(fetchResponse, { minLength: 2, maxLength: 2 }), fetchResponse)
    .map(([a, b, c, d]) => {
      return joinFrames([encodeFetchResponse(a), encodeOffsetsResponse(b), encodeMultiFetchResponse(c), encodeFetchResponse(d)]);
    });

  function receiveAll(bytes: Uint8Array, sizes: number[]): void {
    const session = new ClientSession<number>({ maxFrameBytes: LIMIT * 4 });
    pending.forEach((r, i) => session.send(r, i));
    const chunks = chunked(bytes, sizes);
    watchingAllocations(() =>
      decodesOrThrowsK07Error(() => {
        for (const c of chunks) for (const e of session.receive(c)) if (e.token < 0) throw new Error("impossible");
      }),
    );
    if (largestAllocation > LIMIT * 4) throw new Error(`allocated ${largestAllocation} bytes`);
  }

  test("random bytes in random chunks", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), chunkSizes, receiveAll), RUNS);
  });
  test("mutated response streams in random chunks", () => {
    fc.assert(fc.property(mutated(responses), chunkSizes, receiveAll), RUNS);
  });
});
