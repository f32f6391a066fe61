/// <reference lib="deno.ns" />
/**
 * The Deno example of docs/client.md, executed on Deno as written: it gets the embedded broker's
 * host and port as its arguments (`Deno.args`), as it would from `deno run example.ts host port`.
 */
import { codeBlocks, markdownSection } from "@k07/testing/markdown.ts";
import { startBrokerProcess } from "./broker-process.ts";

const DOC = "docs/client.md";

Deno.test({
  name: "the Deno example of docs/client.md runs against the broker named by its arguments",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const markdown = await Deno.readTextFile(new URL(`../../../${DOC}`, import.meta.url));
    const [block] = codeBlocks(markdownSection(markdown, "deno", DOC), "ts");
    if (block === undefined || !block.includes("Deno.args")) throw new Error(`the Deno section of ${DOC} has no example taking its arguments`);
    const broker = await startBrokerProcess();
    const args = Object.getOwnPropertyDescriptor(Deno, "args")!;
    Object.defineProperty(Deno, "args", { value: [broker.host, String(broker.port)], configurable: true });
    const logged: unknown[][] = [];
    const log = console.log;
    console.log = (...values: unknown[]) => void logged.push(values);
    try {
      await import(`data:application/typescript;base64,${btoa(block)}`);
    } finally {
      console.log = log;
      Object.defineProperty(Deno, "args", args);
      await broker.stop();
    }
    if (JSON.stringify(logged) !== JSON.stringify([[0, "from deno"]])) throw new Error(`the example printed ${JSON.stringify(logged)}`);
  },
});
