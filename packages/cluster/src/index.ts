/**
 * @k07/cluster: Kafka 0.7 clusters coordinated by ZooKeeper — discovery, a partitioning producer,
 * and balanced consumer groups that interoperate with 0.7's Java clients.
 */
export { ClusterView } from "./cluster-view.ts";
export { Producer, BrokerUnavailableError, type ProducerOptions } from "./producer.ts";
export { InvalidPartitionError, javaCompatiblePartitioner, javaStringHashCode, type Partitioner } from "./partitioner.ts";
// groups
export * from "./group/index.ts";
