/** The broker command in process: flags to options, the help, the run until aborted, and the one-line start errors. */
import { createServer, type Server } from "node:net";
import {
  BROKER_FLAGS,
  brokerArguments,
  brokerUsage,
  describeListenError,
  parseBrokerArguments,
  runBroker,
  runBrokerCommand,
  type BrokerCommandIo,
} from "@k07/broker";
import { rawOffsets, rawProduce, textSet } from "./helpers/bytes.ts";
import { ask, RawConnection } from "./helpers/raw-connection.ts";

/** An io that records lines and stops the broker when `abort()` is called. */
function recordingIo(): BrokerCommandIo & { lines: { out: string[]; err: string[] }; abort: () => void } {
  const controller = new AbortController();
  const lines = { out: [] as string[], err: [] as string[] };
  return { lines, out: (l) => lines.out.push(l), err: (l) => lines.err.push(l), signal: controller.signal, abort: () => controller.abort() };
}

/** Resolves with the port of the `k07 broker listening on host:port` line once it is printed. */
async function listeningPort(lines: string[]): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const match = /^k07 broker listening on 127\.0\.0\.1:(\d+)/.exec(lines[0] ?? "");
    if (match) return Number(match[1]);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no listening line: ${JSON.stringify(lines)}`);
}

function occupiedPort(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

function portOf(server: Server): number {
  return (server.address() as { port: number }).port;
}

describe("flags to options", () => {
  test("every flag's value reaches its option", () => {
    const { options, verbose } = brokerArguments({
      host: "127.0.0.2",
      port: "0",
      data: "/var/k07",
      partitions: "3",
      "topic-partitions": "a:4,b:c:8",
      "segment-bytes": "100",
      "segment-ms": "200",
      "retention-bytes": "300",
      "retention-ms": "-1",
      "flush-messages": "5",
      "flush-ms": "60",
      fsync: true,
      "max-message-size": "700",
      "max-request-bytes": "800",
      zookeeper: "127.0.0.1:2181/k07",
      "broker-id": "9",
      "advertised-host": "kafka.example",
      verbose: true,
    });
    expect(options).toEqual({
      host: "127.0.0.2",
      port: 0,
      dataDir: "/var/k07",
      numPartitions: 3,
      topicPartitions: { a: 4, "b:c": 8 },
      segmentBytes: 100,
      segmentMs: 200,
      retentionBytes: 300,
      retentionMs: -1,
      flushIntervalMessages: 5,
      flushIntervalMs: 60,
      fsync: true,
      maxMessageSize: 700,
      maxRequestBytes: 800,
      zookeeper: "127.0.0.1:2181/k07",
      brokerId: 9,
      advertisedHost: "kafka.example",
    });
    expect(verbose).toBe(true);
  });

  test("with no flags: port 9092, in memory, no per-topic counts, quiet, everything else the broker's default", () => {
    const { options, verbose } = brokerArguments({});
    expect(options).toEqual({
      host: undefined,
      port: 9092,
      dataDir: undefined,
      numPartitions: undefined,
      topicPartitions: {},
      segmentBytes: undefined,
      segmentMs: undefined,
      retentionBytes: undefined,
      retentionMs: undefined,
      flushIntervalMessages: undefined,
      flushIntervalMs: undefined,
      fsync: false,
      maxMessageSize: undefined,
      maxRequestBytes: undefined,
      zookeeper: undefined,
      brokerId: undefined,
      advertisedHost: undefined,
    });
    expect(verbose).toBe(false);
    // A switch given a string (not from a parser) is not on; a text flag given `true` is absent.
    expect(brokerArguments({ fsync: "yes", verbose: "yes", host: true }).options).toMatchObject({ fsync: false, host: undefined });
    expect(brokerArguments({ verbose: "yes" }).verbose).toBe(false);
    expect(brokerArguments({ "topic-partitions": ",a:2,," }).options.topicPartitions).toEqual({ a: 2 });
  });

  test("a value that is not an integer names its flag and the value", () => {
    for (const [flag, value] of [
      ["port", "x"],
      ["port", ""],
      ["port", " "],
      ["segment-bytes", "1.5"],
      ["partitions", "9007199254740993"],
      ["flush-ms", true],
    ] as const) {
      expect(() => brokerArguments({ [flag]: value })).toThrow(new RangeError(`--${flag} must be an integer, got ${JSON.stringify(value)}`));
    }
    expect(brokerArguments({ port: " 7 " }).options.port).toBe(7);
    const numeric = BROKER_FLAGS.filter((flag) => flag.value === "n").map((flag) => flag.name);
    expect(numeric.length).toBe(11);
    for (const flag of numeric) expect(() => brokerArguments({ [flag]: "x" })).toThrow(new RangeError(`--${flag} must be an integer, got "x"`));
  });

  test("a topic-partitions item without a topic or a colon is refused; a bad count names the flag", () => {
    for (const item of ["a", ":4"]) {
      expect(() => brokerArguments({ "topic-partitions": `x:1,${item}` })).toThrow(
        new RangeError(`--topic-partitions items are topic:count, got ${JSON.stringify(item)}`),
      );
    }
    expect(() => brokerArguments({ "topic-partitions": "a:many" })).toThrow(new RangeError('--topic-partitions must be an integer, got "many"'));
  });

  test("values the broker would refuse are refused before anything starts", () => {
    expect(() => brokerArguments({ port: "70000" })).toThrow(RangeError);
    expect(() => brokerArguments({ partitions: "0" })).toThrow(RangeError);
    expect(() => brokerArguments({ zookeeper: "127.0.0.1:2181" })).toThrow(/brokerId/);
  });

  test("parseBrokerArguments reads the command line: long flags, -v, -h, and refuses unknown ones", () => {
    const parsed = parseBrokerArguments(["--port", "0", "--fsync", "-v", "--topic-partitions", "a:2", "--data", "/d"]);
    expect(parsed.options).toMatchObject({ port: 0, fsync: true, topicPartitions: { a: 2 }, dataDir: "/d" });
    expect([parsed.verbose, parsed.help]).toEqual([true, false]);
    expect(parseBrokerArguments(["-h"]).help).toBe(true);
    expect(parseBrokerArguments(["--help"]).help).toBe(true);
    expect(parseBrokerArguments([]).verbose).toBe(false);
    expect(() => parseBrokerArguments(["--nope"])).toThrow(/nope/);
    expect(() => parseBrokerArguments(["--port"])).toThrow(/port/);
    expect(() => parseBrokerArguments(["--fsync=yes"])).toThrow(/fsync/);
  });
});

describe("help", () => {
  test("lists every flag with its placeholder and help, aligned, under the name it was called by", () => {
    const usage = brokerUsage("k07 broker");
    const lines = usage.split("\n");
    expect(lines.slice(0, 3)).toEqual([
      "Usage: k07 broker [options]",
      "Starts an embedded Kafka 0.7.2 broker and prints where it listens. Ctrl-C stops it cleanly.",
      "",
    ]);
    expect(brokerUsage().split("\n")[0]).toBe("Usage: k07-broker [options]");
    const rows = lines.slice(3);
    expect(rows.length).toBe(BROKER_FLAGS.length + 1);
    expect(rows).toContain("      --host <addr>             listen address (default 127.0.0.1)");
    expect(rows).toContain("      --fsync                   fsync segment files on flush");
    expect(rows).toContain("  -v, --verbose                 log connections closed by the broker and dropped produces");
    expect(rows[rows.length - 1]).toBe("  -h, --help                    this help");
    // The widest left column (`--topic-partitions <map>`, `--advertised-host <host>`) is followed by two spaces.
    expect(rows).toContain(`      --topic-partitions <map>  ${BROKER_FLAGS.find((f) => f.name === "topic-partitions")!.help}`);
  });
});

describe("start errors in one line", () => {
  test("a port in use, an address not on this machine, a privileged port, anything else", () => {
    const where = { address: "127.0.0.1", port: 9092 };
    expect(describeListenError({ code: "EADDRINUSE", ...where }, "--port")).toBe(
      "cannot listen on 127.0.0.1:9092: the port is already in use (choose another with --port; port 0 picks a free one)",
    );
    expect(describeListenError({ code: "EADDRINUSE" }, "--listen")).toBe(
      "cannot listen on the address: the port is already in use (choose another with --listen; port 0 picks a free one)",
    );
    expect(describeListenError({ code: "EADDRINUSE", address: "::1" }, "--port")).toMatch(/^cannot listen on the address:/);
    expect(describeListenError({ code: "EADDRINUSE", port: 1 }, "--port")).toMatch(/^cannot listen on the address:/);
    expect(describeListenError({ code: "EADDRNOTAVAIL", ...where }, "--port")).toBe(
      "cannot listen on 127.0.0.1:9092: no such address on this machine",
    );
    expect(describeListenError({ code: "EACCES", ...where }, "--port")).toBe(
      "cannot listen on 127.0.0.1:9092: permission denied (ports below 1024 need privileges)",
    );
    expect(describeListenError(new Error("boom"), "--port")).toBe("cannot start: boom");
    expect(describeListenError("plain", "--port")).toBe("cannot start: plain");
  });
});

describe("running", () => {
  test("prints where it listens (in memory), serves, and on abort closes and says it stopped", async () => {
    const io = recordingIo();
    const running = runBroker({ options: { port: 0 }, verbose: false }, io);
    const port = await listeningPort(io.lines.out);
    expect(io.lines.out).toEqual([`k07 broker listening on 127.0.0.1:${port} (in memory)`]);
    const [answer] = await ask(port, rawProduce("t", 0, textSet("x")), rawOffsets("t", 0, -1, 1));
    expect(answer!.length).toBe(14);
    io.abort();
    expect(await running).toBe(0);
    expect(io.lines.err).toEqual(["k07 broker stopped"]);
    await expect(RawConnection.open(port)).rejects.toThrow();
  });

  test("names its data folder; an already aborted signal stops it at once", async () => {
    const io = recordingIo();
    io.abort();
    const dataDir = `${process.env.TMPDIR ?? "/tmp"}/k07-command-${process.pid}`;
    try {
      expect(await runBroker({ options: { port: 0, dataDir }, verbose: false }, io)).toBe(0);
    } finally {
      (await import("node:fs")).rmSync(dataDir, { recursive: true, force: true });
    }
    expect(io.lines.out).toEqual([expect.stringMatching(new RegExp(`^k07 broker listening on 127\\.0\\.0\\.1:\\d+ \\(data in ${dataDir}\\)$`))]);
    expect(io.lines.err).toEqual(["k07 broker stopped"]);
  });

  test("verbose reports what the broker closes; quiet does not", async () => {
    for (const verbose of [true, false]) {
      const io = recordingIo();
      const running = runBroker({ options: { port: 0 }, verbose }, io);
      const port = await listeningPort(io.lines.out);
      const conn = await RawConnection.open(port);
      conn.send(rawProduce("", 0, textSet("x")));
      expect(await conn.closesWithin()).toBe(true);
      io.abort();
      await running;
      const reports = io.lines.err.filter((l) => l !== "k07 broker stopped");
      if (verbose) expect(reports).toEqual([expect.stringMatching(/^closed-by-broker 127\.0\.0\.1:\d+: illegal topic name ""$/)]);
      else expect(reports).toEqual([]);
    }
  });

  test("a port in use is one line on stderr under the command's name, status 1, nothing on stdout", async () => {
    const server = await occupiedPort();
    try {
      const io = recordingIo();
      expect(await runBroker({ options: { port: portOf(server) }, verbose: false }, io, "k07 broker")).toBe(1);
      expect(io.lines.out).toEqual([]);
      expect(io.lines.err).toEqual([
        `k07 broker: cannot listen on 127.0.0.1:${portOf(server)}: the port is already in use (choose another with --port; port 0 picks a free one)`,
      ]);
      const byDefault = recordingIo();
      expect(await runBroker({ options: { port: portOf(server) }, verbose: false }, byDefault)).toBe(1);
      expect(byDefault.lines.err[0]).toMatch(/^k07-broker: cannot listen on /);
    } finally {
      server.close();
    }
  });
});

describe("runBrokerCommand", () => {
  test("--help prints the usage and exits 0 without starting", async () => {
    const io = recordingIo();
    expect(await runBrokerCommand(["--help"], io)).toBe(0);
    expect(io.lines.out).toEqual([brokerUsage()]);
    expect(io.lines.err).toEqual([]);
  });

  test("a bad argument is its message and the usage on stderr, status 2", async () => {
    const io = recordingIo();
    expect(await runBrokerCommand(["--port", "x"], io)).toBe(2);
    expect(io.lines.err).toEqual([`k07-broker: --port must be an integer, got "x"\n${brokerUsage()}`]);
    expect(io.lines.out).toEqual([]);
  });

  test("runs the broker with the parsed flags until the signal aborts", async () => {
    const io = recordingIo();
    const running = runBrokerCommand(["--port", "0", "--partitions", "2"], io);
    const port = await listeningPort(io.lines.out);
    const conn = await RawConnection.open(port);
    conn.send(rawOffsets("t", 1, -1, 1));
    // Partition 1 exists only with --partitions 2: the latest offset of its empty log, [0].
    expect((await conn.frame()).length).toBe(14);
    conn.end();
    io.abort();
    expect(await running).toBe(0);
  });

  test("without a signal of its own, SIGINT or SIGTERM stops the broker, and the handlers are removed", async () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const before = { SIGINT: process.listeners("SIGINT"), SIGTERM: process.listeners("SIGTERM") };
      const lines: string[] = [];
      const running = runBrokerCommand(["--port", "0"], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
      await listeningPort(lines);
      const added = process.listeners(signal).filter((l) => !before[signal].includes(l));
      expect(added.length).toBe(1);
      // Call the command's own handler, as the signal would (emitting the signal would reach jest's handlers too).
      (added[0] as () => void)();
      expect(await running).toBe(0);
      expect(lines[lines.length - 1]).toBe("k07 broker stopped");
      expect(process.listeners("SIGINT")).toEqual(before.SIGINT);
      expect(process.listeners("SIGTERM")).toEqual(before.SIGTERM);
    }
  });

  test("without an io, it writes to the process's stdout and stderr", async () => {
    const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await runBrokerCommand(["--help"])).toBe(0);
      expect(out).toHaveBeenCalledWith(brokerUsage() + "\n");
      expect(await runBrokerCommand(["--nope"])).toBe(2);
      expect(err).toHaveBeenCalledWith(expect.stringMatching(/^k07-broker: .*nope.*\nUsage: k07-broker \[options\].*this help\n$/s));
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});
