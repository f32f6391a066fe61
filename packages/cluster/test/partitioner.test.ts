/** The Java-compatible default partitioner, with the key → partition vectors observed on real 0.7.2 (protocol §9.3). */
import { InvalidPartitionError, javaCompatiblePartitioner, javaStringHashCode } from "@k07/cluster";

test("Java String.hashCode values", () => {
  expect(javaStringHashCode("")).toBe(0);
  expect(javaStringHashCode("j")).toBe(106);
  expect(javaStringHashCode("hello")).toBe(99162322);
  expect(javaStringHashCode("Kafka")).toBe(72255238);
  expect(javaStringHashCode("polygenelubricants")).toBe(-0x8000_0000);
  expect(javaStringHashCode("é😀")).toBe((((0xe9 * 31 + 0xd83d) | 0) * 31 + 0xde00) | 0);
});

test("keys over 1-0, 1-1, 2-0, 2-1, 2-2 land where the Java producer put them", () => {
  const candidates = ["1-0", "1-1", "2-0", "2-1", "2-2"];
  const expected: Record<string, string> = { a: "2-0", b: "2-1", c: "2-2", d: "1-0", e: "1-1", hello: "2-0", Kafka: "2-1" };
  for (const [key, partition] of Object.entries(expected)) {
    expect(candidates[javaCompatiblePartitioner(key, candidates.length)]).toBe(partition);
  }
});

test("key j over twelve partitions of one broker goes to 1-10 (numeric order)", () => {
  const candidates = Array.from({ length: 12 }, (_, i) => `1-${i}`);
  expect(candidates[javaCompatiblePartitioner("j", 12)]).toBe("1-10");
});

test("a key with a negative Java hash goes to abs(hash) % n, as in the Java producer", () => {
  expect(javaStringHashCode("user-42")).toBe(-147182656);
  expect(javaCompatiblePartitioner("user-42", 5)).toBe(1);
  expect(javaStringHashCode("order-7")).toBe(-1207111304);
  expect(javaCompatiblePartitioner("order-7", 5)).toBe(4);
});

test("a key hashing to Integer.MIN_VALUE is an error, as in the Java producer", () => {
  expect(() => javaCompatiblePartitioner("polygenelubricants", 5)).toThrow(InvalidPartitionError);
});
