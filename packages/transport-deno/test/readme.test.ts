/// <reference lib="deno.ns" />
/** The README's Deno example, executed on Deno against the embedded broker (localhost:9092 replaced by its address). */
import { startBrokerProcess } from "./broker-process.ts";

Deno.test({
  name: "the README's Deno example runs as written",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const readme = await Deno.readTextFile(new URL("../../../README.md", import.meta.url));
    const section = readme.slice(readme.indexOf("<!-- section:deno -->"), readme.indexOf("<!-- /section:deno -->"));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    if (block === undefined || !block.includes('new KafkaClient("localhost", 9092)')) throw new Error("the README's Deno section has no example to run");
    const broker = await startBrokerProcess();
    const logged: unknown[][] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void logged.push(args);
    try {
      const source = block.replace('new KafkaClient("localhost", 9092)', `new KafkaClient(${JSON.stringify(broker.host)}, ${broker.port})`);
      await import(`data:application/typescript;base64,${btoa(source)}`);
    } finally {
      console.log = log;
      await broker.stop();
    }
    if (JSON.stringify(logged) !== JSON.stringify([[0, "from deno"]])) throw new Error(`the example printed ${JSON.stringify(logged)}`);
  },
});
