/** The proxy's allow-lists: which topics each operation lets through. */
import { allows, type ProxyPolicy } from "@k07/proxy";

test("a listed name admits exactly that topic, not longer names that start with it", () => {
  const policy: ProxyPolicy = { fetch: ["public"] };
  expect(allows(policy, "fetch", "public")).toBe(true);
  expect(allows(policy, "fetch", "public2")).toBe(false);
  expect(allows(policy, "fetch", "publi")).toBe(false);
});

test("a name ending in * admits every topic with that prefix, the bare prefix included", () => {
  const policy: ProxyPolicy = { produce: ["logs-*"] };
  expect(allows(policy, "produce", "logs-")).toBe(true);
  expect(allows(policy, "produce", "logs-web")).toBe(true);
  expect(allows(policy, "produce", "logs")).toBe(false);
  expect(allows(policy, "produce", "xlogs-web")).toBe(false);
});

test("a RegExp or a function decides for itself; an absent list admits every topic", () => {
  const policy: ProxyPolicy = { produce: /^a\d$/, fetch: (topic) => topic.length === 3 };
  expect(allows(policy, "produce", "a1")).toBe(true);
  expect(allows(policy, "produce", "a12")).toBe(false);
  expect(allows(policy, "fetch", "abc")).toBe(true);
  expect(allows(policy, "fetch", "abcd")).toBe(false);
  expect(allows(policy, "offsets", "anything")).toBe(true);
});

test("an Offsets request for no offsets (a produce confirmation) is allowed on topics clients may produce to", () => {
  const policy: ProxyPolicy = { produce: ["in"], offsets: ["out"] };
  expect(allows(policy, "offsets", "in", 0)).toBe(true);
  expect(allows(policy, "offsets", "in", 1)).toBe(false);
  expect(allows(policy, "offsets", "out", 1)).toBe(true);
  expect(allows(policy, "offsets", "other", 0)).toBe(false);
  // The exemption is for Offsets only.
  expect(allows({ produce: ["in"], fetch: [] }, "fetch", "in", 0)).toBe(false);
});
