import { createReadStream, realpathSync } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, resolve, sep } from "node:path";

/** What the WebSocket proxy serves over plain HTTP on its port. */
export interface StaticFiles {
  /** A directory whose files are served (`/` is its index.html). */
  readonly dir?: string;
  /** Single files at fixed URL paths, e.g. `{ "/k07-browser.js": "/path/to/k07-browser.js" }`; they take precedence over `dir`. */
  readonly routes?: Readonly<Record<string, string>>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Serves a GET or HEAD for a file: a route, or a file inside `dir` (never outside it: `..`, encoded
 * or not, and symbolic links out of it are refused). Anything else is a 404, 405 or 403.
 */
export async function serveStatic(files: StaticFiles, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const fail = (status: number, text: string) => void response.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(`${text}\n`);
  if (request.method !== "GET" && request.method !== "HEAD") return fail(405, "only GET and HEAD");
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname);
  } catch {
    return fail(400, "bad URL");
  }
  let file = files.routes?.[pathname];
  if (file === undefined && files.dir !== undefined) {
    let root: string;
    try {
      root = realpathSync(resolve(files.dir));
    } catch {
      return fail(404, "not found");
    }
    const candidate = resolve(root, `.${pathname.endsWith("/") ? `${pathname}index.html` : pathname}`);
    if (pathname.includes("\0") || (candidate !== root && !candidate.startsWith(root + sep))) return fail(403, "outside the served directory");
    try {
      const real = realpathSync(candidate);
      if (!real.startsWith(root + sep)) return fail(403, "outside the served directory");
      file = real;
    } catch {
      file = undefined;
    }
  }
  if (file === undefined) return fail(404, "not found");
  try {
    const info = await stat(file);
    if (!info.isFile()) return fail(404, "not found");
    response.writeHead(200, {
      "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
      "content-length": info.size,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    });
    if (request.method === "HEAD") return void response.end();
    createReadStream(file)
      .on("error", () => response.destroy())
      .pipe(response);
  } catch {
    fail(404, "not found");
  }
}
