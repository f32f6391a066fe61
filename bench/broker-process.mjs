// A k07 broker in a child process for the benches (so it does not share the bench's event loop or heap).
import { spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const BROKER_BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "packages", "broker", "bin", "k07-broker.js");

/**
 * Starts `k07-broker --port 0` (after `nodeArgs`, e.g. `--cpu-prof`, and before `brokerArgs`);
 * resolves with its host, port, `cpuSeconds()` and a `stop()`.
 * What the broker prints after its first line goes to `stdoutFile` when given.
 * @param {{ nodeArgs?: string[], brokerArgs?: string[], stdoutFile?: string }} [options]
 */
export async function startBrokerProcess({ nodeArgs = [], brokerArgs = [], stdoutFile } = {}) {
  // stderr is piped, not inherited: a broker left behind must not hold this process's output open.
  const child = spawn(process.execPath, [...nodeArgs, BROKER_BIN, "--port", "0", ...brokerArgs], { stdio: ["ignore", "pipe", "pipe"] });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.stderr.resume();
  const address = await new Promise((resolve, reject) => {
    let text = "";
    child.once("exit", (code) => reject(new Error(`broker exited with ${code} before listening`)));
    child.stdout.on("data", (chunk) => {
      text += chunk;
      const match = /k07 broker listening on ([\d.]+):(\d+)/.exec(text);
      if (match) resolve({ host: match[1], port: Number(match[2]) });
    });
  });
  if (stdoutFile === undefined) child.stdout.resume();
  else child.stdout.pipe(createWriteStream(stdoutFile));
  return {
    ...address,
    /** CPU seconds the broker process has used so far, user and system; undefined where there is no /proc (Linux only). */
    cpuSeconds() {
      let stat;
      try {
        stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
      } catch {
        return undefined;
      }
      // Fields after the command name: state is the 3rd field of the file, utime the 14th, stime the 15th (in clock ticks of 10 ms).
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
    },
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      process.off("exit", killOnExit);
    },
  };
}
