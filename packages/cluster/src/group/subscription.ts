/**
 * What a member subscribes to, as 0.7 writes it in `/consumers/<group>/ids/<consumerId>` (protocol §9,
 * `TopicCount.scala`): a static JSON map `{ "t1": 2,"t2": 1 }`, a whitelist `*<n>*<regex>` or a
 * blacklist `!<n>!<regex>`.
 */
export type Subscription =
  | { readonly kind: "static"; readonly topics: Readonly<Record<string, number>> }
  | { readonly kind: "whitelist" | "blacklist"; readonly streams: number; readonly pattern: string };

/** The regex as 0.7's `TopicFilter` normalises it: `,` means `|`, spaces and outer quotes dropped. */
export function normaliseTopicPattern(pattern: string): string {
  return pattern
    .trim()
    .replaceAll(",", "|")
    .replaceAll(" ", "")
    .replace(/^["']+/, "")
    .replace(/["']+$/, "");
}

/** The znode value a Java member writes for this subscription (byte for byte). */
export function encodeSubscription(subscription: Subscription): string {
  if (subscription.kind === "static") {
    const entries = Object.entries(subscription.topics).map(([topic, streams]) => `"${topic}": ${streams}`);
    return `{ ${entries.join(",")} }`;
  }
  const marker = subscription.kind === "whitelist" ? "*" : "!";
  return `${marker}${subscription.streams}${marker}${subscription.pattern}`;
}

/**
 * Most streams (threads) a member may ask for per topic. Every member expands the counts of all
 * members into thread ids, so a garbage value in ZooKeeper must not make it allocate without bound.
 */
export const MAX_STREAMS = 10_000;

/** Reads a member's subscription; undefined when the value is not one 0.7 could read either, or asks for more than MAX_STREAMS. */
export function parseSubscription(value: string | null | undefined): Subscription | undefined {
  if (typeof value !== "string") return undefined;
  const marker = value[0];
  if (marker === "*" || marker === "!") {
    const end = value.indexOf(marker, 1);
    const streams = Number(value.slice(1, end));
    if (end < 0 || !Number.isInteger(streams) || streams < 1 || streams > MAX_STREAMS) return undefined;
    return { kind: marker === "*" ? "whitelist" : "blacklist", streams, pattern: value.slice(end + 1) };
  }
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
    const topics: Record<string, number> = {};
    for (const [topic, streams] of Object.entries(parsed)) {
      if (!Number.isInteger(streams) || (streams as number) < 1 || (streams as number) > MAX_STREAMS) return undefined;
      topics[topic] = streams as number;
    }
    return { kind: "static", topics };
  } catch {
    return undefined;
  }
}

/** Streams per topic this subscription asks for, given every topic registered under /brokers/topics. */
export function streamsPerTopic(subscription: Subscription, registeredTopics: readonly string[]): Map<string, number> {
  if (subscription.kind === "static") return new Map(Object.entries(subscription.topics));
  const regex = topicRegex(subscription.pattern);
  const allowed = (topic: string) => regex.test(topic) === (subscription.kind === "whitelist");
  return new Map(registeredTopics.filter(allowed).map((topic) => [topic, subscription.streams]));
}

/** Java's `String.matches`: the whole topic must match. An unreadable pattern matches nothing. */
function topicRegex(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    return /(?!)/;
  }
}
