/** validPrefixLength: how much of a segment torn by a crash is kept, and how it is read to find out. */
import { createGzipMessage, createMessage, createMessageFromString, encodeMessages, pureCrc32 } from "@k07/codec";
import { validPrefixLength } from "../src/log/recovery.ts";
import { concat, int32, textSet } from "./helpers/bytes.ts";

const MiB = 1024 * 1024;
const WINDOW = 8 * MiB;

/** A `read` over `bytes` that records each call and refuses reads past the segment's end. */
function reader(bytes: Uint8Array): { read: (position: number, length: number) => Uint8Array; calls: [number, number][] } {
  const calls: [number, number][] = [];
  return {
    calls,
    read: (position, length) => {
      calls.push([position, length]);
      if (position < 0 || length < 0 || position + length > bytes.length) throw new Error(`read [${position}, +${length}) outside ${bytes.length}`);
      return bytes.subarray(position, position + length);
    },
  };
}

function prefixOf(bytes: Uint8Array): number {
  return validPrefixLength(bytes.length, reader(bytes).read);
}

/** One message set entry with a payload of `size` bytes. */
function entryOf(size: number, fill: number): Uint8Array {
  return encodeMessages([createMessage(new Uint8Array(size).fill(fill))]);
}

test("an empty segment and a segment of whole entries are kept whole", () => {
  expect(prefixOf(new Uint8Array(0))).toBe(0);
  const whole = textSet("one", "two", "three");
  expect(prefixOf(whole)).toBe(whole.length);
});

test("a torn last entry is cut off, whatever is missing of it", () => {
  const whole = textSet("one", "two");
  const last = textSet("three");
  for (const kept of [1, 3, 4, 9, last.length - 1]) expect(prefixOf(concat(whole, last.subarray(0, kept)))).toBe(whole.length);
  expect(prefixOf(last.subarray(0, 5))).toBe(0);
});

test("the segment is cut before the first entry whose CRC does not match, even with whole entries after it", () => {
  const good = textSet("good");
  const bad = textSet("bad").slice();
  bad[bad.length - 1]! ^= 1;
  expect(prefixOf(concat(good, bad, textSet("after")))).toBe(good.length);
  expect(prefixOf(concat(bad, good))).toBe(0);
});

test("an impossible length (garbage written at a crash) ends the valid prefix", () => {
  const good = textSet("good");
  expect(prefixOf(concat(good, int32(0), new Uint8Array(20)))).toBe(good.length);
  expect(prefixOf(concat(int32(-7), good))).toBe(0);
  const magic9 = textSet("unknown magic").slice();
  magic9[4] = 9;
  expect(prefixOf(concat(good, magic9))).toBe(good.length);
});

test("the CRC given is the one that checks the entries", () => {
  const set = textSet("one", "two");
  const checked: number[] = [];
  const crc32 = (bytes: Uint8Array): number => {
    checked.push(bytes.length);
    return 0;
  };
  expect(validPrefixLength(set.length, reader(set).read, crc32)).toBe(0);
  expect(checked.length).toBe(1);
});

test("a CRC function that fails (not a wire error) is thrown, not taken for a torn entry", () => {
  const set = textSet("one");
  const crc32 = (): number => {
    throw new TypeError("hook broke");
  };
  expect(() => validPrefixLength(set.length, reader(set).read, crc32)).toThrow(new TypeError("hook broke"));
});

test("compressed messages are checked by their CRC only, not inflated: a wrapper of bad gzip with a right CRC is kept", () => {
  const wrapper = encodeMessages([createGzipMessage([createMessageFromString("inner")])]).slice();
  // Replace the gzip payload by other bytes and fix the CRC: a decompressing check would fail.
  const payloadStart = 10;
  wrapper.fill(0x55, payloadStart);
  const view = new DataView(wrapper.buffer);
  view.setUint32(6, pureCrc32(wrapper.subarray(payloadStart)));
  const bytes = concat(textSet("before"), wrapper);
  expect(prefixOf(bytes)).toBe(bytes.length);
});

test("a large segment is read in 8 MiB windows, each starting at a whole entry", () => {
  // Eleven entries of 1 MiB + 10 bytes each: a window holds seven whole ones.
  const entries = Array.from({ length: 11 }, (_, i) => entryOf(MiB, i));
  const bytes = concat(...entries);
  const { read, calls } = reader(bytes);
  expect(validPrefixLength(bytes.length, read)).toBe(bytes.length);
  const seven = 7 * entries[0]!.length;
  expect(calls).toEqual([
    [0, WINDOW],
    [seven, bytes.length - seven],
  ]);
});

test("an entry larger than the window is read whole when the file holds it, then windows resume", () => {
  const huge = entryOf(WINDOW + 100, 1);
  const small = textSet("after");
  const tail = concat(...Array.from({ length: 9 }, (_, i) => entryOf(MiB, i)));
  const bytes = concat(small, huge, tail);
  const { read, calls } = reader(bytes);
  expect(validPrefixLength(bytes.length, read)).toBe(bytes.length);
  const afterHuge = small.length + huge.length;
  expect(calls).toEqual([
    [0, WINDOW],
    [small.length, WINDOW],
    [small.length, huge.length],
    [afterHuge, WINDOW],
    [afterHuge + 7 * (MiB + 10), tail.length - 7 * (MiB + 10)],
  ]);
});

test("an entry larger than the window that ends the file is kept", () => {
  const small = textSet("first");
  const huge = entryOf(WINDOW + 100, 1);
  const bytes = concat(small, huge);
  const { read, calls } = reader(bytes);
  expect(validPrefixLength(bytes.length, read)).toBe(bytes.length);
  expect(calls).toEqual([
    [0, WINDOW],
    [small.length, WINDOW],
    [small.length, huge.length],
  ]);
});

test("an entry larger than the window that the file does not hold whole is cut", () => {
  const small = textSet("kept");
  const huge = entryOf(WINDOW + 100, 1);
  const bytes = concat(small, huge.subarray(0, huge.length - 1));
  const { read, calls } = reader(bytes);
  expect(validPrefixLength(bytes.length, read)).toBe(small.length);
  expect(calls).toEqual([
    [0, WINDOW],
    [small.length, WINDOW],
  ]);
});
