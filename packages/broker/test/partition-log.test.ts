/** PartitionLog over memory segments with a hand-driven clock: rolling, flushing, reading, offsets and retention. */
import { ErrorCode } from "@k07/codec";
import { PartitionLog, type LogPolicy } from "../src/log/partition-log.ts";
import { MemorySegment, type Segment } from "../src/log/segment.ts";
import { concat, pieceBytes } from "./helpers/bytes.ts";
import { testLogOptions } from "./helpers/log-options.ts";

const policy: LogPolicy = testLogOptions;

/** A log whose new segments are memory segments created at the clock's time; `closed` names the starts of closed segments. */
function makeLog(overrides: Partial<LogPolicy> = {}, clock = { now: 0 }) {
  const closed: string[] = [];
  const newSegment = (start: number): Segment => {
    const segment = new MemorySegment(start, clock.now);
    const close = segment.close.bind(segment);
    segment.close = (remove?: boolean) => {
      closed.push(`${start}${remove === true ? " removed" : ""}`);
      close();
    };
    return segment;
  };
  const log = new PartitionLog("t", 0, [], { ...policy, ...overrides }, newSegment);
  return { log, closed, clock };
}

function bytes(length: number, fill = 1): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

function readBytes(log: PartitionLog, offset: number, maxSize: number): { errorCode: number; bytes: number[]; length: number } {
  const read = log.read(offset, maxSize);
  return { errorCode: read.errorCode, bytes: [...concat(...read.pieces.map(pieceBytes))], length: read.length };
}

describe("appending and flushing", () => {
  test("a new log is one empty segment at offset 0", () => {
    const { log } = makeLog();
    expect([log.startOffset, log.appendEnd, log.visibleEnd]).toEqual([0, 0, 0]);
    expect(log.offsetsBefore(-1, 10, 0)).toEqual([0]);
  });

  test("appended bytes become visible after flushIntervalMessages messages, counted across appends", () => {
    const { log } = makeLog({ flushIntervalMessages: 5 });
    log.append(bytes(10), 2, 1);
    log.append(bytes(10), 2, 1);
    expect([log.appendEnd, log.visibleEnd]).toEqual([20, 0]);
    log.append(bytes(10), 1, 1);
    expect([log.appendEnd, log.visibleEnd]).toEqual([30, 30]);
    // The count starts again after a flush.
    log.append(bytes(10), 4, 1);
    expect(log.visibleEnd).toBe(30);
    log.flush();
    expect(log.visibleEnd).toBe(40);
    log.append(bytes(10), 4, 1);
    expect(log.visibleEnd).toBe(40);
  });

  test("a segment exactly segmentBytes long takes one more append; only a larger one rolls", () => {
    const { log } = makeLog({ segmentBytes: 20 });
    log.append(bytes(10), 1, 1);
    log.append(bytes(10), 1, 1); // now exactly 20
    log.append(bytes(10), 1, 1); // still appended to the first segment, making it 30
    expect(log.offsetsBefore(-1, 10, 0)).toEqual([30, 0]);
    log.append(bytes(10), 1, 1);
    expect(log.offsetsBefore(-1, 10, 0)).toEqual([40, 30, 0]);
  });

  test("a segment rolls before an append once it is older than segmentMs, counted from its first append", () => {
    const { log, clock } = makeLog({ segmentMs: 100 });
    clock.now = 50;
    log.append(bytes(10), 1, 1_000); // first append at 1,000
    log.append(bytes(10), 1, 1_100); // exactly segmentMs old: no roll
    expect(log.offsetsBefore(-1, 10, 0)).toEqual([20, 0]);
    log.append(bytes(10), 1, 1_101);
    expect(log.offsetsBefore(-1, 10, 0)).toEqual([30, 20, 0]);
  });

  test("an empty append does not start a segment's age", () => {
    const { log } = makeLog({ segmentMs: 100 });
    log.append(bytes(0), 0, 0);
    log.append(bytes(10), 1, 150);
    log.append(bytes(10), 1, 200);
    expect(log.offsetsBefore(-1, 10, 0)).toEqual([20, 0]);
  });

  test("a roll flushes the old segment and starts the new one at the append end", () => {
    const { log } = makeLog({ flushIntervalMessages: 100 });
    log.append(bytes(10), 1, 1);
    log.roll();
    expect(log.visibleEnd).toBe(10);
    log.append(bytes(5, 2), 1, 1);
    log.flush();
    expect(readBytes(log, 10, 100)).toEqual({ errorCode: ErrorCode.NoError, bytes: [2, 2, 2, 2, 2], length: 5 });
  });
});

describe("reading", () => {
  test("a read is at most maxSize bytes, within one segment and the visible end", () => {
    const { log } = makeLog({ flushIntervalMessages: 2 });
    log.append(bytes(10, 1), 1, 1);
    log.roll();
    log.append(bytes(10, 2), 1, 1);
    log.append(bytes(10, 3), 1, 1);
    log.append(bytes(10, 4), 1, 1); // not visible
    expect(readBytes(log, 5, 100)).toEqual({ errorCode: ErrorCode.NoError, bytes: [1, 1, 1, 1, 1], length: 5 });
    expect(readBytes(log, 15, 3)).toEqual({ errorCode: ErrorCode.NoError, bytes: [2, 2, 2], length: 3 });
    expect(readBytes(log, 25, 100).length).toBe(5);
    expect(readBytes(log, 10, 0)).toEqual({ errorCode: ErrorCode.NoError, bytes: [], length: 0 });
  });

  test("the visible end reads as empty; before the start or past the visible end is out of range", () => {
    const { log } = makeLog({ segmentBytes: 5, retentionBytes: 0, flushIntervalMessages: 2 });
    log.append(bytes(10), 1, 1);
    log.append(bytes(10), 1, 1);
    log.append(bytes(10), 1, 1);
    expect(log.enforceRetention(2)).toBe(2);
    expect([log.startOffset, log.visibleEnd, log.appendEnd]).toEqual([20, 20, 30]);
    expect(readBytes(log, 20, 100)).toEqual({ errorCode: ErrorCode.NoError, bytes: [], length: 0 });
    expect(readBytes(log, 19, 100).errorCode).toBe(ErrorCode.OffsetOutOfRange);
    expect(readBytes(log, 21, 100).errorCode).toBe(ErrorCode.OffsetOutOfRange);
    expect(readBytes(log, 0, 100).errorCode).toBe(ErrorCode.OffsetOutOfRange);
  });
});

