import type { WebSocketConstructor } from "./websocket-transport.ts";

/**
 * The runtime's WebSocket class: `globalThis.WebSocket` in browsers, Deno and Node 22+; on Node 20,
 * which has none, the `ws` package's client, imported only then (the browser bundle replaces `ws`
 * by an empty module, so it carries no Node code).
 */
export async function platformWebSocket(): Promise<WebSocketConstructor> {
  const native = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof native === "function") return native as WebSocketConstructor;
  const ws = (await import("ws")) as { WebSocket?: unknown };
  if (typeof ws.WebSocket !== "function") throw new Error("this runtime has no WebSocket, and the ws package is not available");
  return ws.WebSocket as WebSocketConstructor;
}
