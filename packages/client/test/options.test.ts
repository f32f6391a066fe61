/** Client settings: their defaults, the range each accepts, and the checks of a broker address. */
import { KafkaClient, pureCrc32, resolveClientOptions, type Transport } from "@k07/client";

const transport: Transport = { connect: () => Promise.reject(new Error("no broker in this test")) };

test("every setting has a default (0.7's own where it has one)", () => {
  const { crc32, allocate, ...settings } = resolveClientOptions();
  expect(settings).toEqual({
    connectTimeoutMs: 5_000,
    requestTimeoutMs: 30_000,
    maxFetchBytes: 16 * 1024 * 1024,
    maxMessageSize: 1_000_000,
    verifyCrc: true,
    onCorrupt: "throw",
    maxDecompressedBytes: 64 * 1024 * 1024,
    reconnectBackoffMs: 100,
    reconnectBackoffMaxMs: 10_000,
    maxResponseBytes: 104_857_600 + 6,
    maxRequestBytes: 104_857_600,
    tls: undefined,
  });
  expect(crc32).toBe(pureCrc32);
  expect(typeof allocate).toBe("function");
});

test("settings given are kept, including false and the smallest values allowed", () => {
  const given = {
    connectTimeoutMs: 1,
    requestTimeoutMs: 1,
    maxFetchBytes: 4,
    maxMessageSize: 0,
    verifyCrc: false,
    onCorrupt: "skip",
    maxDecompressedBytes: 1,
    reconnectBackoffMs: 0,
    reconnectBackoffMaxMs: 0,
    maxResponseBytes: 6,
    maxRequestBytes: 1,
    tls: { servername: "broker" },
  } as const;
  expect(resolveClientOptions(given)).toMatchObject(given);
  expect(resolveClientOptions({ onCorrupt: "throw" }).onCorrupt).toBe("throw");
});

test.each([
  ["connectTimeoutMs", 0, "[1, 2147483647], got 0"],
  ["requestTimeoutMs", 0, "[1, 2147483647], got 0"],
  ["maxFetchBytes", 3, "[4, 2147483647], got 3"],
  ["maxMessageSize", -1, "[0, 2147483647], got -1"],
  ["maxDecompressedBytes", 0, "[1, 2147483647], got 0"],
  ["reconnectBackoffMs", -1, "[0, 2147483647], got -1"],
  ["maxResponseBytes", 5, "[6, 2147483647], got 5"],
  ["maxRequestBytes", 0, "[1, 2147483647], got 0"],
  ["connectTimeoutMs", 2 ** 31, "[1, 2147483647], got 2147483648"],
])("%s = %d is a RangeError naming the setting and its range", (name, value, range) => {
  expect(() => resolveClientOptions({ [name]: value })).toThrow(new RangeError(`${name} must be in ${range}`));
});

test("the longest reconnect delay may not be shorter than the first", () => {
  expect(() => resolveClientOptions({ reconnectBackoffMs: 500, reconnectBackoffMaxMs: 499 })).toThrow(
    new RangeError("reconnectBackoffMaxMs must be in [500, 2147483647], got 499"),
  );
  expect(resolveClientOptions({ reconnectBackoffMs: 500, reconnectBackoffMaxMs: 500 }).reconnectBackoffMaxMs).toBe(500);
});

test("onCorrupt is throw or skip; options must be an object", () => {
  expect(() => resolveClientOptions({ onCorrupt: "ignore" as never })).toThrow(new RangeError('onCorrupt must be "throw" or "skip", got ignore'));
  expect(() => resolveClientOptions(null as never)).toThrow(new TypeError("client options must be an object"));
  expect(() => resolveClientOptions("fast" as never)).toThrow(new TypeError("client options must be an object"));
});

test("a client's host must be a non-empty string and its port an integer in [1, 65535]", () => {
  for (const host of ["", 7, undefined]) {
    expect(() => new KafkaClient(host as never, 9092, { transport })).toThrow(new TypeError(`host must be a non-empty string, got ${String(host)}`));
  }
  for (const port of [0, 65536, 1.5, "9092", Number.NaN]) {
    expect(() => new KafkaClient("h", port as never, { transport })).toThrow(
      new RangeError(`port must be an integer in [1, 65535], got ${String(port)}`),
    );
  }
  for (const port of [1, 65535]) expect(new KafkaClient("h", port, { transport }).port).toBe(port);
  expect(new KafkaClient("broker", 9092, { transport }).host).toBe("broker");
});

test("a client needs a transport that can connect", () => {
  const needs = /KafkaClient needs a transport \(use @k07\/transport-node or @k07\/transport-deno\)/;
  for (const options of [undefined, null, "tcp", {}, { transport: null }, { transport: {} }, { transport: { connect: "yes" } }]) {
    expect(() => new KafkaClient("h", 9092, options as never)).toThrow(TypeError);
    expect(() => new KafkaClient("h", 9092, options as never)).toThrow(needs);
  }
});
