/**
 * @k07/zookeeper: Kafka 0.7's ZooKeeper layout and a session wrapper that survives expiry; used by
 * the embedded broker (registration) and by @k07/cluster (discovery, consumer groups).
 */
export { ZooKeeperSession, ZooKeeperError, NODE_EXISTS, NO_NODE, type ZooKeeperOptions, type ChangeWatcher } from "./session.ts";
export * from "./layout.ts";
export { BrokerRegistration, type BrokerRegistrationOptions } from "./broker-registration.ts";
export { startLocalZooKeeper, zooKeeperUnavailableReason, type LocalZooKeeper } from "./local-server.ts";
