/** Segments, one at a time: what a memory or file segment holds, returns and reports (no broker, no sockets). */
import fs, { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSegment, MemorySegment, parseSegmentFileName, segmentFileName } from "../src/log/segment.ts";
import { concat, pieceBytes } from "./helpers/bytes.ts";

/** `length` bytes counting up from `seed` (mod 256), so misplaced bytes show. */
function bytesFrom(seed: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed + i) & 0xff);
}

function lengths(pieces: readonly Uint8Array[]): number[] {
  return pieces.map((p) => p.length);
}

describe("MemorySegment", () => {
  test("an append of 4 KiB or more is kept by reference: a read of it returns that very array", () => {
    const segment = new MemorySegment(0, 1);
    const big = bytesFrom(1, 4096);
    segment.append(big, 2);
    segment.flush();
    expect(segment.read(0, 4096)[0]).toBe(big);
    // Part of it is a view of the same memory, not a copy.
    const part = segment.read(10, 20)[0]!;
    expect(part.buffer).toBe(big.buffer);
    expect([...part]).toEqual([...big.subarray(10, 30)]);
  });

  test("a smaller append is copied into the segment's own chunk", () => {
    const segment = new MemorySegment(0, 1);
    const small = bytesFrom(1, 4095);
    segment.append(small, 2);
    const [piece] = segment.read(0, 4095);
    expect(piece!.buffer).not.toBe(small.buffer);
    expect([...piece!]).toEqual([...small]);
  });

  test("small appends fill one 64 KiB chunk exactly before the next starts; chunks double up to 1 MiB", () => {
    const segment = new MemorySegment(0, 1);
    const KiB = 1024;
    const total = (64 + 128 + 256 + 512 + 1024 + 1024) * KiB;
    const all = bytesFrom(7, total);
    for (let at = 0; at < total; at += 2 * KiB) segment.append(all.subarray(at, at + 2 * KiB), 2);
    expect(segment.size).toBe(total);
    const pieces = segment.read(0, total);
    expect(lengths(pieces)).toEqual([64 * KiB, 128 * KiB, 256 * KiB, 512 * KiB, 1024 * KiB, 1024 * KiB]);
    expect(Buffer.compare(Buffer.from(concat(...pieces)), Buffer.from(all))).toBe(0);
  });

  test("a small append after a large one starts a new chunk and leaves the large piece intact", () => {
    const segment = new MemorySegment(100, 1);
    const a = bytesFrom(1, 10);
    const big = bytesFrom(50, 5000);
    const b = bytesFrom(200, 10);
    const c = bytesFrom(90, 3);
    for (const bytes of [a, big, b, c]) segment.append(bytes, 2);
    const pieces = segment.read(0, segment.size);
    expect(lengths(pieces)).toEqual([10, 5000, 13]);
    expect([...concat(...pieces)]).toEqual([...concat(a, big, b, c)]);
  });

  test("a read returns exactly the bytes asked for, across pieces, and stops at the end of the segment", () => {
    const segment = new MemorySegment(0, 1);
    const a = bytesFrom(1, 5000);
    const b = bytesFrom(3, 6000);
    segment.append(a, 2);
    segment.append(b, 3);
    const whole = concat(a, b);
    const across = segment.read(4990, 20);
    expect(lengths(across)).toEqual([10, 10]);
    expect([...concat(...across)]).toEqual([...whole.subarray(4990, 5010)]);
    const inSecond = segment.read(5001, 100);
    expect(lengths(inSecond)).toEqual([100]);
    expect([...inSecond[0]!]).toEqual([...b.subarray(1, 101)]);
    // Asked for more than there is: what there is, and no empty pieces.
    expect(lengths(segment.read(10_990, 100))).toEqual([10]);
    expect(lengths(segment.read(0, 5000))).toEqual([5000]);
  });

  test("size grows with appends; only a flush makes them count as flushed", () => {
    const segment = new MemorySegment(0, 1);
    segment.append(bytesFrom(0, 10), 2);
    segment.append(bytesFrom(0, 5), 3);
    expect([segment.size, segment.flushedSize]).toEqual([15, 0]);
    segment.flush();
    expect([segment.size, segment.flushedSize]).toEqual([15, 15]);
  });

  test("lastModified is the creation time until the first append, then the last append's; firstAppendTime keeps the first", () => {
    const segment = new MemorySegment(0, 1);
    expect([segment.lastModified, segment.firstAppendTime]).toEqual([1, undefined]);
    segment.append(bytesFrom(0, 1), 2);
    segment.append(bytesFrom(0, 1), 3);
    expect([segment.lastModified, segment.firstAppendTime]).toEqual([3, 2]);
  });

  test("close releases the pieces", () => {
    const segment = new MemorySegment(0, 1);
    segment.append(bytesFrom(0, 5000), 2);
    segment.append(bytesFrom(0, 10), 2);
    segment.close();
    expect(segment.read(0, 10)).toEqual([]);
  });
});

