import { realpathSync } from "node:fs";
import { createRequire } from "node:module";

/**
 * The browser bundle of @k07/transport-websocket and its source map, as routes, resolved from the
 * running `k07` program (`process.argv[1]`, through symbolic links as npm installs bins). Undefined
 * when the package cannot be found from there.
 */
export function browserBundleRoutes(program = process.argv[1]): Record<string, string> | undefined {
  if (program === undefined) return undefined;
  try {
    const bundle = createRequire(realpathSync(program)).resolve("@k07/transport-websocket/k07-browser.js");
    return { "/k07-browser.js": bundle, "/k07-browser.js.map": `${bundle}.map` };
  } catch {
    return undefined;
  }
}
