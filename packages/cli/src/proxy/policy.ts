/** Which topics a proxy lets through, per operation. Kafka 0.7 has no ACLs: this is the only gate. */
export interface ProxyPolicy {
  /** Topics clients may produce to; absent = all. */
  readonly produce?: TopicMatcher;
  /** Topics clients may fetch from; absent = all. */
  readonly fetch?: TopicMatcher;
  /** Topics clients may ask offsets for; absent = all. */
  readonly offsets?: TopicMatcher;
}

/** A list of exact names (a `*` at the end matches a prefix), a RegExp, or a function. */
export type TopicMatcher = readonly string[] | RegExp | ((topic: string) => boolean);

export type Operation = "produce" | "fetch" | "offsets";

export function allows(policy: ProxyPolicy, operation: Operation, topic: string): boolean {
  const matcher = policy[operation];
  if (matcher === undefined) return true;
  if (typeof matcher === "function") return matcher(topic);
  if (matcher instanceof RegExp) return matcher.test(topic);
  return matcher.some((pattern) => (pattern.endsWith("*") ? topic.startsWith(pattern.slice(0, -1)) : topic === pattern));
}
