/**
 * What a new user meets first, through the real `k07` and `k07-broker` processes: the version and
 * the help, one broker command under two names, a port already in use, an offset that is not a
 * message's start, a proxy's allow lists, and where a produce without -p put the messages.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBroker, type Broker } from "@k07/broker";
import { allows, startProxy, type Proxy } from "@k07/cli";
import { ConnectionClosedError, KafkaClient, OffsetRequest, ProduceNotConfirmedError } from "@k07/transport-node";
import { ensureBuilt, k07, k07Bin, k07BrokerBin, root, run, startCommand } from "./run-cli.ts";

let broker: Broker;
beforeAll(async () => {
  ensureBuilt();
  broker = await startBroker({ numPartitions: 3 });
});
afterAll(() => broker.close());

/** The lines a command printed, without the empty one after the last newline. */
const lines = (text: string) => text.split("\n").filter((line) => line !== "");

describe("version and help", () => {
  test("k07 --version and -V print the version in the installed package.json", async () => {
    const { version } = JSON.parse(readFileSync(join(root, "packages/cli/package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      expect(await k07([flag])).toEqual({ status: 0, stdout: `${version}\n`, stderr: "" });
    }
  });

  // util-linux's `script` runs the command on a pseudo-terminal: stdin is a terminal there.
  const haveScript = spawnSync("script", ["--version"]).status === 0;
  (haveScript ? test : test.skip)("a bare k07 typed at a terminal prints the help on stdout and exits 0", async () => {
    // Only stdout reaches the terminal (stderr goes to /dev/null); -e passes the exit status on.
    const result = await run("script", ["-qec", `"${process.execPath}" "${k07Bin}" 2>/dev/null`, "/dev/null"]);
    expect(result.status).toBe(0);
    expect(result.stdout.replaceAll("\r\n", "\n")).toMatch(/^Usage: k07 \[options\] \[command\]\n[\s\S]*\n {2}produce \[options\]/);
  });

  test("a bare k07 without a terminal (a script's mistake) prints the help on stderr and exits 2", async () => {
    const result = await k07([]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^Usage: k07 \[options\] \[command\]/);
  });
});

describe("one broker command, two names", () => {
  /** The long flags a help text lists (besides --help and --verbose, which both names have in their own way). */
  const flagsIn = (help: string) =>
    [...new Set([...help.matchAll(/^\s+(?:-\w, )?--([a-z-]+)/gm)].map((m) => m[1]!))].filter((f) => f !== "help" && f !== "verbose").sort();

  test("k07 broker --help lists every flag k07-broker --help lists", async () => {
    const cli = await k07(["broker", "--help"]);
    const standalone = await run(process.execPath, [k07BrokerBin, "--help"]);
    expect(cli.status).toBe(0);
    expect(standalone.status).toBe(0);
    expect(flagsIn(cli.stdout)).toEqual(flagsIn(standalone.stdout));
    expect(flagsIn(cli.stdout)).toEqual(
      expect.arrayContaining([
        "data",
        "segment-bytes",
        "retention-bytes",
        "retention-ms",
        "flush-messages",
        "flush-ms",
        "zookeeper",
        "broker-id",
        "topic-partitions",
      ]),
    );
  });

  for (const [name, bin, prefix] of [
    ["k07 broker", k07Bin, ["broker"]],
    ["k07-broker", k07BrokerBin, []],
  ] as const) {
    test(`${name} applies the segment, partition and data flags`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "k07-broker-flags-"));
      try {
        const running = await startCommand(bin, [
          ...prefix,
          "--port",
          "0",
          "--data",
          dataDir,
          "--segment-bytes",
          "60",
          "--topic-partitions",
          "rolled:3",
        ]);
        const input = Array.from({ length: 6 }, (_, i) => `message ${i}`).join("\n") + "\n";
        expect((await k07(["produce", "-b", running.address, "-t", "rolled", "-p", "2", "--batch-size", "1", "--confirm"], input)).status).toBe(0);
        // 19-byte entries; a segment rolls once it holds more than 60 bytes, here after four.
        expect((await k07(["offsets", "-b", running.address, "-t", "rolled", "-p", "2", "--max", "10"])).stdout).toBe("114\n76\n0\n");
        expect(readdirSync(join(dataDir, "rolled-2")).filter((f) => f.endsWith(".kafka"))).toHaveLength(2);
        const stopped = await running.stop();
        expect(stopped.status).toBe(0);
        expect(stopped.stdout).toBe(`k07 broker listening on ${running.address} (data in ${dataDir})\n`);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }

  test("a bad flag value is one line and status 2 under either name", async () => {
    const cli = await k07(["broker", "--segment-bytes", "0"]);
    expect(cli.status).toBe(2);
    expect(lines(cli.stderr)).toEqual(["k07: segmentBytes must be in [1, 9007199254740991], got 0"]);
    const standalone = await run(process.execPath, [k07BrokerBin, "--segment-bytes", "0"]);
    expect(standalone.status).toBe(2);
    expect(lines(standalone.stderr)[0]).toBe("k07-broker: segmentBytes must be in [1, 9007199254740991], got 0");
  });
});

describe("a port already in use", () => {
  let holder: Server;
  let port: number;
  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    port = (holder.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  test("k07 broker, k07-broker and k07 proxy each say so in one line and exit 1, never printing a listening line", async () => {
    const attempts = [
      [
        k07Bin,
        ["broker", "--port", String(port)],
        `k07 broker: cannot listen on 127.0.0.1:${port}: the port is already in use (choose another with --port; port 0 picks a free one)`,
      ],
      [
        k07BrokerBin,
        ["--port", String(port)],
        `k07-broker: cannot listen on 127.0.0.1:${port}: the port is already in use (choose another with --port; port 0 picks a free one)`,
      ],
      [
        k07Bin,
        ["proxy", "--listen", `127.0.0.1:${port}`, "--broker", broker.address],
        `k07: cannot listen on 127.0.0.1:${port}: the port is already in use (choose another with --listen; port 0 picks a free one)`,
      ],
    ] as const;
    for (const [bin, args, message] of attempts) {
      const result = await run(process.execPath, [bin, ...args]);
      expect({ status: result.status, stdout: result.stdout, stderr: lines(result.stderr) }).toEqual({ status: 1, stdout: "", stderr: [message] });
    }
  });
});

describe("k07 consume -o at an offset that is not a message's start", () => {
  test("says the offset is not at a message boundary and how to find one, as a usage error", async () => {
    await k07(["produce", "-b", broker.address, "-t", "boundaries", "-p", "0", "--confirm"], "hello\nworld\n");
    const result = await k07(["consume", "-b", broker.address, "-t", "boundaries", "-o", "5"]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^k07: offset 5 of boundaries\/0 is not at a message boundary \(it reads as a message of \d+ bytes where the segment holds only 21 more\)/,
    );
    expect(result.stderr).toContain(
      `start at -o beginning, at a segment start \`k07 offsets -b ${broker.address} -t boundaries -p 0 --max 10\` lists`,
    );
    // The next message's offset is a boundary.
    expect(await k07(["consume", "-b", broker.address, "-t", "boundaries", "-o", "15"])).toMatchObject({ status: 0, stdout: "world\n" });
  });

  test("a plausible entry with a bad CRC at the offset gets the same hint, naming the CRC", async () => {
    // A message whose payload looks like a whole entry: length 6, magic 1, attributes 0, CRC deadbeef.
    const fake = Uint8Array.of(0, 0, 0, 6, 1, 0, 0xde, 0xad, 0xbe, 0xef);
    expect((await k07(["produce", "-b", broker.address, "-t", "lookalike", "-p", "0", "--whole", "--confirm"], fake)).status).toBe(0);
    const result = await k07(["consume", "-b", broker.address, "-t", "lookalike", "-o", "10"]);
    expect(result.status).toBe(2);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain("offset 10 of lookalike/0 is not at a message boundary (the first message there fails its CRC check");
  });
});

describe("behind a proxy with allow lists", () => {
  let proxy: Proxy;
  beforeAll(async () => {
    proxy = await startProxy({
      brokerHost: broker.host,
      brokerPort: broker.port,
      policy: { produce: ["orders"], fetch: ["none"], offsets: ["none"] },
    });
  });
  afterAll(() => proxy.close());

  test("k07 produce --confirm to a topic the proxy lets you produce to succeeds: the confirmation's Offsets request is allowed with it", async () => {
    const produced = await k07(["produce", "-b", proxy.address, "-t", "orders", "-p", "0", "--confirm"], "first order\n");
    expect(produced.status).toBe(0);
    expect(produced.stderr).toMatch(/produced 1 message\(s\), 11 bytes, to orders\/0 \(confirmed\)/);
    expect((await k07(["consume", "-b", broker.address, "-t", "orders"])).stdout).toBe("first order\n");
  });

  test("the rule: an Offsets request for no offsets (a confirmation's) is allowed for a topic one may produce to, and nothing more", () => {
    const policy = { produce: ["orders"], offsets: ["none"] };
    expect(allows(policy, "offsets", "orders", 0)).toBe(true);
    expect(allows(policy, "offsets", "orders", 1)).toBe(false);
    expect(allows(policy, "offsets", "secret", 0)).toBe(false);
    expect(allows(policy, "fetch", "orders", 0)).toBe(true);
    expect(allows({ produce: ["orders"], fetch: ["none"] }, "fetch", "orders", 0)).toBe(false);
  });

  test("a denied produce: the error names the request after which the connection was closed", async () => {
    const produced = await k07(["produce", "-b", proxy.address, "-t", "secret", "-p", "0", "--confirm"], "leak\n");
    expect(produced.status).toBe(1);
    expect(lines(produced.stderr)).toHaveLength(1);
    expect(produced.stderr).toContain("was closed by the broker (or a proxy in front of it) after a Produce request for secret");
    const kafka = new KafkaClient(proxy.host, proxy.port);
    await kafka.sendMessagesSimple("secret", 0, "leak");
    const error = await kafka.confirm().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProduceNotConfirmedError);
    expect((error as Error).message).toContain(
      `Connection to ${proxy.address} was closed by the broker (or a proxy in front of it) after a Produce request for secret`,
    );
    await kafka.close().catch(() => {});
  });

  test("only the confirmation's Offsets request comes with produce: asking for offsets is still denied, and the error says after what", async () => {
    const kafka = new KafkaClient(proxy.host, proxy.port);
    const error = await kafka.getOffsets(new OffsetRequest("orders", 0, -1, 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect((error as Error).message).toContain("closed by the broker (or a proxy in front of it) after an Offsets request for orders");
    await kafka.close().catch(() => {});
  });

  test("k07 produce without -p when the proxy denies the fetches that count partitions: the broker picks, and the line says so", async () => {
    const produced = await k07(["produce", "-b", proxy.address, "-t", "orders", "--confirm"], "second order\n");
    expect(produced.status).toBe(0);
    expect(produced.stderr).toContain("to orders (partitions picked by the broker) (confirmed)");
  });
});

describe("k07 produce without -p on a broker with several partitions", () => {
  test("spreads batches round-robin over the partitions and says which received how many", async () => {
    const input = Array.from({ length: 1000 }, (_, i) => `m${i}`).join("\n") + "\n";
    const produced = await k07(["produce", "-b", broker.address, "-t", "spread", "--batch-size", "100", "--confirm"], input);
    expect(produced.status).toBe(0);
    const counts = /to spread partitions 0 \((\d+)\), 1 \((\d+)\), 2 \((\d+)\) \(confirmed\)/.exec(produced.stderr);
    expect(counts).not.toBeNull();
    // Ten batches of 100 over three partitions: 300 or 400 each.
    const said = counts!.slice(1).map(Number);
    expect(said.reduce((a, b) => a + b)).toBe(1000);
    expect(said.every((n) => n === 300 || n === 400)).toBe(true);
    for (const partition of [0, 1, 2]) {
      const consumed = await k07(["consume", "-b", broker.address, "-t", "spread", "-p", String(partition)]);
      expect(lines(consumed.stdout)).toHaveLength(said[partition]!);
    }
  });

  test("a single batch names its partition, where k07 consume -p finds it", async () => {
    const produced = await k07(["produce", "-b", broker.address, "-t", "single", "--confirm"], "only\n");
    const partition = /to single\/(\d) \(confirmed\)/.exec(produced.stderr)?.[1];
    expect(partition).toBeDefined();
    expect((await k07(["consume", "-b", broker.address, "-t", "single", "-p", partition!])).stdout).toBe("only\n");
  });
});
