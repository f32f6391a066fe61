/**
 * The client in a real browser: Debian's Chromium, driven by puppeteer-core, loads
 * dist/k07-browser.js from `k07 proxy --listen-ws` and talks to the embedded broker through it.
 * The page runs the shared client conformance scenarios (the file jest and Deno run, bundled for
 * the page against the bundle's exports), a denied topic fails with a typed error, a page from
 * another origin is refused, and examples/browser's live tail shows messages produced from Node.
 *
 * Chromium comes from `.ci/install-system-deps`; where it is missing the suite is skipped with one
 * line, unless K07_REQUIRE_CHROMIUM=1 (CI), which makes a missing browser a failure.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { startBroker, type Broker } from "@k07/broker";
import { startWebSocketProxy, type Proxy } from "@k07/cli";
import * as nodeClientExports from "@k07/transport-node";
import { KafkaClient as NodeClient } from "@k07/transport-node";
import { scenarios } from "@k07/testing/scenarios.ts";

const CHROMIUM = process.env.K07_CHROMIUM ?? "/usr/bin/chromium";
const root = join(__dirname, "../../..");
const bundle = join(root, "packages/transport-websocket/dist/k07-browser.js");
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.K07_REQUIRE_CHROMIUM === "1") {
  // A failing test rather than a skip, so that CI counts it.
  test("Chromium is installed (K07_REQUIRE_CHROMIUM=1)", () => {
    throw new Error(`K07_REQUIRE_CHROMIUM=1 but there is no browser at ${CHROMIUM} (.ci/install-system-deps installs Debian's chromium)`);
  });
} else if (!hasChromium) {
  console.log(`skipping the browser suite: no Chromium at ${CHROMIUM} (run .ci/install-system-deps)`);
}
const describeInBrowser = hasChromium ? describe : describe.skip;

/** The harness page: the bundle and the scenarios, with a runner the test calls by scenario name. */
const HARNESS = `<!doctype html><meta charset="utf-8"><title>k07 conformance</title>
<script type="module">
import * as k07 from "/k07-browser.js";
import { scenarios } from "/scenarios.js";
let topics = 0;
const context = {
  client: (options) => new k07.KafkaClient(location.hostname, Number(location.port), options),
  topic: () => "browser-" + Date.now() + "-" + ++topics,
};
window.k07 = k07;
window.runScenario = async (name) => {
  try {
    await scenarios.find((s) => s.name === name).run(context);
    return "ok";
  } catch (error) {
    return String(error && error.stack || error);
  }
};
window.ready = true;
</script>`;

