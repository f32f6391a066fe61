// The client over WebSocket through `k07 proxy --listen-ws`, against the TCP proxy and direct, in
// one run, on Node (the `ws` package's client, as a browser-less stand-in): produce then consume
// 200,000 × 100-byte messages each way. Broker and proxies run in child processes.
// Writes bench/results/websocket.json.
import { writeFileSync } from "node:fs";
import { KafkaClient } from "../packages/transport-node/dist/index.js";
import { KafkaClient as WebSocketClient } from "../packages/transport-websocket/dist/index.js";
import { measureThroughput, startChild } from "./k07-children.mjs";

const MESSAGES = Number(process.env.MESSAGES ?? 200_000);

function measure(Client, address, topic) {
  const [host, port] = address.split(":");
  return measureThroughput(new Client(host, Number(port)), topic, MESSAGES);
}

const broker = await startChild(["broker", "--port", "0"]);
const tcpProxy = await startChild(["proxy", "--listen", "127.0.0.1:0", "--broker", broker.address]);
const wsProxy = await startChild(["proxy", "--listen-ws", "127.0.0.1:0", "--broker", broker.address]);
try {
  const ways = [
    ["direct", KafkaClient, broker.address],
    ["tcpProxy", KafkaClient, tcpProxy.address],
    ["webSocketProxy", WebSocketClient, wsProxy.address],
  ];
  for (const [name, Client, address] of ways) await measure(Client, address, `warm-${name}`);
  const result = { node: process.version, messages: MESSAGES };
  for (const [name, Client, address] of ways) result[name] = await measure(Client, address, name);
  const ratio = (a, b) => +(a / b).toFixed(2);
  result.ratios = {
    webSocketVsDirect: {
      produce: ratio(result.webSocketProxy.produce, result.direct.produce),
      consume: ratio(result.webSocketProxy.consume, result.direct.consume),
    },
    webSocketVsTcpProxy: {
      produce: ratio(result.webSocketProxy.produce, result.tcpProxy.produce),
      consume: ratio(result.webSocketProxy.consume, result.tcpProxy.consume),
    },
    tcpProxyVsDirect: {
      produce: ratio(result.tcpProxy.produce, result.direct.produce),
      consume: ratio(result.tcpProxy.consume, result.direct.consume),
    },
  };
  const f = (n) => n.toLocaleString("en");
  console.log(`WebSocket proxy vs TCP proxy vs direct, ${f(MESSAGES)} × 100 B messages (msg/s)`);
  for (const half of ["produce", "consume"]) {
    console.log(
      `  ${half}: WebSocket ${f(result.webSocketProxy[half])}, TCP proxy ${f(result.tcpProxy[half])}, direct ${f(result.direct[half])}` +
        ` (WebSocket ÷ direct ${result.ratios.webSocketVsDirect[half]}×, ÷ TCP proxy ${result.ratios.webSocketVsTcpProxy[half]}×)`,
    );
  }
  writeFileSync(new URL("./results/websocket.json", import.meta.url), JSON.stringify(result, null, 2) + "\n");
} finally {
  wsProxy.child.kill("SIGTERM");
  tcpProxy.child.kill("SIGTERM");
  broker.child.kill("SIGTERM");
}
