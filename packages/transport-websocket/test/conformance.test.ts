/**
 * The shared client conformance scenarios (the same ones jest runs on Node over TCP and Deno runs),
 * on Node over WebSocket (the `ws` package's client, as Node 20 has no WebSocket of its own),
 * through `k07 proxy`'s WebSocket listener to an in-process @k07/broker.
 */
import { startBroker, type Broker } from "@k07/broker";
import { startWebSocketProxy, type Proxy } from "@k07/cli";
import { KafkaClient } from "@k07/transport-websocket";
import { scenarios, type ScenarioClientOptions } from "@k07/testing/scenarios.ts";

let broker: Broker;
let proxy: Proxy;
let counter = 0;
beforeAll(async () => {
  broker = await startBroker();
  proxy = await startWebSocketProxy({ brokerHost: broker.host, brokerPort: broker.port });
});
afterAll(async () => {
  await proxy.close();
  await broker.close();
});

for (const scenario of scenarios) {
  test(scenario.name, () =>
    scenario.run({
      client: (options?: ScenarioClientOptions) => new KafkaClient(proxy.host, proxy.port, options),
      topic: () => `ws-conformance-${++counter}`,
    }),
  );
}
