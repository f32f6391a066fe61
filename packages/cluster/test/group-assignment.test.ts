/** The range assignment, subscriptions and member ids of 0.7's consumer groups (protocol §9, §9.2, §9.3), without ZooKeeper. */
import fc from "fast-check";
import { rangeAssign, threadIdsOf } from "../src/group/assignment.ts";
import { makeConsumerId } from "../src/group/consumer-id.ts";
import { MAX_STREAMS, encodeSubscription, normaliseTopicPattern, parseSubscription, streamsPerTopic } from "../src/group/subscription.ts";

const FIVE = ["1-0", "1-1", "2-0", "2-1", "2-2"];
const TWO = ["1-0", "2-0"];
const TWELVE = Array.from({ length: 12 }, (_, i) => `1-${i}`);

/** Inverts partition → thread into thread → partitions, in partition order. */
function byThread(owners: Map<string, string>): Record<string, string[]> {
  const table: Record<string, string[]> = {};
  for (const [partition, thread] of owners) (table[thread] ??= []).push(partition);
  return table;
}

describe("range assignment: the owner tables seen with Java 0.7.2 members (protocol §9.3)", () => {
  const cases: [string, string[], number, Record<string, string[]>][] = [
    ["(5,1)", FIVE, 1, { "c-0": FIVE }],
    ["(5,2)", FIVE, 2, { "c-0": ["1-0", "1-1", "2-0"], "c-1": ["2-1", "2-2"] }],
    ["(5,3)", FIVE, 3, { "c-0": ["1-0", "1-1"], "c-1": ["2-0", "2-1"], "c-2": ["2-2"] }],
    ["(5,4)", FIVE, 4, { "c-0": ["1-0", "1-1"], "c-1": ["2-0"], "c-2": ["2-1"], "c-3": ["2-2"] }],
    // Threads sort as strings: c-10 comes third, so it gets 2-0; c-4 … c-9 get nothing.
    ["(5,11)", FIVE, 11, { "c-0": ["1-0"], "c-1": ["1-1"], "c-10": ["2-0"], "c-2": ["2-1"], "c-3": ["2-2"] }],
    ["(2,4)", TWO, 4, { "c-0": ["1-0"], "c-1": ["2-0"] }],
    // Partitions sort as strings: 1-10 and 1-11 come right after 1-1.
    ["(12,2)", TWELVE, 2, { "c-0": ["1-0", "1-1", "1-10", "1-11", "1-2", "1-3"], "c-1": ["1-4", "1-5", "1-6", "1-7", "1-8", "1-9"] }],
    ["(12,3)", TWELVE, 3, { "c-0": ["1-0", "1-1", "1-10", "1-11"], "c-1": ["1-2", "1-3", "1-4", "1-5"], "c-2": ["1-6", "1-7", "1-8", "1-9"] }],
  ];
  test.each(cases)("%s", (_name, partitions, threads, expected) => {
    // Inputs in numeric (producer) order: the assignment must re-sort them as strings.
    expect(byThread(rangeAssign(threadIdsOf("c", threads), partitions))).toEqual(expected);
  });

  test("partition names sort as strings across brokers too: 10-0 before 2-0", () => {
    expect(byThread(rangeAssign(["a-0", "b-0"], ["2-0", "10-0", "2-1"]))).toEqual({ "a-0": ["10-0", "2-0"], "b-0": ["2-1"] });
  });

  test("threads of several members are pooled and sorted together", () => {
    const threads = [...threadIdsOf("g_b", 1), ...threadIdsOf("g_a", 2)];
    expect(byThread(rangeAssign(threads, FIVE))).toEqual({ "g_a-0": ["1-0", "1-1"], "g_a-1": ["2-0", "2-1"], "g_b-0": ["2-2"] });
  });

  test("no threads: nothing assigned", () => {
    expect(rangeAssign([], FIVE).size).toBe(0);
  });

  test("property: every partition has exactly one owner, counts differ by at most one, contiguous in string order", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.nat(30), fc.nat(30)), { maxLength: 40, selector: ([b, p]) => `${b}-${p}` }),
        fc.integer({ min: 1, max: 15 }),
        (pairs, n) => {
          const partitions = pairs.map(([b, p]) => `${b}-${p}`);
          const owners = rangeAssign(threadIdsOf("m", n), [...partitions].reverse());
          expect([...owners.keys()].sort()).toEqual([...partitions].sort());
          const counts = Object.values(byThread(owners)).map((list) => list.length);
          if (counts.length > 0) expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
          const sorted = [...partitions].sort();
          const threadOrder = sorted.map((p) => owners.get(p)!);
          expect(threadOrder).toEqual([...threadOrder].sort());
        },
      ),
    );
  });
});

describe("subscriptions, as written in /consumers/<group>/ids/<id> (protocol §9, §9.3)", () => {
  test("static: 0.7's own spelling, read back", () => {
    const value = encodeSubscription({ kind: "static", topics: { t1: 2, t2: 1 } });
    expect(value).toBe('{ "t1": 2,"t2": 1 }');
    expect(parseSubscription(value)).toEqual({ kind: "static", topics: { t1: 2, t2: 1 } });
  });

  test("a compact value written by a non-Java member is read too", () => {
    expect(parseSubscription('{"zt":1}')).toEqual({ kind: "static", topics: { zt: 1 } });
  });

  test("whitelist and blacklist: *<n>*<regex> and !<n>!<regex>", () => {
    expect(encodeSubscription({ kind: "whitelist", streams: 1, pattern: "zt" })).toBe("*1*zt");
    expect(parseSubscription("*1*zt")).toEqual({ kind: "whitelist", streams: 1, pattern: "zt" });
    expect(parseSubscription("!2!a.*")).toEqual({ kind: "blacklist", streams: 2, pattern: "a.*" });
    expect(normaliseTopicPattern(' "a, b" ')).toBe("a|b");
  });

  test("wildcards match whole topic names, as Java's String.matches", () => {
    const registered = ["zt", "zt2", "other"];
    expect([...streamsPerTopic({ kind: "whitelist", streams: 2, pattern: "zt" }, registered)]).toEqual([["zt", 2]]);
    expect([...streamsPerTopic({ kind: "blacklist", streams: 1, pattern: "zt.*" }, registered)]).toEqual([["other", 1]]);
  });

  test("a member asking for more than MAX_STREAMS threads is refused, not expanded into a billion thread ids", () => {
    expect(parseSubscription(`{"t":${MAX_STREAMS}}`)).toEqual({ kind: "static", topics: { t: MAX_STREAMS } });
    for (const bad of ['{"t":1000000000}', "*1000000000*t", `!${MAX_STREAMS + 1}!t`]) expect(parseSubscription(bad)).toBeUndefined();
  });

  test("unreadable values are refused", () => {
    for (const bad of ["", "{", "[1]", '{"t":0}', '{"t":"x"}', "*x*t", null, undefined]) expect(parseSubscription(bad)).toBeUndefined();
  });
});

describe("member ids (protocol §9, §9.3)", () => {
  test("<group>_<hostname>-<ms>-<8 hex>, as the Java consumer makes them", () => {
    expect(makeConsumerId("g1", undefined, 1795465558165)).toMatch(/^g1_[^/]+-1795465558165-[0-9a-f]{8}$/);
  });
  test("a configured id becomes <group>_<id>", () => {
    expect(makeConsumerId("g1", "worker")).toBe("g1_worker");
  });
});
