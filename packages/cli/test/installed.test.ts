/**
 * The packages as a user gets them. Every published workspace (all but the private test helpers) is packed with `npm pack` (the release step),
 * the tarballs are installed into an application in a temporary directory outside the repository
 * (third-party dependencies come from the configured registry), and the application uses them:
 * an ESM script, the same script type-checked as strict TypeScript against the installed `.d.ts`,
 * the installed `k07` command, each package README's example, and a Deno program.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { root } from "./run-cli.ts";

const run = promisify(execFile);
const PACKAGES = [
  "codec",
  "node-hooks",
  "client",
  "zookeeper",
  "broker",
  "transport-node",
  "transport-deno",
  "transport-websocket",
  "cluster",
  "proxy",
  "cli",
];
/** The workspaces that are released: every one except the private ones (the shared test helpers). */
const WORKSPACES: string[] = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).workspaces;
const PUBLISHED = WORKSPACES.filter((w) => JSON.parse(readFileSync(join(root, w, "package.json"), "utf8")).private !== true);
const VERSION: string = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
const DEV_ONLY = ["prozess", "franz-kafka", "kafkajs"];
const tsc = join(root, "node_modules/typescript/bin/tsc");
const deno = join(root, "node_modules/.bin/deno");

/** Why the registry cannot be reached (the install needs it for third-party packages), or undefined. */
function registryProblem(): string | undefined {
  try {
    execFileSync("npm", ["ping", "--fetch-retries=0", "--fetch-timeout=5000"], { stdio: "ignore", timeout: 10_000 });
    return undefined;
  } catch {
    return "the npm registry does not answer `npm ping`";
  }
}

interface PackedTarball {
  readonly name: string;
  readonly filename: string;
  readonly size: number;
  readonly files: readonly { readonly path: string }[];
}

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end and reports how it ended (never throws: the test asserts on the result). */
function finish(command: string, args: readonly string[], options: { cwd: string; timeout: number; env?: NodeJS.ProcessEnv }): Promise<Finished> {
  return run(command, args, { ...options, maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: Error & { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === "number" ? error.code : null,
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? String(error),
    }),
  );
}

/** The first fenced block of a language in a README (the example each package README shows). */
function example(readme: string, language: "js" | "ts"): string {
  const block = new RegExp("```" + language + "\\n([\\s\\S]*?)```").exec(readme)?.[1];
  if (block === undefined) throw new Error(`no \`\`\`${language} block in the README`);
  return block;
}

/**
 * The application's own script: a broker from `@k07/broker`, the Node client for produce, confirm,
 * fetch and offsets, then the codec alone on a raw socket. Plain JavaScript that is also valid,
 * strictly typed TypeScript, so one text serves as `app.mjs` (run) and `app.ts` (type-checked).
 */
const APP_SCRIPT = `
import { once } from "node:events";
import { connect } from "node:net";
import { startBroker } from "@k07/broker";
import { FrameDecoder, decodeFetchResponse, decodeMessageSet, encodeRequest } from "@k07/codec";
import { FetchRequest, KafkaClient, OffsetRequest } from "@k07/transport-node";

const broker = await startBroker({ port: 0 });
const kafka = new KafkaClient(broker.host, broker.port);
await kafka.sendMessagesSimple("installed", 0, "one", "two");
await kafka.confirm();
const [messages, next] = await kafka.getMessageSet(new FetchRequest("installed", 0, 0, 1024 * 1024));
const offsets = await kafka.getOffsets(new OffsetRequest("installed", 0, -1, 10));
await kafka.close();

// The codec alone: a Fetch frame written to a socket, the response frame split off and decoded.
const socket = connect(broker.port, broker.host);
socket.write(encodeRequest(new FetchRequest("installed", 0, 0, 1024 * 1024)));
const frames = new FrameDecoder({ maxFrameBytes: 1024 * 1024 });
let frame = frames.next();
while (frame === undefined) {
  const [chunk] = await once(socket, "data");
  frames.push(chunk);
  frame = frames.next();
}
socket.destroy();
const response = decodeFetchResponse(frame);
const decoded = [...decodeMessageSet(response.messageSet)].map((m) => [m.offset, m.text()]);
await broker.close();
console.log(JSON.stringify({ fetched: messages.map((m) => [m.offset, m.text()]), next: next.offset, offsets, decoded }));
`;

