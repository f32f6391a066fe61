/**
 * A malformed field reports its true byte position in the frame (the bytes after the size prefix),
 * however deep it lies: decoders read every field from one Reader that starts at the frame's first
 * byte. A field with a length prefix (a string, a message set, a MultiFetch part) is reported at
 * its length prefix: that is the field that promised bytes the frame does not hold.
 */
import {
  FetchRequest,
  MultiFetchRequest,
  MultiProduceRequest,
  ProduceRequest,
  Reader,
  createMessage,
  decodeMultiFetchResponse,
  decodeRequest,
  encodeMessages,
  encodeMultiFetchResponse,
  encodeRequest,
  type Request,
} from "../src/index.ts";
import { malformed } from "./helpers/malformed.ts";

/** The frame of a request, without its size prefix, as a copy that a test may alter. */
function frameOf(request: Request): Uint8Array {
  return encodeRequest(request).slice(4);
}

describe("MultiProduce: the position of a bad field in the second of three parts", () => {
  const first = [createMessage("x")];
  const second = [createMessage("yy"), createMessage("zzz")];
  const request = new MultiProduceRequest([new ProduceRequest("a", 0, first), new ProduceRequest("bb", 1, second), new ProduceRequest("c", 2, [])]);
  // type(2) count(2) | "a": length(2) topic(1) partition(4) setSize(4) set | "bb": length(2) topic(2) partition(4) setSize(4) set | …
  const firstSet = encodeMessages(first).length;
  const secondSet = encodeMessages(second).length;
  const secondPartAt = 4 + 2 + 1 + 4 + 4 + firstSet;
  const secondSetSizeAt = secondPartAt + 2 + 2 + 4;

  test("a negative message-set size is reported at that size field", () => {
    const frame = frameOf(request);
    new DataView(frame.buffer).setInt32(secondSetSizeAt, -5);
    const error = malformed(() => decodeRequest(frame));
    expect(error.position).toBe(secondSetSizeAt);
    expect(error.message).toBe(`Malformed MultiProduce request: negative length -5 at byte ${secondSetSizeAt}`);
  });

  test("a message-set size beyond the end of the frame is reported at that size field", () => {
    const frame = frameOf(request);
    new DataView(frame.buffer).setInt32(secondSetSizeAt, 1000);
    const left = frame.length - (secondSetSizeAt + 4);
    expect(left).toBeGreaterThan(secondSet);
    const error = malformed(() => decodeRequest(frame));
    expect(error.position).toBe(secondSetSizeAt);
    expect(error.message).toBe(`Malformed MultiProduce request: truncated bytes: needs 1000 bytes, ${left} left at byte ${secondSetSizeAt}`);
  });

  test("a topic length beyond the end of the frame is reported at that length, the start of the part", () => {
    const frame = frameOf(request);
    new DataView(frame.buffer).setInt16(secondPartAt, 500);
    expect(malformed(() => decodeRequest(frame)).position).toBe(secondPartAt);
  });
});

describe("MultiFetch: the position of a bad field in a later fetch", () => {
  // type(2) count(2), then each fetch of a two-letter topic: length(2) topic(2) partition(4) offset(8) maxSize(4) = 20 bytes.
  const request = new MultiFetchRequest([new FetchRequest("t1", 0, 0, 100), new FetchRequest("t2", 1, 5, 100), new FetchRequest("t3", 2, 9, 100)]);
  const fetchAt = (i: number) => 4 + 20 * i;

  test("a topic length beyond the end of the frame, in the third fetch, is reported at that length", () => {
    const frame = frameOf(request);
    new DataView(frame.buffer).setInt16(fetchAt(2), 30);
    const error = malformed(() => decodeRequest(frame));
    expect(error.position).toBe(fetchAt(2));
    expect(error.message).toBe(`Malformed MultiFetch request: truncated string: needs 30 bytes, 18 left at byte ${fetchAt(2)}`);
  });

  test("an offset outside the safe integers is reported at that offset", () => {
    const frame = frameOf(request);
    const offsetAt = fetchAt(1) + 2 + 2 + 4;
    new DataView(frame.buffer).setInt32(offsetAt, 0x0020_0000); // 2^53
    expect(malformed(() => decodeRequest(frame)).position).toBe(offsetAt);
  });

  test("a count the frame cannot hold is reported at the count", () => {
    const frame = frameOf(request);
    new DataView(frame.buffer).setInt16(2, 4);
    const error = malformed(() => decodeRequest(frame));
    expect(error.position).toBe(2);
    expect(error.message).toMatch(/fetch count 4 does not fit in 60 bytes/);
  });
});

test("MultiFetch response: a part whose size runs past the frame is reported at that part's size", () => {
  const parts = [
    { errorCode: 0, messageSet: Uint8Array.of(1, 2, 3) },
    { errorCode: 0, messageSet: Uint8Array.of(4, 5, 6, 7) },
  ];
  // outer error(2) | size(4) error(2) set(3) | size(4) error(2) set(4)
  const secondSizeAt = 2 + 6 + 3;
  const frame = encodeMultiFetchResponse(parts).slice(4);
  new DataView(frame.buffer).setInt32(secondSizeAt, 2 + 5);
  const error = malformed(() => decodeMultiFetchResponse(frame, 2));
  expect(error.position).toBe(secondSizeAt);
  expect(error.message).toBe(`Malformed MultiFetch response: truncated bytes: needs 5 bytes, 4 left at byte ${secondSizeAt}`);
});

describe("Reader.count", () => {
  test("reads an int16 (or int32) count and checks that many items of the least size fit in what is left", () => {
    const r = new Reader(Uint8Array.of(0, 2, 1, 1, 1, 1, 1, 1));
    expect(r.count(3, "thing")).toBe(2);
    r.check("things");
    const wide = new Reader(Uint8Array.of(0, 0, 0, 1, 9, 9));
    expect(wide.count(2, "thing", 4)).toBe(1);
    wide.check("things");
  });

  test.each([
    ["more items than the bytes can hold", Uint8Array.of(0, 4, 1, 1, 1, 1, 1, 1), /thing count 4 does not fit in 6 bytes/],
    ["a negative count", Uint8Array.of(0xff, 0xfe, 1, 1), /thing count -2 does not fit in 2 bytes/],
  ])("%s is refused at the count field, which reads as 0", (_, bytes, message) => {
    const r = new Reader(bytes, 0);
    expect(r.count(2, "thing")).toBe(0);
    expect(() => r.check("things")).toThrow(message);
    expect(malformed(() => r.check("things")).position).toBe(0);
  });

  test("a count after an earlier failure reads as 0 and keeps the first failure", () => {
    const r = new Reader(Uint8Array.of(0));
    r.int16();
    expect(r.count(1, "thing")).toBe(0);
    expect(() => r.check("things")).toThrow(/truncated int16/);
  });
});
