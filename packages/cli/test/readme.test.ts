/** The README's CLI session, executed: its shell block runs against a broker and must print the text block under it. */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { startBroker, type Broker } from "@k07/broker";
import { codeBlocks, markdownSection } from "@k07/testing/markdown.ts";
import { ensureBuilt, root } from "./run-cli.ts";

let broker: Broker;
beforeAll(async () => {
  ensureBuilt();
  broker = await startBroker();
});
afterAll(() => broker.close());

test("the CLI section's shell session prints exactly the output the README shows", async () => {
  const section = markdownSection(readFileSync(join(root, "README.md"), "utf8"), "cli", "README.md");
  const [script] = codeBlocks(section, "sh");
  const [expected] = codeBlocks(section, "text");
  if (script === undefined || expected === undefined) throw new Error("the README's CLI section needs a sh block and a text block");
  const k07 = join(root, "packages/cli/bin/k07.js");
  const shell = `k07() { "${process.execPath}" "${k07}" "$@"; }\nset -e\n` + script.replaceAll("localhost:9092", broker.address);
  const { stdout } = await promisify(execFile)("bash", ["-c", shell], { cwd: root, timeout: 20_000 });
  expect(stdout).toBe(expected);
});
