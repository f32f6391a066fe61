/**
 * The README's client example, executed: its TypeScript block is transpiled, pointed at an embedded
 * broker instead of localhost:9092, and run by Node as a user would run it.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { startBroker, type Broker } from "@k07/broker";

const root = resolve(__dirname, "../../..");

/** The ```ts blocks of one README section. */
function readmeBlocks(section: string): string[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf(`<!-- section:${section} -->`);
  const end = readme.indexOf(`<!-- /section:${section} -->`);
  if (start < 0 || end < start) throw new Error(`README has no ${section} section`);
  return [...readme.slice(start, end).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

let broker: Broker;
let dir: string;
beforeAll(async () => {
  if (!existsSync(join(root, "packages/transport-node/dist/index.js"))) execFileSync("npx", ["tsc", "-b"], { cwd: root });
  broker = await startBroker({ numPartitions: 1 });
  dir = mkdtempSync(join(tmpdir(), "k07-readme-"));
});
afterAll(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

test("the client section's example runs against a broker and prints what it fetched", async () => {
  const [block] = readmeBlocks("client");
  expect(block).toContain('new KafkaClient("localhost", 9092)');
  const source = block!
    .replace('new KafkaClient("localhost", 9092)', `new KafkaClient("127.0.0.1", ${broker.port})`)
    .replace(/from "@k07\/([a-z-]+)"/g, (_m, pkg: string) => `from "${pathToFileURL(join(root, `packages/${pkg}/dist/index.js`)).href}"`);
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const file = join(dir, "client-example.mjs");
  writeFileSync(file, js);
  // Asynchronously: the broker runs in this process and must keep answering.
  const { stdout: output } = await promisify(execFile)(process.execPath, [file], { encoding: "utf8", timeout: 20_000 });
  expect(output).toContain("next fetch at");
  expect(output).toMatch(/0 22 1 0 12 some message/);
  expect(output).toContain("offsets [");
});
