/**
 * FrameDecoder: chunks of any size in, complete frames out; no copy when a frame lies in one chunk,
 * exactly one when it spans chunks; a bad size prefix refused before any of the frame is buffered.
 */
import fc from "fast-check";
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, FrameTooLargeError, K07Error, MalformedError } from "../src/index.ts";
import { concat as concatBytes } from "@k07/testing/bytes.ts";

function frame(content: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + content.length);
  new DataView(out.buffer).setInt32(0, content.length);
  out.set(content, 4);
  return out;
}

const concat = (parts: readonly Uint8Array[]) => concatBytes(...parts);

function drain(decoder: FrameDecoder): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let f = decoder.next(); f !== undefined; f = decoder.next()) frames.push(f);
  return frames;
}

/** Splits `bytes` at the given cut points (sorted, deduplicated, within range). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.slice(start, p)); // slice: each chunk its own buffer, as a socket delivers them
    start = p;
  }
  return chunks;
}

/**
 * Records the sizes of Uint8Arrays constructed from a length while `run` executes, to prove a
 * decoder did not allocate a buffer for a frame it refused.
 */
function allocationsDuring(run: () => void): number[] {
  const sizes: number[] = [];
  const Original = globalThis.Uint8Array;
  globalThis.Uint8Array = new Proxy(Original, {
    construct(target, args, newTarget) {
      if (typeof args[0] === "number") sizes.push(args[0]);
      return Reflect.construct(target, args, newTarget === globalThis.Uint8Array ? target : newTarget);
    },
  });
  try {
    run();
  } finally {
    globalThis.Uint8Array = Original;
  }
  return sizes;
}

