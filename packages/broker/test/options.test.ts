/** resolveBrokerOptions: every default, every bound, and the default hooks. */
import { resolveBrokerOptions } from "@k07/broker";
import { hybridCrc32, nodeAllocator } from "@k07/node-hooks";

const HOUR = 60 * 60 * 1000;

test("with no options, every setting has 0.7.2's default (or k07's, where 0.7 has none)", () => {
  const { crc32, allocate, ...resolved } = resolveBrokerOptions();
  expect(resolved).toEqual({
    host: "127.0.0.1",
    port: 0,
    dataDir: undefined,
    numPartitions: 1,
    topicPartitions: {},
    maxMessageSize: 1_000_000,
    maxRequestBytes: 104_857_600,
    segmentBytes: 1024 * 1024 * 1024,
    segmentMs: 168 * HOUR,
    flushIntervalMessages: 1,
    flushIntervalMs: 0,
    retentionBytes: -1,
    retentionMs: 168 * HOUR,
    retentionCheckIntervalMs: 60_000,
    fsync: false,
    maxDecompressedBytes: 64 * 1024 * 1024,
    onEvent: undefined,
    zookeeper: undefined,
    brokerId: undefined,
    advertisedHost: undefined,
    zookeeperSessionTimeoutMs: 6000,
  });
  // The broker runs on Node: Node's hooks (tested in @k07/node-hooks) by default.
  expect(allocate).toBe(nodeAllocator);
  expect(crc32).toBe(hybridCrc32);
  expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
});

test("given values are kept, and the hooks given are used", () => {
  const onEvent = () => {};
  const crc32 = () => 1;
  const allocate = (size: number) => new Uint8Array(size);
  const given = {
    host: "0.0.0.0",
    port: 65535,
    dataDir: "/d",
    numPartitions: 3,
    topicPartitions: { a: 2 },
    maxMessageSize: 0,
    maxRequestBytes: 1,
    segmentBytes: 1,
    segmentMs: 1,
    flushIntervalMessages: 1,
    flushIntervalMs: 0,
    retentionBytes: -1,
    retentionMs: -1,
    retentionCheckIntervalMs: 1,
    fsync: true,
    maxDecompressedBytes: 1,
    onEvent,
    zookeeper: "127.0.0.1:2181",
    brokerId: 0,
    advertisedHost: "h",
    zookeeperSessionTimeoutMs: 1,
    crc32,
    allocate,
  };
  expect(resolveBrokerOptions(given)).toEqual(given);
  expect(resolveBrokerOptions({ brokerId: -5 }).brokerId).toBe(-5); // not checked without ZooKeeper: unused
});

test("topicPartitions is copied and frozen", () => {
  const counts: Record<string, number> = { a: 2 };
  const resolved = resolveBrokerOptions({ topicPartitions: counts });
  counts.a = 9;
  expect(resolved.topicPartitions).toEqual({ a: 2 });
  expect(Object.isFrozen(resolved.topicPartitions)).toBe(true);
});

test("a value outside its range is a RangeError naming the option", () => {
  const outside: [string, number][] = [
    ["port", -1],
    ["port", 65536],
    ["numPartitions", 0],
    ["numPartitions", 0x8000_0000],
    ["maxMessageSize", -1],
    ["maxMessageSize", 0x8000_0000],
    ["maxRequestBytes", 0],
    ["maxRequestBytes", 0x8000_0000],
    ["segmentBytes", 0],
    ["segmentMs", 0],
    ["flushIntervalMessages", 0],
    ["flushIntervalMs", -1],
    ["retentionBytes", -2],
    ["retentionMs", -2],
    ["retentionCheckIntervalMs", 0],
    ["maxDecompressedBytes", 0],
    ["zookeeperSessionTimeoutMs", 0],
  ];
  for (const [name, value] of outside) expect(() => resolveBrokerOptions({ [name]: value })).toThrow(new RegExp(`^${name} `));
  for (const [name, value] of outside) expect(() => resolveBrokerOptions({ [name]: value })).toThrow(RangeError);
  const within: [string, number][] = [
    ["numPartitions", 0x7fff_ffff],
    ["maxMessageSize", 0x7fff_ffff],
    ["maxRequestBytes", 0x7fff_ffff],
  ];
  for (const [name, value] of within) expect(resolveBrokerOptions({ [name]: value })).toMatchObject({ [name]: value });
});

test("a per-topic count must be an integer from 1 to 2^31 − 1, named by its topic", () => {
  expect(() => resolveBrokerOptions({ topicPartitions: { ok: 1, "bad one": 0 } })).toThrow(/^topicPartitions\["bad one"\] /);
  expect(() => resolveBrokerOptions({ topicPartitions: { t: 0x8000_0000 } })).toThrow(RangeError);
  expect(resolveBrokerOptions({ topicPartitions: { t: 0x7fff_ffff } }).topicPartitions).toEqual({ t: 0x7fff_ffff });
});

test("options that are not an object, or a dataDir that is not a non-empty string, are a TypeError", () => {
  for (const bad of [null, 5, "opts"]) {
    expect(() => resolveBrokerOptions(bad as never)).toThrow(new TypeError("broker options must be an object"));
  }
  for (const dataDir of ["", 5])
    expect(() => resolveBrokerOptions({ dataDir: dataDir as never })).toThrow(new TypeError("dataDir must be a non-empty path"));
});

test("ZooKeeper needs a brokerId from 0 to 2^31 − 1", () => {
  expect(() => resolveBrokerOptions({ zookeeper: "127.0.0.1:2181" })).toThrow(/^brokerId /);
  expect(() => resolveBrokerOptions({ zookeeper: "127.0.0.1:2181", brokerId: -1 })).toThrow(RangeError);
  expect(() => resolveBrokerOptions({ zookeeper: "127.0.0.1:2181", brokerId: 0x8000_0000 })).toThrow(RangeError);
  expect(resolveBrokerOptions({ zookeeper: "127.0.0.1:2181", brokerId: 0x7fff_ffff }).brokerId).toBe(0x7fff_ffff);
});
