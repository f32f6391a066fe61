/** LogManager without a broker: partition counts, log creation, and loading 0.7's on-disk layout. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode } from "@k07/codec";
import { LogManager } from "../src/log/log-manager.ts";
import { segmentFileName } from "../src/log/segment.ts";
import { concat, pieceBytes, textSet } from "./helpers/bytes.ts";
import { testLogOptions } from "./helpers/log-options.ts";

const base = testLogOptions;

function readAll(logs: LogManager, topic: string, partition: number, offset = 0): number[] {
  const read = logs.get(topic, partition)!.read(offset, 1_000_000);
  expect(read.errorCode).toBe(ErrorCode.NoError);
  return [...concat(...read.pieces.map(pieceBytes))];
}

describe("in memory", () => {
  test("a topic has num.partitions partitions unless topicPartitions names it", () => {
    const logs = new LogManager({ ...base, topicPartitions: { wide: 8, narrow: 1 } });
    expect(logs.partitionCount("wide")).toBe(8);
    expect(logs.partitionCount("narrow")).toBe(1);
    expect(logs.partitionCount("other")).toBe(2);
    expect(logs.partitionCount("toString")).toBe(2);
  });

  test("logs are created on first use; onTopicCreated hears of each new topic once", () => {
    const logs = new LogManager(base);
    const created: string[] = [];
    logs.onTopicCreated = (topic) => created.push(topic);
    expect(logs.get("a", 1)).toBeUndefined();
    const a1 = logs.getOrCreate("a", 1);
    expect(logs.getOrCreate("a", 1)).toBe(a1);
    expect(logs.get("a", 1)).toBe(a1);
    expect(logs.get("a", 0)).toBeUndefined();
    logs.getOrCreate("a", 0);
    logs.getOrCreate("b", 0);
    expect(created).toEqual(["a", "b"]);
    expect(logs.topics()).toEqual(["a", "b"]);
    expect([...logs.all()].map((log) => `${log.topic}-${log.partition}`)).toEqual(["a-0", "a-1", "b-0"]);
  });

  test("all() skips partitions without a log; flushAll makes every log's appends visible", () => {
    const logs = new LogManager({ ...base, flushIntervalMessages: 100 });
    const log = logs.getOrCreate("gap", 1);
    log.append(textSet("x"), 1, 1);
    expect(log.visibleEnd).toBe(0);
    logs.flushAll();
    expect(log.visibleEnd).toBe(textSet("x").length);
    expect([...logs.all()]).toEqual([log]);
  });

  test("enforceRetention applies the clock's time to every log", () => {
    let now = 1_000;
    const logs = new LogManager({ ...base, now: () => now, segmentBytes: 1, retentionMs: 100 });
    const log = logs.getOrCreate("old", 0);
    log.append(textSet("a"), 1, 1_000);
    log.append(textSet("b"), 1, 1_000);
    now = 1_100;
    logs.enforceRetention();
    expect(log.startOffset).toBe(0);
    now = 1_101;
    logs.enforceRetention();
    expect(log.startOffset).toBe(textSet("a").length);
  });

  test("a new memory segment is dated by the clock", () => {
    const logs = new LogManager({ ...base, now: () => 777 });
    expect(logs.getOrCreate("t", 0).offsetsBefore(777, 10, 800)).toEqual([0]);
    expect(logs.getOrCreate("t", 1).offsetsBefore(776, 10, 800)).toEqual([]);
  });

  test("close flushes every log, then forgets them", () => {
    const logs = new LogManager({ ...base, flushIntervalMessages: 100 });
    const log = logs.getOrCreate("t", 0);
    log.append(textSet("x"), 1, 1);
    logs.close();
    expect(log.visibleEnd).toBe(textSet("x").length);
    expect(logs.topics()).toEqual([]);
    expect(logs.get("t", 0)).toBeUndefined();
    // Their memory is released: a log kept by a caller holds no bytes any more.
    expect(concat(...log.read(0, 100).pieces.map(pieceBytes)).length).toBe(0);
  });
});

describe("on disk", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "k07-logs-"));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  function writeSegment(folder: string, start: number, bytes: Uint8Array): string {
    mkdirSync(join(dataDir, folder), { recursive: true });
    const path = join(dataDir, folder, segmentFileName(start));
    writeFileSync(path, bytes);
    return path;
  }

  test("a missing dataDir is created; a new log gets a <topic>-<partition> folder with its first segment file", () => {
    const dir = join(dataDir, "nested", "logs");
    const logs = new LogManager({ ...base, dataDir: dir });
    expect(existsSync(dir)).toBe(true);
    logs.getOrCreate("fresh", 1).append(textSet("x"), 1, 1);
    logs.close();
    expect(readdirSync(join(dir, "fresh-1"))).toEqual([segmentFileName(0)]);
    expect([...readFileSync(join(dir, "fresh-1", segmentFileName(0)))]).toEqual([...textSet("x")]);
  });

  test("segments load in offset order, whatever order the directory lists them in", () => {
    const sets = [textSet("zero"), textSet("one"), textSet("two"), textSet("three"), textSet("four")];
    const starts: number[] = [];
    let start = 0;
    for (const set of sets) {
      starts.push(start);
      start += set.length;
    }
    // Files written newest first, and other files beside them ignored.
    for (let i = sets.length - 1; i >= 0; i--) writeSegment("ordered-0", starts[i]!, sets[i]!);
    writeFileSync(join(dataDir, "ordered-0", "notes.txt"), "not a segment");
    const logs = new LogManager({ ...base, dataDir });
    const log = logs.get("ordered", 0)!;
    expect([log.startOffset, log.visibleEnd]).toEqual([0, start]);
    expect(log.offsetsBefore(-1, 100, 2_000)).toEqual([start, ...starts.slice().reverse()]);
    for (let i = 0; i < sets.length; i++) expect(readAll(logs, "ordered", 0, starts[i])).toEqual([...sets[i]!]);
    logs.close();
  });

  test("starts are compared as numbers: 9, 10 and 100 load in that order", () => {
    writeSegment("numeric-0", 100, textSet("last"));
    writeSegment("numeric-0", 10, new Uint8Array(0));
    writeSegment("numeric-0", 9, new Uint8Array(1));
    const logs = new LogManager({ ...base, dataDir });
    expect(logs.get("numeric", 0)!.offsetsBefore(-1, 10, 2_000)).toEqual([100 + textSet("last").length, 100, 10, 9]);
    logs.close();
  });

  test("only the last segment is recovered: it is cut to its valid prefix, earlier ones are left as they are", () => {
    const whole = textSet("kept");
    const torn = concat(whole, textSet("torn").subarray(0, 7));
    const first = writeSegment("cut-0", 0, torn);
    const last = writeSegment("cut-0", 100, torn);
    const logs = new LogManager({ ...base, dataDir });
    expect(statSync(first).size).toBe(torn.length);
    expect(statSync(last).size).toBe(whole.length);
    expect(logs.get("cut", 0)!.appendEnd).toBe(100 + whole.length);
    logs.close();
  });

  test("a valid last segment is not rewritten", () => {
    const path = writeSegment("valid-0", 0, textSet("fine"));
    const before = statSync(path).mtimeMs;
    const logs = new LogManager({ ...base, dataDir });
    logs.close();
    expect(statSync(path).mtimeMs).toBe(before);
    expect(statSync(path).size).toBe(textSet("fine").length);
  });

  test("the CRC function given checks the last segment", () => {
    writeSegment("crc-0", 0, textSet("checked"));
    let calls = 0;
    const logs = new LogManager({
      ...base,
      dataDir,
      crc32: () => {
        calls++;
        return 0;
      },
    });
    expect(calls).toBe(1);
    expect(logs.get("crc", 0)!.appendEnd).toBe(0);
    logs.close();
  });

  test("every partition folder of a topic is loaded; an empty one gives an empty log", () => {
    writeSegment("multi-0", 0, textSet("p0"));
    writeSegment("multi-1", 0, textSet("p1"));
    mkdirSync(join(dataDir, "multi-3"));
    const logs = new LogManager({ ...base, dataDir, numPartitions: 4 });
    expect(readAll(logs, "multi", 0)).toEqual([...textSet("p0")]);
    expect(readAll(logs, "multi", 1)).toEqual([...textSet("p1")]);
    expect(logs.get("multi", 2)).toBeUndefined();
    expect(logs.get("multi", 3)!.appendEnd).toBe(0);
    expect(logs.topics()).toEqual(["multi"]);
    logs.close();
    expect(readdirSync(join(dataDir, "multi-3"))).toEqual([segmentFileName(0)]);
  });

  test("files and folders that are not <legal topic>-<partition> are ignored", () => {
    const set = textSet("x");
    for (const name of ["-0", "nodash", "t-", "t-01", "t-1.0", "t-1.5", "t-+1", "t- 1", "t-1e0", "t-x", "..-0", "tab\ttopic-0"]) {
      mkdirSync(join(dataDir, name), { recursive: true });
      writeFileSync(join(dataDir, name, segmentFileName(0)), set);
    }
    writeFileSync(join(dataDir, "file-0"), set);
    writeSegment("ok-0", 0, set);
    writeSegment("dash-ed-2", 0, set);
    const logs = new LogManager({ ...base, dataDir });
    expect(logs.topics().sort()).toEqual(["dash-ed", "ok"]);
    expect(logs.get("dash-ed", 2)!.appendEnd).toBe(set.length);
    expect(logs.get("t", 1)).toBeUndefined();
    logs.close();
  });

  test("retention removes old segment files; the kept ones stay", () => {
    const logs = new LogManager({ ...base, dataDir, segmentBytes: 1, retentionBytes: 1 });
    const log = logs.getOrCreate("old", 0);
    log.append(textSet("a"), 1, 1);
    log.append(textSet("b"), 1, 1);
    logs.enforceRetention();
    expect(readdirSync(join(dataDir, "old-0"))).toEqual([segmentFileName(textSet("a").length)]);
    logs.close();
  });

  test("retention of a segment whose file is already gone (removed by hand) goes on", () => {
    const logs = new LogManager({ ...base, dataDir, segmentBytes: 1, retentionBytes: 1 });
    const log = logs.getOrCreate("gone", 0);
    log.append(textSet("a"), 1, 1);
    log.append(textSet("b"), 1, 1);
    rmSync(join(dataDir, "gone-0", segmentFileName(0)));
    expect(() => logs.enforceRetention()).not.toThrow();
    expect(log.startOffset).toBe(textSet("a").length);
    logs.close();
  });

  test("segment files are dated by the clock when created", () => {
    const logs = new LogManager({ ...base, dataDir, now: () => 4_242 });
    expect(logs.getOrCreate("dated", 0).offsetsBefore(4_242, 10, 5_000)).toEqual([0]);
    expect(logs.get("dated", 0)!.offsetsBefore(4_241, 10, 5_000)).toEqual([]);
    logs.close();
  });

  test("a gap in the segment files (a short segment before the next) reads as empty, not as the next segment's bytes", () => {
    writeSegment("gap-0", 0, textSet("short"));
    writeSegment("gap-0", 100, textSet("next"));
    const logs = new LogManager({ ...base, dataDir });
    const read = logs.get("gap", 0)!.read(textSet("short").length + 5, 1_000);
    expect([read.errorCode, read.length, read.pieces.length]).toEqual([ErrorCode.NoError, 0, 0]);
    expect(readAll(logs, "gap", 0, 100)).toEqual([...textSet("next")]);
    logs.close();
  });
});
