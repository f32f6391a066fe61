/** Every `k07` subcommand through a real child process against the embedded broker. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBroker, type Broker } from "@k07/broker";
import { encodeMessages, createMessageFromString, createGzipMessage } from "@k07/codec";
import { ensureBuilt, k07, k07Bin, startCommand } from "./run-cli.ts";
import { describeWithZooKeeper } from "@k07/testing/zookeeper-harness.ts";
import { ZooKeeperSession } from "@k07/zookeeper";

let broker: Broker;
let dataDir: string;
beforeAll(async () => {
  ensureBuilt();
  dataDir = mkdtempSync(join(tmpdir(), "k07-cli-"));
  broker = await startBroker({ dataDir, numPartitions: 2 });
});
afterAll(async () => {
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test("produce reads one message per line from stdin; consume prints them back with a format", async () => {
  const produced = await k07(["produce", "-b", broker.address, "-t", "lines", "-p", "1", "--confirm"], "hello\nworld\nthird line\n");
  expect(produced.status).toBe(0);
  expect(produced.stderr).toMatch(/produced 3 message\(s\), 20 bytes, to lines\/1 \(confirmed\)/);
  const consumed = await k07(["consume", "-b", broker.address, "-t", "lines", "-p", "1", "-f", "%t/%p %o->%n %S %c: %s\\n"]);
  expect(consumed.status).toBe(0);
  expect(consumed.stdout).toBe("lines/1 0->15 5 none: hello\nlines/1 15->30 5 none: world\nlines/1 30->50 10 none: third line\n");
});

test("consume starts at an offset or the end, and stops after --count", async () => {
  await k07(["produce", "-b", broker.address, "-t", "counted", "-p", "0", "--confirm"], "a\nb\nc\nd\n");
  expect((await k07(["consume", "-b", broker.address, "-t", "counted", "-o", "11", "-c", "2"])).stdout).toBe("b\nc\n");
  expect((await k07(["consume", "-b", broker.address, "-t", "counted", "-o", "end"])).stdout).toBe("");
});

test("produce with gzip and a custom delimiter; messages come back decompressed", async () => {
  const produced = await k07(["produce", "-b", broker.address, "-t", "zipped", "-p", "0", "-z", "gzip", "-D", ",", "--confirm"], "x,y,z");
  expect(produced.status).toBe(0);
  const consumed = await k07(["consume", "-b", broker.address, "-t", "zipped", "-f", "%s@%o "]);
  expect(consumed.stdout).toMatch(/^x@0 y@0 z@0 $/);
});

test("produce refuses an input line longer than the broker's max.message.size instead of buffering it", async () => {
  const result = await k07(["produce", "-b", broker.address, "-t", "long-line"], "x".repeat(1_000_001));
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/more than 1000000 bytes in the input/);
  // Lines split across stdin chunks still arrive whole.
  const lines = Array.from({ length: 3 }, (_, i) => String(i).repeat(300_000));
  expect((await k07(["produce", "-b", broker.address, "-t", "long-line", "-p", "0", "--confirm"], lines.join("\n") + "\n")).status).toBe(0);
  const back = await k07(["consume", "-b", broker.address, "-t", "long-line", "-f", "%S\n"]);
  expect(back.stdout).toBe("300000\n300000\n300000\n");
});

test("offsets lists segment boundaries and the log end, newest first", async () => {
  await k07(["produce", "-b", broker.address, "-t", "offs", "-p", "0", "--confirm"], "one\n");
  const latest = await k07(["offsets", "-b", broker.address, "-t", "offs", "--max", "5"]);
  expect(latest.stdout).toBe("13\n0\n");
  const earliest = await k07(["offsets", "-b", broker.address, "-t", "offs", "--time", "earliest"]);
  expect(earliest.stdout).toBe("0\n");
});

test("dump lists the entries of a segment file the broker wrote, with CRC validity", async () => {
  await k07(["produce", "-b", broker.address, "-t", "dumped", "-p", "0", "--confirm"], "first\nsecond\n");
  const file = join(dataDir, "dumped-0", "00000000000000000000.kafka");
  const result = await k07(["dump", file]);
  expect(result.status).toBe(0);
  expect(result.stdout).toContain("offset: 0 size: 11 magic: 1 compression: none crc:");
  expect(result.stdout).toContain("offset: 15 size: 12 magic: 1 compression: none");
  expect(result.stderr).toContain("2 entries, 0 invalid");
});

test("dump flags a corrupt entry and a torn tail, and exits 1", async () => {
  const dir = mkdtempSync(join(tmpdir(), "k07-dump-"));
  const good = encodeMessages([createMessageFromString("ok")]);
  const bad = encodeMessages([createMessageFromString("bad")]);
  bad[bad.length - 1]! ^= 1;
  const wrapper = encodeMessages([createGzipMessage([createMessageFromString("in"), createMessageFromString("side")])]);
  const file = join(dir, "00000000000000000100.kafka");
  writeFileSync(file, Buffer.concat([good, bad, wrapper, good.subarray(0, 5)]));
  const result = await k07(["dump", "--deep", file]);
  expect(result.status).toBe(1);
  expect(result.stdout).toContain("offset: 100 size: 8 magic: 1 compression: none");
  expect(result.stdout).toMatch(/offset: 112 .* valid: false/);
  expect(result.stdout).toContain("compression: gzip");
  expect(result.stdout).toContain("  inner in wrapper at 125");
  expect(result.stdout).toMatch(/invalid: 5 trailing bytes/);
  rmSync(dir, { recursive: true, force: true });
});

test("errors are one clear line with a non-zero status; --verbose adds the stack", async () => {
  const refused = await k07(["offsets", "-b", "127.0.0.1:1", "-t", "x"]);
  expect(refused.status).toBe(1);
  expect(refused.stderr.trim().split("\n")).toHaveLength(1);
  expect(refused.stderr).toMatch(/^k07: ConnectionClosedError: Cannot connect to 127\.0\.0\.1:1/);
  const bad = await k07(["consume", "-b", "host:port", "-t", "x"]);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/expected host:port/);
  const verbose = await k07(["offsets", "-b", "127.0.0.1:1", "-t", "x", "--verbose"]);
  expect(verbose.stderr).toMatch(/\n\s+at /);
  const usage = await k07(["consume", "--help"]);
  expect(usage.status).toBe(0);
  expect(usage.stdout).toContain("--offset <where>");
});

test("k07 broker starts a broker, prints where it listens, and stops on SIGTERM", async () => {
  const running = await startCommand(k07Bin, ["broker", "--port", "0"]);
  const produced = await k07(["produce", "-b", running.address, "-t", "via-cli-broker", "--confirm"], "x\n");
  expect(produced.status).toBe(0);
  expect((await running.stop()).status).toBe(0);
});

describeWithZooKeeper("k07 with a ZooKeeper cluster", (server) => {
  const brokers: Broker[] = [];
  afterAll(async () => {
    for (const b of brokers) await b.close();
  });

  test("produce --zookeeper with keys lands where Java would; brokers lists the cluster", async () => {
    brokers.push(await startBroker({ zookeeper: server().connectString, brokerId: 1, topicPartitions: { keyed: 2 } }));
    brokers.push(await startBroker({ zookeeper: server().connectString, brokerId: 2, topicPartitions: { keyed: 3 } }));
    // Create the topic on both brokers first (a first produce registers it), as in the run with real 0.7.2 brokers (protocol §9.3).
    for (const b of brokers) {
      const first = await k07(["produce", "-b", b.address, "-t", "keyed", "-p", "0", "--confirm"], "init\n");
      expect(first.status).toBe(0);
    }
    const zk = await ZooKeeperSession.connect(server().connectString);
    for (let i = 0; i < 200 && (await zk.children("/brokers/topics/keyed")).length < 2; i++) await new Promise((r) => setTimeout(r, 25));
    await zk.close();
    const produced = await k07(["produce", "--zookeeper", server().connectString, "-t", "keyed", "-k", ":"], "a:1\nhello:2\nd:3\n");
    expect(produced.stderr).toContain("produced 3 message(s) to keyed through ZooKeeper");
    expect(produced.status).toBe(0);
    const onBroker2p0 = await k07(["consume", "-b", brokers[1]!.address, "-t", "keyed", "-p", "0"]);
    expect(onBroker2p0.stdout).toBe("init\n1\n2\n");
    const onBroker1p0 = await k07(["consume", "-b", brokers[0]!.address, "-t", "keyed", "-p", "0"]);
    expect(onBroker1p0.stdout).toBe("init\n3\n");
    const listed = await k07(["brokers", "--zookeeper", server().connectString]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`brokers \\(2\\):\\n  1\\t${brokers[0]!.address}\\t`));
    expect(listed.stdout).toContain("  keyed\t1-0 1-1 2-0 2-1 2-2\n");
  });
});

describeWithZooKeeper("k07 with consumer groups", (server) => {
  const brokers: Broker[] = [];
  afterAll(async () => {
    for (const b of brokers) await b.close();
  });

  test("consume --zookeeper --group reads a topic as a group member and commits; groups shows offsets and lag", async () => {
    brokers.push(await startBroker({ zookeeper: server().connectString, brokerId: 1, topicPartitions: { grouped: 2 } }));
    const address = brokers[0]!.address;
    expect((await k07(["produce", "-b", address, "-t", "grouped", "-p", "0", "--confirm"], "a\nb\n")).status).toBe(0);
    expect((await k07(["produce", "-b", address, "-t", "grouped", "-p", "1", "--confirm"], "c\n")).status).toBe(0);
    const consumed = await k07([
      "consume",
      "--zookeeper",
      server().connectString,
      "--group",
      "cli-group",
      "-t",
      "grouped",
      "-c",
      "3",
      "-f",
      "%p:%s\\n",
    ]);
    expect(consumed.status).toBe(0);
    expect(consumed.stdout.split("\n").filter(Boolean).sort()).toEqual(["0:a", "0:b", "1:c"]);
    const status = await k07(["groups", "--zookeeper", server().connectString, "--group", "cli-group"]);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain("grouped");
    // Committed offsets are the next byte position after the last message handed out (protocol §6.3).
    expect(status.stdout).toMatch(/grouped\s+1-0\s+22\s+22\s+0\s+none/);
    expect(status.stdout).toMatch(/grouped\s+1-1\s+11\s+11\s+0\s+none/);
    const wrong = await k07(["consume", "--zookeeper", server().connectString, "-t", "grouped"]);
    expect(wrong.status).toBe(2);
  });
});
