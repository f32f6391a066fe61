/** Runs the real `k07` command (packages/cli/bin/k07.js) as a child process. */
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const root = resolve(__dirname, "../../..");
const bin = join(root, "packages/cli/bin/k07.js");

/** Builds the packages once if the test runs without `npm test`'s `tsc -b`. */
export function ensureBuilt(): void {
  if (!existsSync(join(root, "packages/cli/dist/bin.js"))) execFileSync("npx", ["tsc", "-b"], { cwd: root });
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `k07 ...args` with `input` on stdin (asynchronously: the broker under test runs in this process). */
export function k07(args: readonly string[], input = ""): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, stderr });
    });
    child.stdin.end(input);
  });
}
