#!/usr/bin/env node
/**
 * `npm run mutate -- <package> [--tests <files>] [stryker options]`: mutation-test one package with
 * StrykerJS. `--tests a.test.ts,b.test.ts` judges mutants by those jest files only (quicker while
 * killing survivors of one file). Other options go to `stryker run`, e.g.
 * `--mutate "packages/codec/src/compression/**"` for one file group or `--concurrency 1` on a busy
 * machine. See docs/mutation-testing.md.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const [target, ...rest] = process.argv.slice(2);
const strykerArgs = [];
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === "--tests") process.env.K07_MUTATE_TESTS = rest[++i] ?? "";
  else strykerArgs.push(rest[i]);
}
process.env.K07_MUTATE_PACKAGE = target ?? "";
// Importing the config validates the name and lists the choices if it is wrong.
await import("../stryker.config.mjs").catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
});

// The package exports no bin path, so find the CLI next to its package.json.
const corePackage = createRequire(import.meta.url).resolve("@stryker-mutator/core/package.json");
const stryker = join(dirname(corePackage), "bin", "stryker.js");
const result = spawnSync(process.execPath, [stryker, "run", "stryker.config.mjs", ...strykerArgs], {
  cwd: root,
  stdio: "inherit",
  env: process.env,
});
process.exit(result.status ?? 1);
