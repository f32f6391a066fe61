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
  originRefusal,
  serveStatic,
  startProxy,
  startWebSocketProxy,
  DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES,
  type Operation,
  type Proxy,
  type ProxyActions,
  type ProxyLogEntry,
  type ProxyOptions,
  type ProxyPolicy,
  type ProxySessionOptions,
  type StaticFiles,
  type WebSocketProxyOptions,
  type TopicCounters,
  type TopicMatcher,
} from "@k07/proxy";
export { browserBundleRoutes } from "./browser-bundle.ts";
