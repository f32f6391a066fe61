/** Which topics a proxy lets through, per operation. Kafka 0.7 has no ACLs: this is the only gate. */
export interface ProxyPolicy {
  /** Topics clients may produce to; absent = all. */
  readonly produce?: TopicMatcher;
  /** Topics clients may fetch from; absent = all. */
  readonly fetch?: TopicMatcher;
  /** Topics clients may ask offsets for; absent = all. (The empty Offsets request of a produce confirmation is allowed with produce: see `allows`.) */
  readonly offsets?: TopicMatcher;
}

/** A list of exact names (a `*` at the end matches a prefix), a RegExp, or a function. */
export type TopicMatcher = readonly string[] | RegExp | ((topic: string) => boolean);

export type Operation = "produce" | "fetch" | "offsets";

/**
 * Whether the policy lets a request for `topic` through. `maxNumOffsets` is the Offsets request's
 * (ignored for other operations): an Offsets request for no offsets (0), the one a client's
 * `confirm()` sends behind its produces, is also allowed for every topic clients may produce to,
 * even one the offsets list leaves out. Its answer is an empty list, so it reveals nothing; without
 * it a producer could not learn that its messages were applied.
 */
export function allows(policy: ProxyPolicy, operation: Operation, topic: string, maxNumOffsets?: number): boolean {
  if (matches(policy[operation], topic)) return true;
  return operation === "offsets" && maxNumOffsets === 0 && matches(policy.produce, topic);
}

function matches(matcher: TopicMatcher | undefined, topic: string): boolean {
  if (matcher === undefined) return true;
  if (typeof matcher === "function") return matcher(topic);
  if (matcher instanceof RegExp) return matcher.test(topic);
  return matcher.some((pattern) => (pattern.endsWith("*") ? topic.startsWith(pattern.slice(0, -1)) : topic === pattern));
}
