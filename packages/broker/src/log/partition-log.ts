import { ErrorCode } from "@k07/codec";
import { indexHolding } from "./search.ts";
import type { LogPiece, Segment } from "./segment.ts";

/** How a partition log rolls, flushes and expires segments (the 0.7.2 `log.*` settings). */
export interface LogPolicy {
  /** Roll to a new segment when the current one is larger than this before an append (`log.file.size`). */
  readonly segmentBytes: number;
  /** Roll when the current segment's first append is older than this (`log.roll.hours`). */
  readonly segmentMs: number;
  /** Make appended data visible after this many messages, inner messages counted (`log.flush.interval`). */
  readonly flushIntervalMessages: number;
  /** Delete old segments while the log is larger than this; −1 = no limit (`log.retention.size`). */
  readonly retentionBytes: number;
  /** Delete segments last modified longer ago than this; −1 = keep forever (`log.retention.hours`). */
  readonly retentionMs: number;
}

/** What a fetch of one partition gets: an error code and the raw log bytes, in pieces (protocol §7): views of memory, or file ranges read as they are sent. */
export interface LogRead {
  readonly errorCode: number;
  readonly pieces: readonly LogPiece[];
  /** Total bytes of the pieces. */
  readonly length: number;
}

const NONE: readonly LogPiece[] = Object.freeze([]);

/**
 * One partition's log: segments in offset order, the last one active. Offsets are byte positions
 * (protocol §6.1). Appends go to the active segment; only flushed bytes are visible (protocol §7.1).
 */
export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  private readonly segments: Segment[];
  private readonly policy: LogPolicy;
  private readonly newSegment: (start: number) => Segment;
  private unflushedMessages = 0;

  constructor(topic: string, partition: number, segments: Segment[], policy: LogPolicy, newSegment: (start: number) => Segment) {
    this.topic = topic;
    this.partition = partition;
    this.policy = policy;
    this.newSegment = newSegment;
    this.segments = segments.length > 0 ? segments : [newSegment(0)];
  }

  /** Offset of the first byte still held. */
  get startOffset(): number {
    return this.segments[0]!.start;
  }

  /** Offset after the last appended byte (flushed or not). */
  get appendEnd(): number {
    const last = this.active;
    return last.start + last.size;
  }

  /** Offset after the last visible byte: last segment start + its flushed size (protocol §7.2). */
  get visibleEnd(): number {
    const last = this.active;
    return last.start + last.flushedSize;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Appends validated, complete entries holding `messageCount` messages. */
  append(bytes: Uint8Array, messageCount: number, now: number): void {
    this.maybeRoll(now);
    if (bytes.length > 0) this.active.append(bytes, now);
    this.unflushedMessages += messageCount;
    if (this.unflushedMessages >= this.policy.flushIntervalMessages) this.flush();
  }

  /** Makes every appended byte visible. */
  flush(): void {
    this.active.flush();
    this.unflushedMessages = 0;
  }

  private maybeRoll(now: number): void {
    const active = this.active;
    const tooBig = active.size > this.policy.segmentBytes;
    const tooOld = active.firstAppendTime !== undefined && now - active.firstAppendTime > this.policy.segmentMs;
    if (tooBig || tooOld) this.roll();
  }

  /** Starts a new segment at the current end (the old one is flushed first, as 0.7 does). */
  roll(): void {
    this.flush();
    this.segments.push(this.newSegment(this.appendEnd));
  }

  /**
   * The raw slice `[offset, min(offset + maxSize, segment end, visible end))` (protocol §7.1, §7.2):
   * error 1 outside `[start, visible end]`, empty at the end. Never spans segments.
   */
  read(offset: number, maxSize: number): LogRead {
    const end = this.visibleEnd;
    if (offset < this.startOffset || offset > end) return { errorCode: ErrorCode.OffsetOutOfRange, pieces: NONE, length: 0 };
    if (offset === end || maxSize === 0) return { errorCode: ErrorCode.NoError, pieces: NONE, length: 0 };
    const segment = this.segmentFor(offset);
    const position = offset - segment.start;
    const length = Math.max(0, Math.min(maxSize, segment.flushedSize - position));
    return { errorCode: ErrorCode.NoError, pieces: length > 0 ? segment.read(position, length) : NONE, length };
  }

  private segmentFor(offset: number): Segment {
    const segments = this.segments;
    return segments[indexHolding(segments.length, (i) => segments[i]!.start, offset)]!;
  }

  /**
   * Offsets before `time` (protocol §6.4): segment starts plus the visible end when the last segment is
   * not empty, newest first; −1 latest, −2 earliest.
   */
  offsetsBefore(time: number, maxNumOffsets: number, now: number): number[] {
    const pairs: [offset: number, time: number][] = this.segments.map((s) => [s.start, s.lastModified]);
    if (this.active.flushedSize > 0) pairs.push([this.visibleEnd, now]);
    let startIndex: number;
    if (time === -1) startIndex = pairs.length - 1;
    else if (time === -2) startIndex = 0;
    else {
      startIndex = -1;
      for (let i = pairs.length - 1; i >= 0; i--) {
        if (pairs[i]![1] <= time) {
          startIndex = i;
          break;
        }
      }
    }
    const offsets: number[] = [];
    for (let i = startIndex; i >= 0 && offsets.length < maxNumOffsets; i--) offsets.push(pairs[i]![0]);
    return offsets;
  }

  /** Deletes whole segments beyond the retention limits; the active segment is never deleted. */
  enforceRetention(now: number): number {
    const { retentionBytes, retentionMs } = this.policy;
    let total = 0;
    for (const s of this.segments) total += s.size;
    let deleted = 0;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const expired = retentionMs >= 0 && now - oldest.lastModified > retentionMs;
      const oversize = retentionBytes >= 0 && total - oldest.size >= retentionBytes;
      if (!expired && !oversize) break;
      this.segments.shift();
      total -= oldest.size;
      oldest.close(true);
      deleted++;
    }
    return deleted;
  }

  close(): void {
    for (const s of this.segments) s.close();
  }
}