describe("FrameDecoder", () => {
  test("the default limit is the broker's max.socket.request.bytes", () => {
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(104857600);
    expect(new FrameDecoder().maxFrameBytes).toBe(104857600);
  });

  test("returns nothing until a frame is complete, then the frame's content", () => {
    const decoder = new FrameDecoder();
    expect(decoder.next()).toBeUndefined();
    const bytes = frame(Uint8Array.of(7, 8, 9));
    decoder.push(bytes.subarray(0, 5));
    expect(decoder.next()).toBeUndefined();
    expect(decoder.bufferedBytes).toBe(5);
    expect(decoder.atBoundary).toBe(false);
    decoder.push(bytes.subarray(5));
    expect(decoder.next()).toEqual(Uint8Array.of(7, 8, 9));
    expect(decoder.next()).toBeUndefined();
    expect(decoder.atBoundary).toBe(true);
  });

  test("property: any frames, cut into chunks anywhere, come out whole and in order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (contents, cuts) => {
          const stream = concat(contents.map(frame));
          const decoder = new FrameDecoder();
          const out: Uint8Array[] = [];
          for (const chunk of split(stream, cuts)) {
            decoder.push(chunk);
            out.push(...drain(decoder));
          }
          expect(out.map((f) => Array.from(f))).toEqual(contents.map((c) => Array.from(c)));
          expect(decoder.atBoundary).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("a frame inside one chunk is a view of that chunk: no copy", () => {
    const stream = concat([frame(Uint8Array.of(1, 2)), frame(Uint8Array.of(3, 4, 5))]);
    const decoder = new FrameDecoder();
    decoder.push(stream);
    const [a, b] = drain(decoder);
    expect(a!.buffer).toBe(stream.buffer);
    expect(b!.buffer).toBe(stream.buffer);
    expect([a!.byteOffset, b!.byteOffset]).toEqual([4, 10]);
  });

  test("a frame spanning chunks is assembled into one buffer of exactly its size (one copy)", () => {
    const content = Uint8Array.from({ length: 100 }, (_, i) => i);
    const chunks = split(frame(content), [2, 30, 31, 77]);
    const decoder = new FrameDecoder();
    let result: Uint8Array | undefined;
    const sizes = allocationsDuring(() => {
      for (const c of chunks) {
        decoder.push(c);
        result = decoder.next() ?? result;
      }
    });
    expect(result).toEqual(content);
    expect(result!.buffer.byteLength).toBe(100);
    expect(chunks.some((c) => c.buffer === result!.buffer)).toBe(false);
    expect(sizes).toEqual([100]); // the one assembly buffer, nothing else
  });

  test("a size prefix split across chunks is assembled without allocating", () => {
    const bytes = frame(Uint8Array.of(42));
    const decoder = new FrameDecoder();
    let result: Uint8Array | undefined;
    const sizes = allocationsDuring(() => {
      decoder.push(bytes.subarray(0, 1));
      decoder.push(bytes.subarray(1, 3));
      result = decoder.next();
      expect(result).toBeUndefined();
      decoder.push(bytes.subarray(3));
      result = decoder.next();
    });
    expect(result).toEqual(Uint8Array.of(42));
    expect(result!.buffer).toBe(bytes.buffer); // the body was in the last chunk whole: a view
    expect(sizes).toEqual([]);
  });

  describe("bad size prefixes", () => {
    test.each([
      [DEFAULT_MAX_FRAME_BYTES + 1, undefined, FrameTooLargeError],
      [0x7fffffff, undefined, FrameTooLargeError],
      [1001, 1000, FrameTooLargeError],
      [0, undefined, MalformedError],
      [-5, undefined, MalformedError],
    ] as const)("prefix %i (limit %p) is refused at once, without allocating its size", (size, limit, kind) => {
      const decoder = new FrameDecoder(limit === undefined ? {} : { maxFrameBytes: limit });
      const good = frame(Uint8Array.of(1));
      const bad = new Uint8Array(4 + 10);
      new DataView(bad.buffer).setInt32(0, size);
      let error: unknown;
      const sizes = allocationsDuring(() => {
        decoder.push(good);
        decoder.push(bad); // only 10 bytes of the claimed frame have arrived
        expect(decoder.next()).toEqual(Uint8Array.of(1)); // frames before the bad prefix come first
        try {
          decoder.next();
        } catch (e) {
          error = e;
        }
      });
      expect(error).toBeInstanceOf(kind);
      expect(error).toBeInstanceOf(K07Error);
      expect(sizes.filter((n) => n > 64)).toEqual([]);
      expect(decoder.bufferedBytes).toBe(0); // nothing kept
      // The stream cannot be resynchronised: the decoder stays failed and ignores new bytes.
      decoder.push(good);
      expect(() => decoder.next()).toThrow(kind);
      expect(decoder.bufferedBytes).toBe(0);
    });

    test("a prefix exactly at the limit is accepted", () => {
      const decoder = new FrameDecoder({ maxFrameBytes: 3 });
      decoder.push(frame(Uint8Array.of(1, 2, 3)));
      expect(decoder.next()).toEqual(Uint8Array.of(1, 2, 3));
    });

    test("FrameTooLargeError says the size and the limit", () => {
      const decoder = new FrameDecoder({ maxFrameBytes: 10 });
      decoder.push(Uint8Array.of(0, 0, 0, 11));
      expect(() => decoder.next()).toThrow("Frame of 11 bytes exceeds the limit of 10 bytes");
    });
  });

  test("refuses impossible limits and non-byte chunks", () => {
    for (const maxFrameBytes of [0, -1, 1.5, 2 ** 31, NaN]) {
      expect(() => new FrameDecoder({ maxFrameBytes })).toThrow(RangeError);
    }
    expect(() => new FrameDecoder().push([1, 2] as unknown as Uint8Array)).toThrow(TypeError);
  });

  test("the limits 1 and 2^31 − 1 are accepted; a refusal says the range", () => {
    expect(new FrameDecoder({ maxFrameBytes: 1 }).maxFrameBytes).toBe(1);
    expect(new FrameDecoder({ maxFrameBytes: 0x7fff_ffff }).maxFrameBytes).toBe(0x7fff_ffff);
    expect(() => new FrameDecoder({ maxFrameBytes: 0 })).toThrow("maxFrameBytes must be an integer in [1, 2147483647], got 0");
    expect(() => new FrameDecoder().push("x" as unknown as Uint8Array)).toThrow("FrameDecoder.push needs a Uint8Array");
  });

  test("a non-positive size prefix is reported at its stream position", () => {
    const decoder = new FrameDecoder();
    decoder.push(concat([frame(Uint8Array.of(1, 2, 3)), Uint8Array.of(0, 0, 0, 0)]));
    expect(decoder.next()).toEqual(Uint8Array.of(1, 2, 3));
    expect(() => decoder.next()).toThrow("Frame size prefix 0 is not positive at byte 7");
  });

  test("atBoundary: false while pushed bytes are unread or a frame is partial, true once every frame is taken", () => {
    const decoder = new FrameDecoder();
    const bytes = frame(Uint8Array.of(1, 2, 3));
    decoder.push(bytes.subarray(0, 2));
    expect(decoder.atBoundary).toBe(false); // pushed, not yet read
    expect(decoder.next()).toBeUndefined();
    expect(decoder.atBoundary).toBe(false); // half a size prefix
    decoder.push(bytes.subarray(2, 5));
    expect(decoder.next()).toBeUndefined();
    expect(decoder.atBoundary).toBe(false); // half a frame
    decoder.push(bytes.subarray(5));
    expect(decoder.atBoundary).toBe(false);
    expect(decoder.next()).toEqual(Uint8Array.of(1, 2, 3));
    expect(decoder.atBoundary).toBe(true);
  });

  test("empty chunks are ignored", () => {
    const decoder = new FrameDecoder();
    decoder.push(new Uint8Array(0));
    expect(decoder.next()).toBeUndefined();
    expect(decoder.atBoundary).toBe(true);
  });
});

test("a frame announced but not yet sent allocates nothing: its buffer comes only with its last byte", () => {
  const sizes: number[] = [];
  const allocate = (size: number) => {
    sizes.push(size);
    return new Uint8Array(size);
  };
  const decoder = new FrameDecoder({ maxFrameBytes: 100_000_000, allocate });
  const announced = new Uint8Array([0x05, 0xf5, 0xe1, 0x00, 1, 2, 3]); // 100,000,000 bytes promised, 3 sent
  decoder.push(announced);
  expect(decoder.next()).toBeUndefined();
  expect(sizes).toEqual([]);
  const small = new FrameDecoder({ allocate });
  small.push(new Uint8Array([0, 0, 0, 4, 9, 8]));
  expect(small.next()).toBeUndefined();
  small.push(new Uint8Array([7, 6]));
  expect(Array.from(small.next()!)).toEqual([9, 8, 7, 6]);
  expect(sizes).toEqual([4]);
});

test("the allocate option must be a function", () => {
  expect(() => new FrameDecoder({ allocate: 4096 as never })).toThrow(new TypeError("the allocate option must be a function, got number"));
});

describe("reading into the decoder's buffers (readBuffer / commitRead, as Node's onread does)", () => {
  /** Feeds `stream` as a socket would with onread: each read takes at most `readSize` bytes (or what `sizes` says), into readBuffer(). */
  function readAll(decoder: FrameDecoder, stream: Uint8Array, readSizes: (i: number) => number): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let at = 0;
    for (let i = 0; at < stream.length; i++) {
      const into = decoder.readBuffer();
      const n = Math.min(into.length, stream.length - at, Math.max(1, readSizes(i)));
      into.set(stream.subarray(at, at + n));
      at += n;
      decoder.commitRead(n);
      frames.push(...drain(decoder));
    }
    return frames;
  }

  const contents = [Uint8Array.of(1), Uint8Array.from({ length: 300_000 }, (_, i) => i & 0xff), Uint8Array.of(2, 3), new Uint8Array(70_000).fill(9)];
  const stream = concat(contents.map(frame));

  test("whole reads, one byte at a time, and with trailing bytes of a next frame: the same frames", () => {
    for (const sizes of [() => 1 << 30, () => 1, (i: number) => [7, 65_536, 3, 100_000][i % 4]!]) {
      const decoder = new FrameDecoder();
      const frames = readAll(decoder, stream, sizes);
      expect(frames.map((f) => f.length)).toEqual(contents.map((c) => c.length));
      frames.forEach((f, i) => expect(f).toEqual(contents[i]));
      expect(decoder.atBoundary).toBe(true);
    }
    const decoder = new FrameDecoder();
    readAll(decoder, concat([frame(Uint8Array.of(5)), Uint8Array.of(0, 0)]), () => 1 << 30);
    expect([decoder.atBoundary, decoder.bufferedBytes]).toEqual([false, 2]); // half a prefix kept for the next read
  });

  test("property: any frames, read in reads of any sizes, come out whole and in order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 300 }),
        (items, reads, eager) => {
          const decoder = new FrameDecoder({ eagerFrameBytes: eager });
          const frames = readAll(decoder, concat(items.map(frame)), (i) => reads[i % reads.length]!);
          expect(frames.map((f) => Array.from(f))).toEqual(items.map((c) => Array.from(c)));
          expect(decoder.atBoundary).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("once its size is known, the rest of a frame is read straight into its own buffer: no copy, no chunk per read", () => {
    const content = Uint8Array.from({ length: 1_000_000 }, (_, i) => (i * 7) & 0xff);
    const bytes = frame(content);
    const sizes: number[] = [];
    const decoder = new FrameDecoder({ allocate: (size) => (sizes.push(size), new Uint8Array(size)) });
    const scratch = decoder.readBuffer();
    scratch.set(bytes.subarray(0, 65_536));
    decoder.commitRead(65_536);
    expect(decoder.next()).toBeUndefined();
    const rest = decoder.readBuffer();
    expect(rest.length).toBe(1_000_004 - 65_536); // exactly what the frame still needs
    rest.set(bytes.subarray(65_536, 300_000));
    decoder.commitRead(300_000 - 65_536);
    expect(decoder.next()).toBeUndefined();
    const last = decoder.readBuffer();
    expect(last.buffer).toBe(rest.buffer);
    last.set(bytes.subarray(300_000));
    decoder.commitRead(bytes.length - 300_000);
    const result = decoder.next()!;
    expect(result).toEqual(content);
    expect(result.buffer).toBe(rest.buffer);
    // The scratch buffer and the frame's own buffer (the first read's bytes copied once, into it): nothing per later read.
    expect(sizes).toEqual([65_536, 1_000_000]);
  });

  test("a frame over eagerFrameBytes that stalls holds at most twice what it sent; past half, the rest is read into place", () => {
    const sizes: number[] = [];
    const decoder = new FrameDecoder({
      maxFrameBytes: 100_000_000,
      eagerFrameBytes: 1000,
      allocate: (size) => (sizes.push(size), new Uint8Array(size)),
    });
    const into = decoder.readBuffer();
    into.set([0x05, 0xf5, 0xe1, 0x00, 1, 2, 3]); // 100,000,000 bytes promised, 3 sent
    decoder.commitRead(7);
    expect(decoder.next()).toBeUndefined();
    const next = decoder.readBuffer();
    expect(next.length).toBe(65_536); // a read's worth, not the frame
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(200_000);
    // A small frame over the limit: each read offered the scratch buffer while under half of it has
    // come; from half on, exactly what the frame still needs, in the frame's own buffer.
    const small = new FrameDecoder({ eagerFrameBytes: 10 });
    const bytes = frame(Uint8Array.from({ length: 100 }, (_, i) => i));
    const offered: number[] = [];
    let at = 0;
    let last: Uint8Array | undefined;
    let result: Uint8Array | undefined;
    while (at < bytes.length) {
      last = small.readBuffer();
      offered.push(last.length);
      const n = Math.min(20, last.length, bytes.length - at);
      last.set(bytes.subarray(at, at + n));
      at += n;
      small.commitRead(n);
      result = small.next() ?? result;
    }
    expect(result).toEqual(bytes.subarray(4));
    expect(offered).toEqual([65_536, 65_536, 65_536, 44, 24, 4]);
    expect(result!.buffer).toBe(last!.buffer); // the last reads went into the frame itself
  });

  test("frames that lie within one read are views of the buffer it went into (no copy); the next read gets a new one", () => {
    const sizes: number[] = [];
    const decoder = new FrameDecoder({ allocate: (size) => (sizes.push(size), new Uint8Array(size)) });
    const first = decoder.readBuffer();
    const stream = concat([frame(Uint8Array.of(1, 2)), frame(Uint8Array.of(3)), Uint8Array.of(0, 0)]);
    first.set(stream);
    decoder.commitRead(stream.length);
    const [a, b] = drain(decoder);
    expect([a!.buffer, b!.buffer]).toEqual([first.buffer, first.buffer]);
    const second = decoder.readBuffer();
    expect(second.buffer).not.toBe(first.buffer); // the views above keep theirs
    second.set([0, 1, 9]);
    decoder.commitRead(3);
    expect(drain(decoder)).toEqual([Uint8Array.of(9)]);
    expect([a, b]).toEqual([Uint8Array.of(1, 2), Uint8Array.of(3)]);
    // A frame was handed out of the second too: the next read gets a third.
    expect(decoder.readBuffer()).not.toBe(second);
    expect(sizes).toEqual([65_536, 65_536, 65_536]);
  });

  test("a buffer that only held a frame's start is read into again once that start is in the frame's own buffer", () => {
    const decoder = new FrameDecoder();
    const first = decoder.readBuffer();
    const bytes = frame(new Uint8Array(200_000).fill(5));
    first.set(bytes.subarray(0, 1000));
    decoder.commitRead(1000);
    expect(decoder.next()).toBeUndefined();
    const rest = decoder.readBuffer();
    rest.set(bytes.subarray(1000));
    decoder.commitRead(rest.length);
    expect(decoder.next()).toEqual(bytes.subarray(4));
    expect(decoder.readBuffer()).toBe(first);
  });

  test("bytes pushed after a frame began are taken before any read into place", () => {
    const decoder = new FrameDecoder();
    const bytes = frame(Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff));
    decoder.push(bytes.subarray(0, 300));
    expect(decoder.next()).toBeUndefined();
    decoder.push(bytes.slice(300, 600)); // not taken yet: the next read must not land before them
    const into = decoder.readBuffer();
    into.set(bytes.subarray(600));
    decoder.commitRead(bytes.length - 600);
    expect(drain(decoder)).toEqual([bytes.subarray(4)]);
  });

  test("an error after frames read into place names its true stream position", () => {
    const decoder = new FrameDecoder();
    const stream = concat([frame(new Uint8Array(100_000)), Uint8Array.of(0, 0, 0, 0)]);
    readAll(decoder, stream.subarray(0, 100_004), () => 30_000);
    const into = decoder.readBuffer();
    into.set(stream.subarray(100_004));
    decoder.commitRead(4);
    expect(() => decoder.next()).toThrow(new MalformedError("Frame size prefix 0 is not positive", 100_004));
  });

  test("commitRead refuses a count the last buffer could not hold; after a bad prefix the error comes after the frames before it", () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 10 });
    expect(() => decoder.commitRead(1)).toThrow(new RangeError("commitRead(n) needs n within the last readBuffer(), got 1"));
    const into = decoder.readBuffer();
    expect(() => decoder.commitRead(into.length + 1)).toThrow(RangeError);
    expect(() => decoder.commitRead(-1)).toThrow(RangeError);
    expect(() => new FrameDecoder({ eagerFrameBytes: -1 })).toThrow(new RangeError("eagerFrameBytes must be a non-negative integer, got -1"));
    const stream = concat([frame(Uint8Array.of(4)), frame(new Uint8Array(11))]);
    into.set(stream);
    decoder.commitRead(stream.length);
    expect(decoder.next()).toEqual(Uint8Array.of(4));
    expect(() => decoder.next()).toThrow(FrameTooLargeError);
  });
});

