// ESLint: JavaScript's recommended rules everywhere, and typescript-eslint's type-aware recommended rules
// on the TypeScript that tsc checks (sources and tests, through tsconfig.test.json's one program).
// Formatting is Prettier's job (prettier.config.js), so there are no stylistic rules here.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

/** A leading underscore marks a name that is unused on purpose (`for await (const _ of …)`). */
const unusedVars = ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" }];

export default defineConfig(
  { ignores: ["**/dist/", "**/node_modules/", ".deno/", "coverage/"] },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  js.configs.recommended,
  {
    rules: {
      "no-unused-vars": unusedVars,
      // An empty catch is how the code says "this failure is expected and changes nothing".
      "no-empty": ["error", { allowEmptyCatch: true }],
    },
  },
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: "./tsconfig.test.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": unusedVars,
      // A failure kept and rethrown or passed on later is whatever was caught (`unknown`). only-throw-error
      // cannot tell `if (this.failure !== undefined) throw this.failure` (five such rethrows, no other
      // finding) from throwing a string, so it is off; rejections keep the check for non-`unknown` values.
      "@typescript-eslint/only-throw-error": "off",
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true }],
      // Its findings are cosmetic (a cast that restates a narrowing) and it flags deliberate casts, such
      // as a test's `0 as 1` that hands an API a value its type forbids.
      "@typescript-eslint/no-unnecessary-type-assertion": "off",
      // `async` without `await` is deliberate here: it turns a synchronous throw into a rejection
      // (command handlers, an async iterator's return()).
      "@typescript-eslint/require-await": "off",
      // Functions taken from interfaces declared with method syntax (io.err, a ledger entry's reject,
      // node:path's join) do not use `this`; the rule cannot tell and flags each one.
      "@typescript-eslint/unbound-method": "off",
    },
  },
  {
    // Tests drive untyped peers on purpose (prozess, franz-kafka, snappyjs, KafkaJS internals, a child
    // process's JSON): `any` at those seams is the point, not a leak.
    files: ["packages/*/test/**/*.ts"],
    rules: {
      // A peer's callback error is passed on as the peer reported it.
      "@typescript-eslint/prefer-promise-reject-errors": "off",
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    // Commander hands each action its parsed options as `any`; each command checks its options itself.
    files: ["packages/cli/src/cli.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
    },
  },
  {
    // Outside tsconfig.test.json's program: the Deno package (Deno's checker covers it, `npm run
    // test:deno`) and the codec's ambient declarations (its own build checks them). No type information.
    files: ["packages/transport-deno/**/*.ts", "packages/codec/src/text-coding.d.ts"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { parserOptions: { project: null } },
  },
  {
    files: ["**/*.{js,mjs,cjs}"],
    languageOptions: { globals: globals.node },
  },
  {
    // The example page's script runs in a browser.
    files: ["examples/browser/**/*.js"],
    languageOptions: { globals: globals.browser },
  },
);
