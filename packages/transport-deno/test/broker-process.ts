/// <reference lib="deno.ns" />
/** Starts the embedded broker (`node packages/broker/bin/k07-broker.js`) as a subprocess on a free port. */
export interface BrokerProcess {
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

const BROKER_BIN = new URL("../../broker/bin/k07-broker.js", import.meta.url);

export async function startBrokerProcess(): Promise<BrokerProcess> {
  const child = new Deno.Command("node", {
    args: [BROKER_BIN.pathname, "--port", "0"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`broker exited before listening: ${seen}`);
    seen += value;
    const match = /listening on ([\d.]+):(\d+)/.exec(seen);
    if (match) {
      // Keep draining stdout so the child never blocks on a full pipe.
      void (async () => {
        try {
          while (!(await reader.read()).done);
        } catch {
          // The stream closes when the broker exits.
        }
      })();
      return {
        host: match[1]!,
        port: Number(match[2]),
        async stop() {
          child.kill("SIGTERM");
          await child.status;
        },
      };
    }
  }
}
