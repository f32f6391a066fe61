/**
 * The h11 triple: every decoder is run (a) on the whole input, (b) fed one byte at a time through
 * the streaming layer, (c) with trailing bytes appended, and must give the same result each time.
 * One helper, shared by every decoder test, so no decoder escapes any of the three.
 */
import { ClientSession, FrameDecoder, type Request, type SessionEvent } from "../../src/index.ts";

/** Bytes appended in case (c) after a frame: not a frame (its size prefix is negative), so they stay unread. */
export const TRAILING_JUNK = Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0x00, 0x01);

/**
 * Bytes appended in case (c) after a message set: the start of an entry that says it is 100 bytes
 * long, of which 2 arrived, which is what a fetch that stops mid-entry looks like (protocol §7.1).
 */
export const PARTIAL_ENTRY = Uint8Array.of(0x00, 0x00, 0x00, 0x64, 0x01, 0x00);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Strips the int32 size prefix, checking it matches the frame. */
function frameContent(frame: Uint8Array): Uint8Array {
  const size = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getInt32(0);
  expect(size).toBe(frame.length - 4);
  return frame.subarray(4);
}

/**
 * Runs `decode` over a whole frame (size prefix included) three ways and returns the result of
 * the first. The byte-at-a-time run goes through FrameDecoder; the trailing-bytes run pushes the
 * frame followed by junk, which the frame decoder must leave buffered and unread.
 *
 * `decode` receives the frame content (after the size prefix). Results are compared with
 * `toEqual` after `normalise` (use it to turn views into plain values).
 */
export function h11TripleFrame<R>(frame: Uint8Array, decode: (content: Uint8Array) => R, normalise: (result: R) => unknown = (r) => r): R {
  const whole = decode(frameContent(frame));
  const expected = normalise(whole);

  const byteWise = new FrameDecoder();
  const seen: Uint8Array[] = [];
  for (let i = 0; i < frame.length; i++) {
    byteWise.push(frame.subarray(i, i + 1));
    const f = byteWise.next();
    if (f !== undefined) seen.push(f);
  }
  expect(seen).toHaveLength(1);
  expect(normalise(decode(seen[0]!))).toEqual(expected);

  // The same, a byte per read into the decoder's own buffers (readBuffer / commitRead, as Node's onread).
  const reading = new FrameDecoder();
  const read: Uint8Array[] = [];
  for (let i = 0; i < frame.length; i++) {
    reading.readBuffer()[0] = frame[i]!;
    reading.commitRead(1);
    const f = reading.next();
    if (f !== undefined) read.push(f);
  }
  expect(read).toHaveLength(1);
  expect(normalise(decode(read[0]!))).toEqual(expected);

  const trailing = new FrameDecoder();
  trailing.push(concat(frame, TRAILING_JUNK));
  const first = trailing.next();
  expect(first).toBeDefined();
  expect(normalise(decode(first!))).toEqual(expected);
  expect(trailing.bufferedBytes).toBe(TRAILING_JUNK.length);
  return whole;
}

/**
 * The triple for a decoder of a byte region that is not a frame (a message set, a request body):
 * whole; every prefix of the input, fed as it grows one byte at a time (`decode` must then either
 * give the `partial` answer or be consistent with the whole); and the input with junk appended
 * (which must give `withTrailing`, by default the same result).
 */
export function h11TripleBytes<R>(
  input: Uint8Array,
  decode: (bytes: Uint8Array) => R,
  options: {
    readonly normalise?: (result: R) => unknown;
    /** Checks the result for a prefix of `length` bytes (byte-at-a-time case). */
    readonly prefix?: (result: R, length: number) => void;
    /** Expected (normalised) result with trailing bytes; defaults to the whole result. */
    readonly withTrailing?: unknown;
    /** Trailing bytes to append; default TRAILING_JUNK. */
    readonly trailing?: Uint8Array;
  } = {},
): R {
  const normalise = options.normalise ?? ((r: R) => r);
  const whole = decode(input);
  const expected = normalise(whole);
  // One byte at a time: a growing buffer, as a reader that re-tries after each arrival sees it.
  const grown = new Uint8Array(input.length);
  for (let n = 0; n < input.length; n++) {
    grown[n] = input[n]!;
    if (options.prefix) options.prefix(decode(grown.subarray(0, n + 1)), n + 1);
  }
  expect(normalise(decode(grown))).toEqual(expected);
  const withJunk = concat(input, options.trailing ?? TRAILING_JUNK);
  expect(normalise(decode(withJunk))).toEqual(options.withTrailing ?? expected);
  return whole;
}

/**
 * The triple for a ClientSession: the response bytes (one or more frames) are received whole, one
 * byte at a time (as chunks, and read into the session's own buffers), and followed by trailing junk that must stay buffered without an event. Every
 * run uses a fresh session that has sent `requests`; the events (normalised) must agree.
 */
export function h11TripleSession<T>(
  requests: readonly { readonly request: Request; readonly token: T }[],
  responseBytes: Uint8Array,
  normalise: (events: SessionEvent<T>[]) => unknown,
): SessionEvent<T>[] {
  const fresh = (): ClientSession<T> => {
    const session = new ClientSession<T>();
    for (const r of requests) session.send(r.request, r.token);
    return session;
  };
  const whole = fresh().receive(responseBytes);
  const expected = normalise(whole);

  const byteWise = fresh();
  const collected: SessionEvent<T>[] = [];
  for (let i = 0; i < responseBytes.length; i++) collected.push(...byteWise.receive(responseBytes.subarray(i, i + 1)));
  expect(normalise(collected)).toEqual(expected);

  // Read into the session's own buffers (readBuffer / receiveRead, as Node's onread): whole reads, then a byte per read.
  for (const step of [responseBytes.length, 1]) {
    const reading = fresh();
    const got: SessionEvent<T>[] = [];
    for (let at = 0; at < responseBytes.length;) {
      const into = reading.readBuffer();
      const n = Math.min(step, into.length, responseBytes.length - at);
      into.set(responseBytes.subarray(at, at + n));
      at += n;
      got.push(...reading.receiveRead(n));
    }
    expect(normalise(got)).toEqual(expected);
  }

  // Junk that starts like a small frame: no event, nothing thrown, the bytes wait for more.
  const partialFrame = Uint8Array.of(0, 0, 0, 10, 1, 2, 3);
  const trailing = fresh();
  expect(normalise(trailing.receive(concat(responseBytes, partialFrame)))).toEqual(expected);
  return whole;
}

/**
 * The triple for a consumer of a chunked byte stream that keeps its own state across chunks (the
 * size-prefix splitter, a meter): `run` gets the chunks and returns what it found. It must find the
 * same whole, one byte at a time, cut in two at every point, and with `trailing` appended (which
 * must give `withTrailing`, by default the same result).
 */
export function h11TripleChunks<R>(
  input: Uint8Array,
  run: (chunks: readonly Uint8Array[]) => R,
  options: { readonly trailing?: Uint8Array; readonly withTrailing?: unknown } = {},
): R {
  const whole = run([input]);
  const bytes: Uint8Array[] = [];
  for (let i = 0; i < input.length; i++) bytes.push(input.subarray(i, i + 1));
  expect(run(bytes)).toEqual(whole);
  for (let cut = 0; cut <= input.length; cut++) expect(run([input.subarray(0, cut), input.subarray(cut)])).toEqual(whole);
  expect(run([concat(input, options.trailing ?? TRAILING_JUNK)])).toEqual(options.withTrailing ?? whole);
  return whole;
}