describeInBrowser("the client in Chromium, through k07 proxy --listen-ws", () => {
  let broker: Broker;
  let proxy: Proxy;
  let cli: ChildProcess;
  let cliAddress = "";
  let browser: Browser;
  let page: Page;
  const served = mkdtempSync(join(tmpdir(), "k07-browser-"));

  beforeAll(async () => {
    if (!existsSync(bundle)) execFileSync("npm", ["run", "build"], { cwd: root });
    // The scenarios for the page: their `@k07/client` imports become the bundle the page loaded, so
    // errors thrown by the bundle's client are the classes the scenarios check with instanceof.
    await build({
      entryPoints: [join(root, "packages/testing/src/scenarios.ts")],
      outfile: join(served, "scenarios.js"),
      bundle: true,
      format: "esm",
      platform: "browser",
      logLevel: "warning",
      plugins: [
        {
          name: "client-is-the-bundle",
          setup: (b) => b.onResolve({ filter: /^@k07\/client$/ }, () => ({ path: "/k07-browser.js", external: true })),
        },
      ],
    });
    writeFileSync(join(served, "index.html"), HARNESS);
    broker = await startBroker();
    proxy = await startWebSocketProxy({
      brokerHost: broker.host,
      brokerPort: broker.port,
      policy: { fetch: (topic) => topic !== "secret", produce: (topic) => topic !== "secret" },
      files: { dir: served, routes: { "/k07-browser.js": bundle } },
    });
    // The real command, serving the example page (and the bundle it resolves from its own install).
    cli = spawn(
      process.execPath,
      [
        join(root, "packages/cli/bin/k07.js"),
        "proxy",
        "--broker",
        `${broker.host}:${broker.port}`,
        "--listen-ws",
        "127.0.0.1:0",
        "--serve",
        join(root, "examples/browser"),
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    cliAddress = await new Promise<string>((resolve, reject) => {
      let out = "";
      cli.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /WebSockets on ws:\/\/([\d.]+:\d+)\//.exec(out);
        if (match) resolve(match[1]!);
      });
      cli.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()));
      cli.on("exit", (code) => reject(new Error(`k07 proxy exited (${code}): ${out}`)));
    });
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    page = await browser.newPage();
    await page.goto(`http://${proxy.address}/`);
    await page.waitForFunction("window.ready === true", { timeout: 10_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    cli?.kill("SIGTERM");
    await proxy?.close();
    await broker?.close();
    rmSync(served, { recursive: true, force: true });
  });

  describe("the shared conformance scenarios, in the page", () => {
    for (const scenario of scenarios) {
      test(
        scenario.name,
        async () => {
          expect(
            await page.evaluate((name) => (window as unknown as { runScenario(n: string): Promise<string> }).runScenario(name), scenario.name),
          ).toBe("ok");
        },
        60_000,
      );
    }
  });

  test("the bundle exports every name @k07/transport-node does, except its Node-only ones, and holds no Node code", async () => {
    const names: string[] = await page.evaluate(() => Object.keys((window as unknown as { k07: object }).k07));
    const nodeOnly = ["nodeTransport", "nodeHooks", "hybridCrc32", "NATIVE_CRC32_THRESHOLD", "nodeAllocator", "UNINITIALISED_ALLOCATION_THRESHOLD"];
    const expected = Object.keys(nodeClientExports).filter((name) => !nodeOnly.includes(name));
    expect(expected).toEqual(
      expect.arrayContaining([
        "KafkaClient",
        "FetchRequest",
        "ProduceRequest",
        "OffsetRequest",
        "createMessage",
        "createMessageFromString",
        "ConnectionClosedError",
      ]),
    );
    expect(expected.filter((name) => !names.includes(name))).toEqual([]);
    expect(readFileSync(bundle, "utf8")).not.toMatch(/["'`]node:|require\(|\bBuffer\./);
  });

  test("gzip and snappy work in the page (compressed produce, then fetch)", async () => {
    const texts = await page.evaluate(async () => {
      const k07 = (window as unknown as { k07: typeof import("@k07/transport-websocket") }).k07;
      const kafka = new k07.KafkaClient(location.hostname, Number(location.port));
      const topic = `browser-compressed-${Date.now()}`;
      await kafka.sendMessagesSimple({ topic, partition: 0, compression: "gzip" }, "zipped", "twice");
      await kafka.sendMessagesSimple({ topic, partition: 0, compression: "snappy" }, "snapped");
      await kafka.confirm();
      const seen: string[] = [];
      for await (const m of kafka.iterMessages(new k07.FetchRequest(topic, 0, 0, 4096))) seen.push(m.text());
      await kafka.close();
      return seen;
    });
    expect(texts).toEqual(["zipped", "twice", "snapped"]);
  });

  test("a denied topic fails with a typed error: a fetch gets the broker's error, a produce is refused with close code 1008", async () => {
    const result = await page.evaluate(async () => {
      const k07 = (window as unknown as { k07: typeof import("@k07/transport-websocket") }).k07;
      const kafka = new k07.KafkaClient(location.hostname, Number(location.port));
      const fetchError = await kafka.getMessageSet(new k07.FetchRequest("secret", 0, 0, 1024)).then(
        () => "no error",
        (e: Error) => [e.name, e instanceof k07.UnknownBrokerError],
      );
      await kafka.sendMessagesSimple("secret", 0, "leak");
      const produceError = await kafka.confirm().then(
        () => "no error",
        (e: Error) => [e.name, e instanceof k07.ProduceNotConfirmedError, e.message],
      );
      await kafka.close();
      return { fetchError, produceError };
    });
    expect(result.fetchError).toEqual(["UnknownBrokerError", true]);
    expect(result.produceError).toEqual([
      "ProduceNotConfirmedError",
      true,
      expect.stringMatching(/1008 \(policy violation\): produce to "secret" is not allowed/),
    ]);
  });

  test("a page from another origin is refused: the connection fails with a ConnectionClosedError, and nothing reaches the broker", async () => {
    // The example page, served by the k07 command on another port, is another origin for `proxy`.
    const other = await browser.newPage();
    await other.goto(`http://${cliAddress}/`);
    const [host, port] = [proxy.host, proxy.port];
    const before = proxy.counters().get("cross-origin")?.requests ?? 0;
    // A string, so the page's own dynamic import is not rewritten for jest's CommonJS.
    const result = await other.evaluate(`(async () => {
      const k07 = await import("/k07-browser.js");
      const kafka = new k07.KafkaClient(${JSON.stringify(host)}, ${port}, { connectTimeoutMs: 5000 });
      const outcome = await kafka.latestOffset("cross-origin", 0).then(
        () => "connected",
        (e) => [e.name, e instanceof k07.ConnectionClosedError],
      );
      await kafka.close();
      return outcome;
    })()`);
    await other.close();
    expect(result).toEqual(["ConnectionClosedError", true]);
    expect(proxy.counters().get("cross-origin")?.requests ?? 0).toBe(before);
  });

  test("examples/browser: offsets, a live tail that shows messages produced from Node while it runs, a message sent from the page, and Stop", async () => {
    const tail = await browser.newPage();
    await tail.goto(`http://${cliAddress}/`);
    const topic = `live-${Date.now()}`;
    const node = new NodeClient(broker.host, broker.port);
    await node.sendMessagesSimple(topic, 0, "before the tail");
    await node.confirm();
    await tail.$eval("#topic", (input, value) => ((input as HTMLInputElement).value = value), topic);
    await tail.click("#show-offsets");
    await tail.waitForFunction(() => document.getElementById("offsets")!.textContent!.startsWith("earliest 0, latest 25"), { timeout: 10_000 });
    await tail.click("#tail");
    const shown = (count: number) => tail.waitForFunction((n) => document.querySelectorAll("#messages li").length >= n, { timeout: 10_000 }, count);
    await shown(1);
    for (const text of ["live one", "live two"]) {
      await node.sendMessagesSimple(topic, 0, text);
      await node.confirm();
    }
    await shown(3);
    await tail.type("#text", "from the page");
    await tail.click("#send button");
    await shown(4);
    const items = await tail.$$eval("#messages li", (lis) => lis.map((li) => li.textContent));
    expect(items).toEqual(["0: before the tail", "25: live one", "43: live two", "61: from the page"]);
    await tail.click("#stop");
    await tail.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("stopped tailing"), { timeout: 10_000 });
    await node.close();
    await tail.close();
  });
});
