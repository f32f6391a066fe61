// @ts-check
/**
 * StrykerJS configuration for one package at a time; run it through `npm run mutate -- <package>`
 * (scripts/mutate.mjs), which sets K07_MUTATE_PACKAGE. See docs/mutation-testing.md.
 */

/**
 * What each target mutates and which jest files judge the mutants. A package's own test folder,
 * plus the suites elsewhere that exist to exercise it: the client's behaviour is tested through
 * the Node transport (transport-node/test runs the shared conformance scenarios).
 */
export const targets = {
  codec: { mutate: ["packages/codec/src/**/*.ts"], tests: ["packages/codec/test"] },
  client: {
    mutate: ["packages/client/src/**/*.ts"],
    tests: ["packages/client/test", "packages/transport-node/test"],
  },
  broker: {
    mutate: ["packages/broker/src/**/*.ts", "!packages/broker/src/bin.ts"],
    tests: ["packages/broker/test"],
  },
  proxy: {
    mutate: ["packages/proxy/src/**/*.ts"],
    tests: ["packages/proxy/test"],
  },
  cluster: { mutate: ["packages/cluster/src/**/*.ts"], tests: ["packages/cluster/test"] },
  zookeeper: { mutate: ["packages/zookeeper/src/**/*.ts"], tests: ["packages/zookeeper/test"] },
};

const name = process.env.K07_MUTATE_PACKAGE;
const target = name !== undefined && Object.hasOwn(targets, name) ? targets[/** @type {keyof typeof targets} */ (name)] : undefined;
if (target === undefined) {
  throw new Error(`Set K07_MUTATE_PACKAGE to one of ${Object.keys(targets).join(", ")} (or run: npm run mutate -- <package>)`);
}
const packageDir = target.mutate[0].split("/src/")[0];
/** `--tests` of scripts/mutate.mjs: comma-separated test files or folders replacing the target's. */
const tests = process.env.K07_MUTATE_TESTS ? process.env.K07_MUTATE_TESTS.split(",") : target.tests;

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  mutate: target.mutate,
  testRunner: "jest",
  jest: {
    configFile: "jest.config.js",
    // Only the target's suites: a test file is picked up when its path starts with one of `tests`.
    config: {
      testMatch: tests.map((path) => (path.endsWith(".ts") ? `<rootDir>/${path}` : `<rootDir>/${path}/**/*.test.ts`)),
    },
    enableFindRelatedTests: true,
  },
  // Run only the tests that cover a mutant. Static mutants (module-level constants) would need the
  // whole suite per mutant, which this 2-core machine cannot afford; they are skipped and counted
  // as ignored.
  coverageAnalysis: "perTest",
  ignoreStatic: true,
  checkers: ["typescript"],
  tsconfigFile: `${packageDir}/tsconfig.json`,
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  concurrency: 2,
  timeoutMS: 5000,
  // Incremental: a rerun only re-tests mutants whose code or covering tests changed. The file is
  // a local cache (ignored by git, see docs/mutation-testing.md).
  incremental: true,
  incrementalFile: `reports/mutation/${name}.incremental.json`,
  reporters: ["clear-text", "progress-append-only", "html", "json"],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
  ignorePatterns: ["bench/results", ".deno", "reports"],
};
