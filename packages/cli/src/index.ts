/**
 * @k07/cli: the `k07` command, and the protocol-aware proxy it runs, embeddable.
 */
export { runCli, processIo } from "./cli.ts";
export type { CommandIo } from "./commands/io.ts";
export { compileFormat } from "./format.ts";
export { startProxy, type Proxy, type ProxyOptions } from "./proxy/proxy-server.ts";
export { startWebSocketProxy, originRefusal, DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES, type WebSocketProxyOptions } from "./proxy/ws-bridge.ts";
export { browserBundleRoutes, serveStatic, type StaticFiles } from "./proxy/static-files.ts";
export { DEFAULT_MAX_TOPICS, OTHER_TOPICS, ProxySession, type ProxyActions, type ProxyLogEntry, type ProxySessionOptions, type TopicCounters } from "./proxy/proxy-session.ts";
export { allows, type Operation, type ProxyPolicy, type TopicMatcher } from "./proxy/policy.ts";
