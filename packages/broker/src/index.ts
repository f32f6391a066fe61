/**
 * @k07/broker: an embedded Apache Kafka 0.7.2 broker for tests, demos and local development.
 */
export { startBroker, type Broker } from "./broker.ts";
export { resolveBrokerOptions, type BrokerOptions, type ResolvedBrokerOptions } from "./options.ts";
export type { ConnectionEvent } from "./connection.ts";
export { RequestHandler, type RequestOutcome } from "./request-handler.ts";
export { validateProducedSet, type ProduceVerdict } from "./produce-validation.ts";
export { LogManager } from "./log/log-manager.ts";
export { PartitionLog, type LogPolicy, type LogRead } from "./log/partition-log.ts";
export { validPrefixLength } from "./log/recovery.ts";
export { segmentFileName, parseSegmentFileName, type FileRange, type LogPiece } from "./log/segment.ts";
export {
  BROKER_FLAGS,
  brokerArguments,
  brokerUsage,
  describeListenError,
  parseBrokerArguments,
  runBroker,
  runBrokerCommand,
  type BrokerCommandArguments,
  type BrokerCommandIo,
  type BrokerFlag,
  type BrokerFlagValues,
} from "./command.ts";
