/** The shared client conformance scenarios, on Node, against an in-process @k07/broker. */
import { startBroker, type Broker } from "@k07/broker";
import { KafkaClient } from "@k07/transport-node";
import { scenarios, type ScenarioClientOptions } from "@k07/testing/scenarios.ts";

let broker: Broker;
let counter = 0;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(() => broker.close());

for (const scenario of scenarios) {
  test(scenario.name, () =>
    scenario.run({
      client: (options?: ScenarioClientOptions) => new KafkaClient(broker.host, broker.port, options),
      topic: () => `node-conformance-${++counter}`,
    }),
  );
}
