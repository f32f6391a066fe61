/// <reference lib="deno.ns" />
/**
 * The shared client conformance scenarios (the same ones jest runs on Node), on Deno, against the
 * embedded broker started as a subprocess; plus Deno-side checks of zero-copy and backpressure.
 */
import { FetchRequest, KafkaClient, ProduceRequest, createMessage, denoTransport, encodeProduceRequest } from "@k07/transport-deno";
import { scenarios, type ScenarioClientOptions } from "@k07/testing/scenarios.ts";
import { startBrokerProcess } from "./broker-process.ts";

const broker = await startBrokerProcess();
let counter = 0;

for (const scenario of scenarios) {
  Deno.test({
    name: scenario.name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () =>
      scenario.run({
        client: (options?: ScenarioClientOptions) => new KafkaClient(broker.host, broker.port, options),
        topic: () => `deno-conformance-${++counter}`,
      }),
  });
}

Deno.test("payload views share the buffer Deno read them into, and stay valid after later reads", async () => {
  const kafka = new KafkaClient(broker.host, broker.port);
  const topic = `deno-zero-copy-${++counter}`;
  await kafka.sendMessagesSimple(topic, 0, "alpha", "beta");
  await kafka.confirm();
  const [messages] = await kafka.getMessageSet(new FetchRequest(topic, 0, 0, 4096));
  const buffer = messages[0]!.payload.buffer;
  if (!messages.every((m) => m.payload.buffer === buffer)) throw new Error("payloads do not share the received buffer");
  // Many more reads on the same connection must not overwrite the views held above.
  for (let i = 0; i < 50; i++) await kafka.getMessageSet(new FetchRequest(topic, 0, 0, 4096));
  const texts = messages.map((m) => m.text()).join(",");
  if (texts !== "alpha,beta") throw new Error(`views were overwritten: ${texts}`);
  await kafka.close();
});

Deno.test("the transport says when to wait (write returns false) and signals drain", async () => {
  let drains = 0;
  let closed = false;
  const connection = await denoTransport.connect(
    { host: broker.host, port: broker.port },
    { data: () => {}, drain: () => drains++, closed: () => (closed = true) },
    new AbortController().signal,
  );
  const frame = encodeProduceRequest(new ProduceRequest(`deno-bp-${++counter}`, 0, [createMessage(new Uint8Array(200_000))]));
  let writes = 0;
  while (connection.write(frame)) writes++;
  if (writes * frame.length > 2 * 1024 * 1024) throw new Error(`accepted ${writes} frames before asking to wait`);
  for (let i = 0; i < 100 && drains === 0; i++) await new Promise((r) => setTimeout(r, 20));
  if (drains === 0) throw new Error("no drain after the queue was written");
  await connection.end();
  if (!closed) throw new Error("end() did not close");
});

Deno.test("a 3 MiB fetch, read straight into its own buffer, arrives whole and correct", async () => {
  const kafka = new KafkaClient(broker.host, broker.port);
  const topic = `deno-big-fetch-${++counter}`;
  const payloads = Array.from({ length: 3000 }, (_, i) => Uint8Array.from({ length: 1000 }, (_, j) => (i + j) & 0xff));
  for (let i = 0; i < payloads.length; i += 500) await kafka.sendMessageSet(new ProduceRequest(topic, 0, payloads.slice(i, i + 500)));
  await kafka.confirm();
  const [messages] = await kafka.getMessageSet(new FetchRequest(topic, 0, 0, 4 * 1024 * 1024));
  if (messages.length !== payloads.length) throw new Error(`${messages.length} messages`);
  messages.forEach((m, i) => {
    if (m.payload.join() !== payloads[i]!.join()) throw new Error(`message ${i} differs`);
  });
  const buffer = messages[0]!.payload.buffer;
  if (!messages.every((m) => m.payload.buffer === buffer) || buffer.byteLength !== 2 + 3000 * 1010) {
    throw new Error("the payloads are not views of one buffer of the response's size");
  }
  await kafka.close();
});

Deno.test({
  name: "stop the broker",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => broker.stop(),
});