describe("FileSegment", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "k07-segment-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const noUnlink = () => {
    throw new Error("unexpected unlink");
  };

  test("a new file is empty, modified 'now', with no first append yet", () => {
    const segment = new FileSegment(join(dir, "a.kafka"), 40, { fsync: false, unlink: noUnlink, now: 1234 });
    expect([segment.start, segment.size, segment.flushedSize, segment.lastModified, segment.firstAppendTime]).toEqual([40, 0, 0, 1234, undefined]);
    segment.close();
  });

  test("an existing file is all valid and flushed, and dated by its modification time", () => {
    const path = join(dir, "b.kafka");
    writeFileSync(path, bytesFrom(0, 30));
    utimesSync(path, 1_000_000, 1_000_000);
    const segment = new FileSegment(path, 0, { fsync: false, unlink: noUnlink, now: 5 });
    expect([segment.size, segment.flushedSize, segment.lastModified, segment.firstAppendTime]).toEqual([30, 30, 1_000_000_000, 1_000_000_000]);
    segment.append(bytesFrom(1, 1), 7);
    expect([segment.lastModified, segment.firstAppendTime]).toEqual([7, 1_000_000_000]);
    segment.close();
  });

  test("appends go after the existing bytes; reads return the asked range, shorter at the end of the file", () => {
    const path = join(dir, "c.kafka");
    writeFileSync(path, bytesFrom(0, 10));
    const segment = new FileSegment(path, 0, { fsync: false, unlink: noUnlink, now: 1 });
    const more = bytesFrom(100, 20);
    segment.append(more, 2);
    segment.append(bytesFrom(50, 5), 3);
    expect([segment.size, segment.flushedSize, segment.lastModified]).toEqual([35, 10, 3]);
    segment.flush();
    expect(segment.flushedSize).toBe(35);
    const file = readFileSync(path);
    expect([...file]).toEqual([...concat(bytesFrom(0, 10), more, bytesFrom(50, 5))]);
    expect(segment.read(12, 5).map((p) => [...pieceBytes(p)])).toEqual([[...more.subarray(2, 7)]]);
    const tail = segment.readBytes(30, 100);
    expect([...tail]).toEqual([...bytesFrom(50, 5)]);
    expect(segment.readBytes(35, 10).length).toBe(0);
    segment.close();
  });

  test("with fsync, a flush fsyncs the file when something was appended since the last one; without, never", () => {
    const fsyncs = jest.spyOn(fs, "fsyncSync");
    try {
      const synced = new FileSegment(join(dir, "synced.kafka"), 0, { fsync: true, unlink: noUnlink, now: 1 });
      synced.flush();
      expect(fsyncs).toHaveBeenCalledTimes(0);
      synced.append(bytesFrom(0, 3), 2);
      synced.flush();
      expect(fsyncs).toHaveBeenCalledTimes(1);
      synced.flush();
      expect(fsyncs).toHaveBeenCalledTimes(1);
      synced.close();
      const unsynced = new FileSegment(join(dir, "unsynced.kafka"), 0, { fsync: false, unlink: noUnlink, now: 1 });
      unsynced.append(bytesFrom(0, 3), 2);
      unsynced.flush();
      expect(fsyncs).toHaveBeenCalledTimes(1);
      unsynced.close();
    } finally {
      fsyncs.mockRestore();
    }
  });

  test("close closes the file once and keeps it unless asked to remove it; a second close does nothing", () => {
    const removed: string[] = [];
    const realClose = fs.closeSync;
    // Only descriptors above stdio are really closed, whatever a faulty close passes.
    const closes = jest.spyOn(fs, "closeSync").mockImplementation((fd) => (fd > 2 ? realClose(fd) : undefined));
    const keep = new FileSegment(join(dir, "keep.kafka"), 0, { fsync: false, unlink: (p) => removed.push(p), now: 1 });
    try {
      keep.close();
      keep.close();
      expect(closes).toHaveBeenCalledTimes(1);
      expect(closes.mock.calls[0]![0]).toBeGreaterThan(2);
    } finally {
      closes.mockRestore();
    }
    expect(removed).toEqual([]);
    const gone = new FileSegment(join(dir, "gone.kafka"), 0, { fsync: false, unlink: (p) => removed.push(p), now: 1 });
    gone.close(true);
    expect(removed).toEqual([join(dir, "gone.kafka")]);
  });
});

describe("segment file names", () => {
  test("a start offset is written as 20 digits", () => {
    expect(segmentFileName(0)).toBe("00000000000000000000.kafka");
    expect(segmentFileName(1_234_567)).toBe("00000000000001234567.kafka");
  });

  test("only a 20-digit name with the .kafka extension and a safe integer is a segment", () => {
    expect(parseSegmentFileName("00000000000000000000.kafka")).toBe(0);
    expect(parseSegmentFileName("00000000000001234567.kafka")).toBe(1_234_567);
    expect(parseSegmentFileName("09007199254740991.kafka")).toBeUndefined(); // 17 digits
    expect(parseSegmentFileName("000000000000000000001.kafka")).toBeUndefined(); // 21 digits
    expect(parseSegmentFileName("0000000000000000000a.kafka")).toBeUndefined();
    expect(parseSegmentFileName("x00000000000000000000.kafka")).toBeUndefined();
    expect(parseSegmentFileName("00000000000000000000.kafka.deleted")).toBeUndefined();
    expect(parseSegmentFileName("00000000000000000000xkafka")).toBeUndefined();
    expect(parseSegmentFileName("00000000000000000000.log")).toBeUndefined();
    expect(parseSegmentFileName("00009007199254740991.kafka")).toBe(9_007_199_254_740_991);
    expect(parseSegmentFileName("00009007199254740992.kafka")).toBeUndefined(); // past 2^53
  });
});
