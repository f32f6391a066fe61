/**
 * The static files the WebSocket proxy serves beside its bridge: GET and HEAD of a route or of a
 * file inside the directory, with its type; nothing outside the directory, whatever the path says.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveStatic, startWebSocketProxy, type StaticFiles } from "@k07/proxy";

const dir = mkdtempSync(join(tmpdir(), "k07-static-"));
const site = join(dir, "site");
let server: Server;
let files: StaticFiles;

beforeAll(async () => {
  mkdirSync(join(site, "docs"), { recursive: true });
  writeFileSync(join(site, "index.html"), "<p>home</p>");
  writeFileSync(join(site, "docs/index.html"), "<p>docs</p>");
  writeFileSync(join(site, "style.css"), "p {}");
  writeFileSync(join(site, "data.bin"), "01");
  writeFileSync(join(site, "shadowed.js"), "from the directory");
  writeFileSync(join(dir, "route.js"), "from the route");
  writeFileSync(join(dir, "secret.txt"), "not served");
  symlinkSync(join(dir, "secret.txt"), join(site, "link.txt"));
  files = { dir: site, routes: { "/shadowed.js": join(dir, "route.js"), "/gone.js": join(dir, "no-such-file.js") } };
  server = createServer((request, response) => void serveStatic(files, request, response));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request to the test server, by raw path (not normalised by a URL parser on this side). */
function ask(path: string, method = "GET"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const port = (server.address() as { port: number }).port;
    const request = httpRequest({ host: "127.0.0.1", port, path, method }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on("error", reject);
    request.end();
  });
}

test("a file of the directory is served with its type, length and no-cache, no-sniff headers; a directory path serves its index.html", async () => {
  const css = await ask("/style.css");
  expect(css).toMatchObject({ status: 200, body: "p {}" });
  expect(css.headers).toMatchObject({
    "content-type": "text/css; charset=utf-8",
    "content-length": "4",
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
  });
  expect(await ask("/")).toMatchObject({ status: 200, body: "<p>home</p>", headers: { "content-type": "text/html; charset=utf-8" } });
  expect(await ask("/docs/")).toMatchObject({ status: 200, body: "<p>docs</p>" });
  expect((await ask("/data.bin")).headers["content-type"]).toBe("application/octet-stream");
});

test("HEAD answers the headers alone", async () => {
  expect(await ask("/style.css", "HEAD")).toMatchObject({ status: 200, body: "", headers: { "content-length": "4" } });
});

test("a route takes precedence over the directory; a route to a missing file is a 404", async () => {
  expect(await ask("/shadowed.js")).toMatchObject({
    status: 200,
    body: "from the route",
    headers: { "content-type": "text/javascript; charset=utf-8" },
  });
  expect(await ask("/gone.js")).toMatchObject({ status: 404, body: "not found\n" });
});

test("other methods, bad URLs, missing files and directories without their slash are refused with why", async () => {
  expect(await ask("/style.css", "POST")).toMatchObject({
    status: 405,
    body: "only GET and HEAD\n",
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
  expect(await ask("/%E0%A4%A")).toMatchObject({ status: 400, body: "bad URL\n" });
  expect(await ask("/nothing.html")).toMatchObject({ status: 404, body: "not found\n" });
  expect(await ask("/docs")).toMatchObject({ status: 404, body: "not found\n" });
});

test("nothing outside the directory is served: not by an encoded .., a NUL, or a symbolic link out of it", async () => {
  expect(await ask("/..%2fsecret.txt")).toMatchObject({ status: 403, body: "outside the served directory\n" });
  expect(await ask("/docs/..%2f..%2fsecret.txt")).toMatchObject({ status: 403 });
  // Refused for where it points, whether or not something is there.
  expect(await ask("/..%2fno-such-file.txt")).toMatchObject({ status: 403 });
  expect(await ask("/style.css%00.png")).toMatchObject({ status: 403 });
  expect(await ask("/link.txt")).toMatchObject({ status: 403, body: "outside the served directory\n" });
});

test("a directory that does not exist serves nothing, and routes still work", async () => {
  const saved = files;
  files = { dir: join(dir, "missing"), routes: { "/r.js": join(dir, "route.js") } };
  try {
    expect(await ask("/")).toMatchObject({ status: 404, body: "not found\n" });
    expect(await ask("/r.js")).toMatchObject({ status: 200, body: "from the route" });
  } finally {
    files = saved;
  }
});

test("the WebSocket proxy serves them on its own port", async () => {
  const proxy = await startWebSocketProxy({ brokerHost: "127.0.0.1", brokerPort: 1, files: { routes: { "/r.js": join(dir, "route.js") } } });
  try {
    const response = await fetch(`http://${proxy.address}/r.js`);
    expect([response.status, await response.text()]).toEqual([200, "from the route"]);
  } finally {
    await proxy.close();
  }
});
