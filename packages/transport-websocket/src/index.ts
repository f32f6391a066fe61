/**
 * k07 over WebSocket: the Kafka 0.7 `KafkaClient` for browsers (and Deno, Node), talking to a
 * `k07 proxy --listen-ws`, which bridges each WebSocket to a TCP connection to the broker. Same API
 * as `@k07/transport-node`, with everything a user needs from the codec and client re-exported.
 */
import { KafkaClient as BaseKafkaClient, type ClientOptions, type Transport } from "@k07/client";
import { platformWebSocket } from "./platform-websocket.ts";
import { createWebSocketTransport, type WebSocketConstructor } from "./websocket-transport.ts";

export * from "@k07/client";
export {
  WEBSOCKET_HIGH_WATER_BYTES,
  WEBSOCKET_MESSAGE_BYTES,
  WebSocketCloseError,
  closeCodeMeaning,
  createWebSocketTransport,
  webSocketUrl,
  type WebSocketConstructor,
  type WebSocketLike,
  type WebSocketProvider,
  type WebSocketTransportOptions,
} from "./websocket-transport.ts";
export { platformWebSocket } from "./platform-websocket.ts";

/** Options of the WebSocket client: the client's, plus where the proxy is and which WebSocket to use. */
export interface WebSocketClientOptions extends ClientOptions {
  /** `true` connects with `wss://` (the proxy behind a TLS-terminating web server). */
  readonly tls?: boolean;
  /** The URL path of the proxy's WebSocket endpoint. Default "/". */
  readonly path?: string;
  /** The WebSocket class to use. Default: the runtime's (`ws` on Node 20). */
  readonly webSocket?: WebSocketConstructor;
  /** A transport of your own instead (then `path` and `webSocket` are not used). */
  readonly transport?: Transport;
}

/** `new KafkaClient("localhost", 9094)`: a Kafka 0.7 client over `ws://localhost:9094/` (lazy connect). */
export class KafkaClient extends BaseKafkaClient {
  constructor(host: string, port: number, options: WebSocketClientOptions = {}) {
    const { path, webSocket, ...clientOptions } = options;
    const provider = webSocket === undefined ? platformWebSocket : () => webSocket;
    super(host, port, { ...clientOptions, transport: options.transport ?? createWebSocketTransport({ webSocket: provider, path }) });
  }
}
