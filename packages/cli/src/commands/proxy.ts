import { statSync } from "node:fs";
import { describeListenError } from "@k07/broker";
import { CliError, parseAddress, parseInteger } from "../address.ts";
import { OTHER_TOPICS, startProxy, startWebSocketProxy, type Proxy, type TopicCounters } from "@k07/proxy";
import { browserBundleRoutes } from "../browser-bundle.ts";
import type { CommandIo } from "./io.ts";

export interface ProxyCommandOptions {
  listen?: string;
  listenWs?: string;
  allowOrigin?: string;
  maxWsMessage?: string;
  serve?: string;
  broker: string;
  allowProduce?: string;
  allowFetch?: string;
  allowOffsets?: string;
  log?: boolean;
  maxTopics?: string;
}

const list = (value: string | undefined) =>
  value === undefined
    ? undefined
    : value
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);

/**
 * `k07 proxy`: forwards clients to a broker with topic allow lists and a JSON request log on stderr;
 * TCP clients on --listen, web pages over WebSocket on --listen-ws (one counter set for both).
 */
export async function proxyCommand(options: ProxyCommandOptions, io: CommandIo): Promise<number> {
  const webSocketOnly = ["allowOrigin", "maxWsMessage", "serve"] as const;
  for (const option of webSocketOnly) {
    if (options[option] !== undefined && options.listenWs === undefined)
      throw new CliError(`--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --listen-ws`);
  }
  if (options.serve !== undefined && !statSync(options.serve, { throwIfNoEntry: false })?.isDirectory())
    throw new CliError(`--serve: ${options.serve} is not a directory`);
  const broker = parseAddress(options.broker);
  const counters = new Map<string, TopicCounters>();
  const common = {
    brokerHost: broker.host,
    brokerPort: broker.port,
    policy: { produce: list(options.allowProduce), fetch: list(options.allowFetch), offsets: list(options.allowOffsets) },
    maxTopics: options.maxTopics === undefined ? undefined : parseInteger("--max-topics", options.maxTopics, 0),
    log: options.log ? (entry: object) => io.err(JSON.stringify(entry)) : undefined,
    onClose: options.log ? (client: string, reason: string) => io.err(JSON.stringify({ client, closed: reason })) : undefined,
    counters,
  };
  const listeners: Proxy[] = [];
  /** Starts one listener; if it cannot listen, the ones started are closed and one line says why. */
  const listen = async (flag: string, start: () => Promise<Proxy>): Promise<Proxy> => {
    try {
      const proxy = await start();
      listeners.push(proxy);
      return proxy;
    } catch (error) {
      await Promise.all(listeners.map((proxy) => proxy.close()));
      throw new Error(describeListenError(error, flag), { cause: error });
    }
  };
  if (options.listen !== undefined || options.listenWs === undefined) {
    const address = parseAddress(options.listen ?? "127.0.0.1:9093", 9093);
    const proxy = await listen("--listen", () => startProxy({ ...common, host: address.host, port: address.port }));
    io.out(`k07 proxy listening on ${proxy.address}, forwarding to ${broker.host}:${broker.port}\n`);
  }
  if (options.listenWs !== undefined) {
    const address = parseAddress(options.listenWs, 9094);
    const routes = options.serve === undefined ? undefined : browserBundleRoutes();
    if (options.serve !== undefined && routes === undefined)
      io.err("k07 proxy: @k07/transport-websocket is not installed next to k07: /k07-browser.js is not served");
    const maxMessageBytes = options.maxWsMessage === undefined ? undefined : parseInteger("--max-ws-message", options.maxWsMessage, 1);
    const proxy = await listen("--listen-ws", () =>
      startWebSocketProxy({
        ...common,
        host: address.host,
        port: address.port,
        allowOrigins: list(options.allowOrigin),
        maxMessageBytes,
        files: options.serve === undefined ? undefined : { dir: options.serve, routes },
      }),
    );
    const page = options.serve === undefined ? "" : `, serving ${options.serve} at http://${proxy.address}/`;
    io.out(`k07 proxy listening for WebSockets on ws://${proxy.address}/${page}, forwarding to ${broker.host}:${broker.port}\n`);
  }
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await Promise.all(listeners.map((proxy) => proxy.close()));
  for (const [topic, c] of counters)
    io.err(
      `${topic === OTHER_TOPICS ? "(other topics)" : topic}: ${c.requests} requests, ${c.bytesProduced} bytes produced, ${c.bytesFetched} bytes fetched, ${c.denied} denied`,
    );
  return 0;
}
