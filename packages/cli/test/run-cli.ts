/** Runs the real `k07` command (packages/cli/bin/k07.js) as a child process. */
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const root = resolve(__dirname, "../../..");
/** The two commands, as npm installs them. */
export const k07Bin = join(root, "packages/cli/bin/k07.js");
export const k07BrokerBin = join(root, "packages/broker/bin/k07-broker.js");

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
export function k07(args: readonly string[], input: string | Uint8Array = ""): Promise<CliResult> {
  return run(process.execPath, [k07Bin, ...args], input);
}

/** Runs a program with `input` on stdin and collects what it prints (killed after 20 s). */
export function run(program: string, args: readonly string[], input: string | Uint8Array = ""): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(program, args, { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
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

/** A server command running as a child process (`k07 broker`, `k07-broker`, `k07 proxy`). */
export interface RunningCommand {
  /** The `host:port` its "listening on" line names. */
  readonly address: string;
  /** Sends SIGTERM and resolves with the exit status and what it printed. */
  stop(): Promise<CliResult>;
}

/** Starts `node <bin> ...args` and resolves once it prints `listening on host:port`; rejects if it exits first. */
export function startCommand(bin: string, args: readonly string[]): Promise<RunningCommand> {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const closed = new Promise<number | null>((resolveClosed) => child.on("close", resolveClosed));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolvePromise, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const listening = /listening on (\S+)/.exec(stdout);
      if (listening)
        resolvePromise({
          address: listening[1]!.replace(/,$/, ""),
          async stop() {
            child.kill("SIGTERM");
            return { status: await closed, stdout, stderr };
          },
        });
    });
    child.on("error", reject);
    void closed.then((status) => reject(new Error(`${bin} exited with ${status} before listening: ${stderr}`)));
  });
}