/**
 * Lines that must be type errors, appended to the type-checked copies only (never run): they fail the
 * check if the installed declarations resolved to `any`, including those behind a `.ts` specifier
 * inside another package's `.d.ts`.
 */
const TYPE_PROBES = `
// @ts-expect-error a port is a number
new KafkaClient("127.0.0.1", "9092");
// @ts-expect-error a topic is a string (FetchRequest is the codec's, re-exported through the client)
new FetchRequest(1, 0, 0, 1024);
// @ts-expect-error offsets are numbers (declared in the client's kafka-client.d.ts)
const offset: string = await new KafkaClient("127.0.0.1", 9092).latestOffset("t", 0);
`;

const problem = registryProblem();
if (problem !== undefined) {
  console.log(`skipping "the installed packages": ${problem}`);
}
const describeInstalled = problem === undefined ? describe : describe.skip;

describeInstalled("the installed packages", () => {
  const packDir = mkdtempSync(join(tmpdir(), "k07-pack-"));
  const appDir = mkdtempSync(join(tmpdir(), "k07-app-"));
  const inApp = (...parts: string[]) => join(appDir, ...parts);
  let tarballs: PackedTarball[] = [];

  beforeAll(async () => {
    const packed = await run("npm", ["pack", ...PUBLISHED.map((w) => `--workspace=${w}`), "--pack-destination", packDir, "--json"], {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    });
    tarballs = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("[")));
    writeFileSync(inApp("package.json"), JSON.stringify({ name: "k07-installed-app", private: true, type: "module" }));
    await run(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline", "@types/node@20", ...tarballs.map((t) => join(packDir, t.filename))],
      { cwd: appDir, maxBuffer: 16 * 1024 * 1024 },
    );
  }, 300_000);

  afterAll(() => {
    rmSync(packDir, { recursive: true, force: true });
    rmSync(appDir, { recursive: true, force: true });
  });

  test("npm pack makes one tarball per package holding dist (JS, .d.ts, source maps), README.md, LICENSE and nothing else", () => {
    expect(tarballs.map((t) => t.name).sort()).toEqual(PACKAGES.map((p) => `@k07/${p}`).sort());
    for (const tarball of tarballs) {
      const paths = tarball.files.map((f) => f.path);
      const unexpected = paths.filter(
        (p) => !/^dist\/.+\.(js|d\.ts|js\.map)$/.test(p) && !/^bin\/[\w-]+\.js$/.test(p) && !["package.json", "README.md", "LICENSE"].includes(p),
      );
      expect({ name: tarball.name, unexpected }).toEqual({ name: tarball.name, unexpected: [] });
      expect(paths).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "dist/index.js.map", "README.md", "LICENSE"]));
      expect(paths.filter((p) => /test|fixture|bench|harness/i.test(p))).toEqual([]);
      // Source maps carry their sources, since src/ is not shipped.
      const map = JSON.parse(readFileSync(inApp("node_modules", tarball.name, "dist/index.js.map"), "utf8"));
      expect(map.sourcesContent?.[0]).toEqual(expect.stringContaining("export"));
    }
  });

  test("the installed packages carry one version, pin their siblings to it, have no dev-only or private dependency and the project's license", () => {
    const license = readFileSync(join(root, "LICENSE"), "utf8");
    const privateNames = WORKSPACES.filter((w) => !PUBLISHED.includes(w)).map(
      (w) => JSON.parse(readFileSync(join(root, w, "package.json"), "utf8")).name,
    );
    expect(privateNames).toEqual(["@k07/testing"]);
    for (const name of PACKAGES) {
      const installed = inApp("node_modules/@k07", name);
      const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
      expect(manifest.version).toBe(VERSION);
      const dependencies: Record<string, string> = manifest.dependencies ?? {};
      for (const [dependency, range] of Object.entries(dependencies)) {
        if (dependency.startsWith("@k07/")) expect(`${dependency}@${range}`).toBe(`${dependency}@${VERSION}`);
        expect(DEV_ONLY).not.toContain(dependency);
        expect(privateNames).not.toContain(dependency);
      }
      expect(readFileSync(join(installed, "LICENSE"), "utf8")).toBe(license);
    }
  });

  test("an ESM application starts the broker, produces, confirms, fetches, lists offsets and decodes with the codec", async () => {
    writeFileSync(inApp("app.mjs"), APP_SCRIPT);
    const { stdout } = await run(process.execPath, ["app.mjs"], { cwd: appDir, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({
      fetched: [
        [0, "one"],
        [13, "two"],
      ],
      next: 26,
      offsets: [26, 0],
      decoded: [
        [0, "one"],
        [13, "two"],
      ],
    });
  }, 60_000);

  test("the same application and every README example type-check (strict, nodenext) against the installed .d.ts", async () => {
    writeFileSync(inApp("app.ts"), APP_SCRIPT + TYPE_PROBES);
    const files = ["app.ts"];
    for (const name of PACKAGES.filter((p) => p !== "transport-deno")) {
      const readme = readFileSync(inApp("node_modules/@k07", name, "README.md"), "utf8");
      writeFileSync(inApp(`readme-${name}.ts`), example(readme, "js"));
      files.push(`readme-${name}.ts`);
    }
    const compilerOptions = {
      target: "es2022",
      module: "nodenext",
      moduleResolution: "nodenext",
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ["node"],
    };
    writeFileSync(inApp("tsconfig.json"), JSON.stringify({ compilerOptions, files }));
    const checked = await finish(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: appDir, timeout: 120_000 });
    expect(checked).toEqual({ code: 0, stdout: "", stderr: "" });
  }, 180_000);

  test("the installed k07 command prints its version and its help", async () => {
    const version = await run("npx", ["--no-install", "k07", "--version"], { cwd: appDir, timeout: 30_000 });
    expect(version.stdout.trim()).toBe(VERSION);
    const { stdout } = await run("npx", ["--no-install", "k07", "--help"], { cwd: appDir, timeout: 30_000 });
    expect(stdout).toMatch(/^Usage: k07 /);
    expect(stdout).toContain("broker [options]");
  }, 60_000);

  describe("with the installed `k07 broker --port 0` running", () => {
    let broker: ChildProcess;
    let host = "";
    let port = 0;

    beforeAll(async () => {
      // The bin link npm installed (what `npx k07` runs), started directly so that its own exit status is seen.
      broker = spawn(inApp("node_modules/.bin/k07"), ["broker", "--port", "0"], { cwd: appDir, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      broker.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
      broker.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()));
      [host, port] = await new Promise<[string, number]>((resolve, reject) => {
        broker.stdout!.on("data", () => {
          const match = /^k07 broker listening on ([\d.]+):(\d+)/.exec(out);
          if (match) resolve([match[1]!, Number(match[2])]);
        });
        broker.on("exit", (code) => reject(new Error(`k07 broker exited (${code}) before listening: ${out}`)));
      });
    }, 60_000);

    afterAll(() => {
      if (broker.exitCode === null && broker.signalCode === null) broker.kill("SIGKILL");
    });

    test("it listens on a free port of 127.0.0.1", () => {
      expect(host).toBe("127.0.0.1");
      expect(port).toBeGreaterThan(0);
    });

    test("the Node README examples run against it", async () => {
      const printed: Record<string, RegExp> = {
        codec: /^events 0 hello\nevents 15 world\n$/,
        "node-hooks": /^4143 4096\n$/,
        broker: /^listening on 127\.0\.0\.1:\d+\n$/,
        "transport-node": /^\[ '\d+: some message', '\d+: another message'.*next fetch at \d+\noffsets \[ \d+, 0 \]\n$/s,
        client: /^log end \d+\n$/,
        cli: /^proxy on 127\.0\.0\.1:\d+\n$/,
        proxy: /^proxy on 127\.0\.0\.1:\d+\n$/,
      };
      for (const [name, output] of Object.entries(printed)) {
        const readme = readFileSync(inApp("node_modules/@k07", name, "README.md"), "utf8");
        writeFileSync(inApp(`readme-${name}.mjs`), example(readme, "js").replaceAll("localhost", host).replaceAll("9092", String(port)));
        const ran = await finish(process.execPath, [`readme-${name}.mjs`], { cwd: appDir, timeout: 30_000 });
        expect({ name, ...ran }).toEqual({ name, code: 0, stdout: expect.stringMatching(output), stderr: "" });
      }
    }, 120_000);

    test("the installed `k07 proxy --listen-ws --serve` serves the browser bundle, and the WebSocket README example runs through it", async () => {
      const proxy = spawn(inApp("node_modules/.bin/k07"), ["proxy", "--broker", `${host}:${port}`, "--listen-ws", "127.0.0.1:0", "--serve", appDir], {
        cwd: appDir,
        stdio: ["ignore", "pipe", "pipe"],
      });
      try {
        const address = await new Promise<string>((resolve, reject) => {
          let out = "";
          proxy.stdout!.on("data", (chunk: Buffer) => {
            out += chunk.toString();
            const match = /WebSockets on ws:\/\/([\d.]+:\d+)\//.exec(out);
            if (match) resolve(match[1]!);
          });
          proxy.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()));
          proxy.on("exit", (code) => reject(new Error(`k07 proxy exited (${code}) before listening: ${out}`)));
        });
        const bundle = await fetch(`http://${address}/k07-browser.js`);
        expect([bundle.status, bundle.headers.get("content-type")]).toEqual([200, "text/javascript; charset=utf-8"]);
        expect(await bundle.text()).toBe(readFileSync(inApp("node_modules/@k07/transport-websocket/dist/k07-browser.js"), "utf8"));
        const readme = readFileSync(inApp("node_modules/@k07/transport-websocket/README.md"), "utf8");
        const [proxyHost, proxyPort] = address.split(":");
        writeFileSync(
          inApp("readme-transport-websocket.mjs"),
          example(readme, "js").replaceAll("localhost", proxyHost!).replaceAll("9094", proxyPort!),
        );
        // my-topic also holds what the other README examples sent: the page's message is the last.
        const ran = await finish(process.execPath, ["readme-transport-websocket.mjs"], { cwd: appDir, timeout: 30_000 });
        expect(ran).toEqual({ code: 0, stdout: expect.stringMatching(/^\[.*'\d+: from a web page'\s*\]\n$/s), stderr: "" });
      } finally {
        proxy.kill("SIGTERM");
      }
    }, 60_000);

    test("a Deno program type-checks against the installed packages and runs against it, offline", async () => {
      const readme = readFileSync(inApp("node_modules/@k07/transport-deno/README.md"), "utf8");
      writeFileSync(inApp("deno.json"), JSON.stringify({ nodeModulesDir: "manual" }));
      writeFileSync(inApp("main.ts"), example(readme, "ts"));
      writeFileSync(inApp("probes.ts"), `import { FetchRequest, KafkaClient } from "@k07/transport-deno";\n${TYPE_PROBES}`);
      // A fresh DENO_DIR, and a registry nobody answers at: anything Deno tried to download would fail.
      const env = { ...process.env, DENO_DIR: inApp(".deno"), NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/", DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
      const checked = await finish(deno, ["check", "--no-remote", "main.ts", "probes.ts"], { cwd: appDir, env, timeout: 120_000 });
      expect(checked).toMatchObject({ code: 0 });
      const ran = await finish(deno, ["run", "--cached-only", "--allow-net=127.0.0.1", "main.ts", host, String(port)], {
        cwd: appDir,
        env,
        timeout: 60_000,
      });
      expect(ran).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+ from deno$/m) });
    }, 240_000);

    test("it stops on SIGTERM", async () => {
      const exited = new Promise((resolve) => broker.on("exit", (code, signal) => resolve(code ?? signal)));
      broker.kill("SIGTERM");
      expect(await exited).toBe(0);
    }, 30_000);
  });
});
