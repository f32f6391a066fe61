/** Balanced consumer groups that interoperate with Kafka 0.7 Java consumers (protocol §9.2, §9.3). */
export { GroupConsumer, RebalanceFailedError } from "./group-consumer.ts";
export { GroupMessage } from "./owned-partition.ts";
export type { GroupConsumerOptions } from "./options.ts";
export type { GroupEvent } from "./events.ts";
export { rangeAssign, threadIdsOf, compareAsStrings } from "./assignment.ts";
export { encodeSubscription, parseSubscription, normaliseTopicPattern, type Subscription } from "./subscription.ts";
export { makeConsumerId } from "./consumer-id.ts";
export { describeGroup, listGroups, type GroupStatus, type GroupPartitionStatus } from "./group-status.ts";
