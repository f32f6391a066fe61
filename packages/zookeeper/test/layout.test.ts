/** Kafka 0.7's ZooKeeper values, read defensively: a garbage value is refused, not expanded. */
import {
  MAX_PARTITIONS_PER_BROKER,
  brokerPartitionName,
  brokerRegistrationValue,
  parseBrokerPartitionName,
  parseBrokerRegistration,
  parsePartitionCount,
  readBrokerPartitionName,
} from "@k07/zookeeper";

test("a broker registration round-trips in 0.7's format", () => {
  const value = brokerRegistrationValue("10.0.0.5", 9092, 1795465420469);
  expect(value).toBe("10.0.0.5-1795465420469:10.0.0.5:9092");
  expect(parseBrokerRegistration(3, value)).toEqual({ id: 3, creatorId: "10.0.0.5-1795465420469", host: "10.0.0.5", port: 9092 });
  expect(() => parseBrokerRegistration(3, "nonsense")).toThrow(RangeError);
});

test("partition counts are decimal integers from 1 up to the cap; anything else is unusable", () => {
  expect(parsePartitionCount("2")).toBe(2);
  expect(parsePartitionCount(String(MAX_PARTITIONS_PER_BROKER))).toBe(MAX_PARTITIONS_PER_BROKER);
  for (const bad of ["0", "-1", "1.5", "1e3", "", "two", String(MAX_PARTITIONS_PER_BROKER + 1), "1000000000", null, undefined]) {
    expect(parsePartitionCount(bad)).toBeUndefined();
  }
});

test("a broker-local partition is named `<brokerId>-<partition>` under owners/ and offsets/, and read back from that name only", () => {
  expect(brokerPartitionName({ brokerId: 3, partition: 12 })).toBe("3-12");
  expect(parseBrokerPartitionName("3-12")).toEqual({ brokerId: 3, partition: 12 });
  expect(readBrokerPartitionName("3-12")).toEqual({ brokerId: 3, partition: 12 });
  for (const bad of ["3", "3-", "-1", "3-1-2", "a-1", "3_1", " 3-1", "3-1 ", ""]) {
    expect(readBrokerPartitionName(bad)).toBeUndefined();
    expect(() => parseBrokerPartitionName(bad)).toThrow(RangeError);
  }
});
