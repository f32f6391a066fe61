// Builds dist/k07-browser.js: the whole client (codec with gzip and snappy, client, WebSocket
// transport) as one minified ES module for a <script type="module">, from the tsc output in dist/.
// The `ws` package (Node 20's WebSocket client) is replaced by an empty module: browsers have their
// own WebSocket. Building for the browser platform makes any Node built-in an error.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

const withoutWs = {
  name: "without-ws",
  setup(builder) {
    builder.onResolve({ filter: /^ws$/ }, () => ({ path: "ws", namespace: "without-ws" }));
    builder.onLoad({ filter: /.*/, namespace: "without-ws" }, () => ({ contents: "export const WebSocket = undefined;", loader: "js" }));
  },
};

const result = await build({
  entryPoints: [`${here}dist/index.js`],
  outfile: `${here}dist/k07-browser.js`,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  // Error classes name themselves after their class (`error.name` is "UnknownBrokerError"): keep the names.
  keepNames: true,
  sourcemap: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  plugins: [withoutWs],
});

const nodeInputs = Object.keys(result.metafile.inputs).filter((input) => /^node:|(^|\/)node_modules\/ws\//.test(input));
if (nodeInputs.length > 0) {
  console.error(`k07-browser.js must not contain Node code, but includes: ${nodeInputs.join(", ")}`);
  process.exit(1);
}