test("readBuffer before a completed frame was taken still offers room, and the frame comes first", () => {
  const decoder = new FrameDecoder();
  const bytes = frame(new Uint8Array(100_000).fill(3));
  const first = decoder.readBuffer();
  first.set(bytes.subarray(0, 50_000));
  decoder.commitRead(50_000);
  expect(decoder.next()).toBeUndefined();
  const rest = decoder.readBuffer();
  rest.set(bytes.subarray(50_000));
  decoder.commitRead(rest.length);
  // Not taken yet: the next read must not be offered an empty buffer.
  const more = decoder.readBuffer();
  expect(more.length).toBeGreaterThan(0);
  const next = frame(Uint8Array.of(7));
  more.set(next);
  decoder.commitRead(next.length);
  expect(drain(decoder).map((f) => f.length)).toEqual([100_000, 1]);
});

test("a frame over eagerFrameBytes read a few bytes at a time costs about what was read, not a read's worth of buffer per read", () => {
  // A slow link (or a peer that trickles bytes) brings a large response in many small reads: each
  // one must hold only the bytes it brought, or 1,000 reads of 10 bytes would hold 64 MiB.
  const sizes: number[] = [];
  const decoder = new FrameDecoder({ allocate: (size) => (sizes.push(size), new Uint8Array(size)) });
  const into = decoder.readBuffer();
  new DataView(into.buffer, into.byteOffset).setInt32(0, 10_000_000); // over the default eagerFrameBytes (4 MiB)
  decoder.commitRead(4);
  expect(decoder.next()).toBeUndefined();
  for (let i = 0; i < 1000; i++) {
    decoder.readBuffer().fill(i & 0xff, 0, 10);
    decoder.commitRead(10);
    expect(decoder.next()).toBeUndefined();
  }
  expect(decoder.bufferedBytes).toBe(4 + 10_000);
  expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(65_536 + 2 * (4 + 10_000));
});

test("commitRead counts only bytes of a readBuffer() not yet committed: a second commitRead, or one after push, is a RangeError", () => {
  const refusal = new RangeError("commitRead(n) needs n within the last readBuffer(), got 3");
  // Between frames (the scratch buffer) and inside a frame read in place.
  for (const started of [Uint8Array.of(), Uint8Array.of(0, 0, 0, 100, 1, 2)]) {
    const decoder = new FrameDecoder();
    decoder.push(started);
    expect(drain(decoder)).toEqual([]);
    decoder.readBuffer().set([7, 8, 9]);
    decoder.commitRead(3);
    // The same three bytes, again: they were not read twice.
    expect(() => decoder.commitRead(3)).toThrow(refusal);
    decoder.readBuffer();
    decoder.push(Uint8Array.of(5, 5, 5));
    expect(() => decoder.commitRead(3)).toThrow(refusal);
    expect(decoder.bufferedBytes).toBe(started.length + 6);
  }
});
