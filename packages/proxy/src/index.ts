/**
 * @k07/proxy: a protocol-aware Kafka 0.7 proxy (the one `k07 proxy` runs), embeddable: per-topic
 * allow lists, a request log, per-topic counters and backpressure end to end.
 */
export { checkMaxTopics, proxySession, startProxy, type Proxy, type ProxyOptions } from "./proxy-server.ts";
export { startWebSocketProxy, originRefusal, DEFAULT_MAX_WEBSOCKET_MESSAGE_BYTES, type WebSocketProxyOptions } from "./ws-bridge.ts";
export { serveStatic, type StaticFiles } from "./static-files.ts";
export {
  DEFAULT_MAX_TOPICS,
  OTHER_TOPICS,
  ProxySession,
  type ProxyActions,
  type ProxyLogEntry,
  type ProxySessionOptions,
  type TopicCounters,
} from "./proxy-session.ts";
export { allows, type Operation, type ProxyPolicy, type TopicMatcher } from "./policy.ts";
