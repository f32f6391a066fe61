/** Jest runs the TypeScript sources directly (no build needed); `tsc -b` type-checks them separately. */
export default {
  testEnvironment: "node",
  roots: ["<rootDir>/packages"],
  testMatch: ["**/test/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "/dist/", "/packages/transport-deno/", "<rootDir>/.stryker-tmp/"],
  moduleNameMapper: {
    // The private test-helper workspace is imported by module (`@k07/testing/scenarios.ts`), not by index.
    "^@k07/testing/(.*)$": "<rootDir>/packages/testing/src/$1",
    "^@k07/(.*)$": "<rootDir>/packages/$1/src/index.ts",
    "^(\\.{1,2}/.*)\\.js$": "$1",
  },
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.jest.json" }],
  },
  testTimeout: 30000,
  // A failed test can leave a broker, socket or ZooKeeper session open; the run must still end
  // (`jest --detectOpenHandles` over the passing suite reports none).
  forceExit: true,
};
