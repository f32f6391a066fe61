/**
 * The TypeScript examples of the README and the docs, executed: each block is transpiled, pointed at
 * an embedded broker instead of localhost:9092 where it uses one, and run by Node as a user would
 * run it, importing the built packages.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { startBroker, type Broker } from "@k07/broker";
import { codeBlocks, markdownSection } from "@k07/testing/markdown.ts";

const root = resolve(__dirname, "../../..");

/** The ```ts blocks of one section of a Markdown file of the repository. */
function examples(file: string, section: string): string[] {
  return codeBlocks(markdownSection(readFileSync(join(root, file), "utf8"), section, file), "ts");
}

/** Runs an example's source with Node, `@k07/*` imports resolved to the built packages; its stdout. */
async function run(name: string, source: string): Promise<string> {
  const withBuiltImports = source.replace(
    /from "@k07\/([a-z-]+)"/g,
    (_m, pkg: string) => `from "${pathToFileURL(join(root, `packages/${pkg}/dist/index.js`)).href}"`,
  );
  const js = ts.transpileModule(withBuiltImports, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, js);
  // Asynchronously: the broker runs in this process and must keep answering.
  const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: dir, encoding: "utf8", timeout: 20_000 });
  return stdout;
}

let broker: Broker;
let dir: string;
beforeAll(async () => {
  if (!existsSync(join(root, "packages/transport-node/dist/index.js"))) execFileSync("npx", ["tsc", "-b"], { cwd: root });
  broker = await startBroker({ numPartitions: 1 });
  dir = mkdtempSync(join(tmpdir(), "k07-docs-"));
});
afterAll(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

test("the README's client example runs against a broker and prints what it fetched", async () => {
  const [block] = examples("README.md", "client");
  expect(block).toContain('new KafkaClient("localhost", 9092)');
  const output = await run("client", block!.replace('new KafkaClient("localhost", 9092)', `new KafkaClient("127.0.0.1", ${broker.port})`));
  expect(output).toContain("next fetch at");
  expect(output).toMatch(/0 22 1 0 12 some message/);
  expect(output).toContain("offsets [");
});

test("the README's broker example starts a broker on a free port and stops it", async () => {
  const [block] = examples("README.md", "broker");
  expect(await run("broker", block!)).toMatch(/^127\.0\.0\.1:\d+\n$/);
});

test("the compression example prints the offsets its comment promises", async () => {
  const [block] = examples("docs/compression.md", "compression");
  expect(block).toContain("// 1000 1000 hello, then 1000 1056 world");
  expect(await run("compression", block!)).toBe("1000 1000 hello\n1000 1056 world\n");
});