describe("offsetsBefore", () => {
  function threeSegments() {
    const { log, clock } = makeLog();
    clock.now = 100;
    log.append(bytes(10), 1, 110);
    clock.now = 200;
    log.roll();
    log.append(bytes(10), 1, 210);
    clock.now = 300;
    log.roll();
    log.append(bytes(10), 1, 310);
    return log;
  }

  test("latest is the visible end then each segment start, newest first; earliest is the first start", () => {
    const log = threeSegments();
    expect(log.offsetsBefore(-1, 10, 1_000)).toEqual([30, 20, 10, 0]);
    expect(log.offsetsBefore(-1, 2, 1_000)).toEqual([30, 20]);
    expect(log.offsetsBefore(-2, 10, 1_000)).toEqual([0]);
    expect(log.offsetsBefore(-1, 0, 1_000)).toEqual([]);
  });

  test("a time picks the newest segment last modified at or before it; the log end counts as modified now", () => {
    const log = threeSegments();
    expect(log.offsetsBefore(109, 10, 1_000)).toEqual([]);
    expect(log.offsetsBefore(110, 10, 1_000)).toEqual([0]);
    expect(log.offsetsBefore(209, 10, 1_000)).toEqual([0]);
    expect(log.offsetsBefore(210, 10, 1_000)).toEqual([10, 0]);
    expect(log.offsetsBefore(999, 10, 1_000)).toEqual([20, 10, 0]);
    expect(log.offsetsBefore(1_000, 10, 1_000)).toEqual([30, 20, 10, 0]);
    expect(log.offsetsBefore(1_000, 1, 1_000)).toEqual([30]);
  });

  test("an empty last segment adds no end offset", () => {
    const { log } = makeLog();
    log.append(bytes(10), 1, 1);
    log.roll();
    expect(log.offsetsBefore(-1, 10, 5)).toEqual([10, 0]);
    expect(log.offsetsBefore(-2, 10, 5)).toEqual([0]);
  });

  test("unflushed bytes add no end offset", () => {
    const { log } = makeLog({ flushIntervalMessages: 10 });
    log.append(bytes(10), 1, 1);
    expect(log.offsetsBefore(-1, 10, 5)).toEqual([0]);
  });
});

describe("retention", () => {
  test("by size: the oldest segments go while what remains is at least retentionBytes; the active one stays", () => {
    const { log, closed } = makeLog({ segmentBytes: 5, retentionBytes: 20 });
    for (let i = 0; i < 4; i++) log.append(bytes(10), 1, 1); // segments 0, 10, 20, 30
    expect(log.enforceRetention(1)).toBe(2);
    expect(closed).toEqual(["0 removed", "10 removed"]);
    expect(log.startOffset).toBe(20);
    expect(log.enforceRetention(1)).toBe(0);
    const { log: small } = makeLog({ segmentBytes: 5, retentionBytes: 0 });
    small.append(bytes(10), 1, 1);
    expect(small.enforceRetention(1)).toBe(0);
  });

  test("by age: segments last modified more than retentionMs ago go, never the active one", () => {
    const { log, closed } = makeLog({ segmentBytes: 5, retentionMs: 100 });
    log.append(bytes(10), 1, 1_000);
    log.append(bytes(10), 1, 1_050);
    log.append(bytes(10), 1, 1_200);
    expect(log.enforceRetention(1_100)).toBe(0);
    expect(log.enforceRetention(1_101)).toBe(1);
    expect(closed).toEqual(["0 removed"]);
    expect(log.enforceRetention(10_000)).toBe(1);
    expect(log.startOffset).toBe(20);
  });

  test("a limit of 0 deletes every old segment; −1 keeps them", () => {
    const { log: zeroAge } = makeLog({ segmentBytes: 5, retentionMs: 0 });
    zeroAge.append(bytes(10), 1, 1);
    zeroAge.append(bytes(10), 1, 1);
    expect(zeroAge.enforceRetention(1)).toBe(0);
    expect(zeroAge.enforceRetention(2)).toBe(1);
    const { log: zeroSize } = makeLog({ segmentBytes: 5, retentionBytes: 0 });
    zeroSize.append(bytes(10), 1, 1);
    zeroSize.append(bytes(10), 1, 1);
    expect(zeroSize.enforceRetention(1)).toBe(1);
    const { log: forever } = makeLog({ segmentBytes: 5 });
    forever.append(bytes(10), 1, 1);
    forever.append(bytes(10), 1, 1);
    expect(forever.enforceRetention(1e12)).toBe(0);
  });

  test("close closes every segment and removes none", () => {
    const { log, closed } = makeLog({ segmentBytes: 5 });
    log.append(bytes(10), 1, 1);
    log.append(bytes(10), 1, 1);
    log.close();
    expect(closed).toEqual(["0", "10"]);
  });
});
