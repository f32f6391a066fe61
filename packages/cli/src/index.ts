/**
 * @k07/cli: the `k07` command, embeddable. The proxy it runs is `@k07/proxy`, re-exported here so
 * that `startProxy` from `@k07/cli` keeps working.
 */
export { runCli, processIo } from "./cli.ts";
export type { CommandIo } from "./commands/io.ts";
export { compileFormat } from "./format.ts";
export {
  DEFAULT_MAX_TOPICS,
  OTHER_TOPICS,
  ProxySession,
  allows,
  startProxy,
  type Operation,
  type Proxy,
  type ProxyActions,
  type ProxyLogEntry,
  type ProxyOptions,
  type ProxyPolicy,
  type ProxySessionOptions,
  type TopicCounters,
  type TopicMatcher,
} from "@k07/proxy";
