/** The on-disk layout of 0.7 (`<topic>-<partition>/<20 digits>.kafka`), restart and crash recovery. */
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBroker, type Broker } from "@k07/broker";
import { vectorBytes } from "@k07/testing/vectors.ts";
import { concat, hex, rawFetch, rawOffsets, rawProduce, textSet } from "./helpers/bytes.ts";
import { ask } from "./helpers/raw-connection.ts";

let dataDir: string;
let broker: Broker | undefined;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "k07-broker-"));
});
afterEach(async () => {
  await broker?.close();
  broker = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

test("segments are 0.7 log files holding the raw produced bytes", async () => {
  broker = await startBroker({ dataDir, segmentBytes: 20, numPartitions: 2 });
  const a = textSet("first segment");
  const b = textSet("second");
  await ask(broker.port, rawProduce("disk-topic", 1, a), rawProduce("disk-topic", 1, b), rawOffsets("disk-topic", 1, -1, 1));
  expect(readdirSync(dataDir)).toEqual(["disk-topic-1"]);
  const dir = join(dataDir, "disk-topic-1");
  expect(readdirSync(dir).sort()).toEqual(["00000000000000000000.kafka", `${String(a.length).padStart(20, "0")}.kafka`]);
  expect(hex(readFileSync(join(dir, "00000000000000000000.kafka")))).toBe(hex(a));
});

test("after a restart on the same dataDir, fetches return byte-identical data at the same offsets", async () => {
  broker = await startBroker({ dataDir, segmentBytes: 30 });
  const sets = [textSet("one", "two"), textSet("three"), vectorBytes("msg_v0_test_entry")];
  await ask(broker.port, ...sets.map((s) => rawProduce("durable", 0, s)), rawOffsets("durable", 0, -1, 1));
  const [before, offsetsBefore] = await ask(broker.port, rawFetch("durable", 0, 0, 10_000), rawOffsets("durable", 0, -1, 10));
  await broker.close();
  broker = await startBroker({ dataDir, segmentBytes: 30 });
  const [after, offsetsAfter] = await ask(broker.port, rawFetch("durable", 0, 0, 10_000), rawOffsets("durable", 0, -1, 10));
  expect(hex(after!)).toBe(hex(before!));
  expect(hex(offsetsAfter!)).toBe(hex(offsetsBefore!));
  // Appends continue at the old end.
  const [more] = await ask(broker.port, rawProduce("durable", 0, textSet("four")), rawOffsets("durable", 0, -1, 1));
  const end = Number(new DataView(more!.buffer, more!.byteOffset).getBigInt64(6));
  expect(end).toBe(sets.reduce((n, s) => n + s.length, 0) + textSet("four").length);
});

test("a segment torn mid-entry by a crash is cut back to its last whole, CRC-valid entry", async () => {
  broker = await startBroker({ dataDir });
  const whole = textSet("kept one", "kept two");
  await ask(broker.port, rawProduce("torn", 0, concat(whole, textSet("lost"))), rawOffsets("torn", 0, -1, 1));
  await broker.close();
  broker = undefined;
  const file = join(dataDir, "torn-0", "00000000000000000000.kafka");
  truncateSync(file, statSync(file).size - 2);
  broker = await startBroker({ dataDir });
  const [fetch, latest] = await ask(broker.port, rawFetch("torn", 0, 0, 1000), rawOffsets("torn", 0, -1, 1));
  expect(hex(fetch!.subarray(2))).toBe(hex(whole));
  expect(Number(new DataView(latest!.buffer, latest!.byteOffset).getBigInt64(6))).toBe(whole.length);
  expect(statSync(file).size).toBe(whole.length);
});

test("an entry whose CRC does not match (garbage written at a crash) is cut too", async () => {
  const dir = join(dataDir, "garbage-0");
  const whole = textSet("good");
  const bad = textSet("bad!").slice();
  bad[bad.length - 1]! ^= 1;
  mkdirSync(dir);
  writeFileSync(join(dir, "00000000000000000000.kafka"), whole);
  appendFileSync(join(dir, "00000000000000000000.kafka"), bad);
  broker = await startBroker({ dataDir });
  const [fetch] = await ask(broker.port, rawFetch("garbage", 0, 0, 1000));
  expect(hex(fetch!.subarray(2))).toBe(hex(whole));
});
