/** `k07 proxy`, the command: the proxy of @k07/proxy behind flags, with its log on stderr. */
import { spawn } from "node:child_process";
import { startBroker, type Broker } from "@k07/broker";
import { FetchRequest, KafkaClient, UnknownBrokerError } from "@k07/transport-node";
import { ensureBuilt, k07Bin } from "./run-cli.ts";

let broker: Broker;
beforeAll(async () => {
  ensureBuilt();
  broker = await startBroker({ numPartitions: 1 });
  const direct = new KafkaClient(broker.host, broker.port);
  await direct.sendMessagesSimple("public", 0, "visible");
  await direct.confirm();
  await direct.close();
});
afterAll(() => broker.close());

test("k07 proxy as a command: forwards, enforces --allow-fetch, logs one JSON line per request", async () => {
  const child = spawn(
    process.execPath,
    [k07Bin, "proxy", "--listen", "127.0.0.1:0", "--broker", broker.address, "--allow-fetch", "public", "--log"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const address = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+),/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`k07 proxy exited with ${code}: ${stderr}`)));
  });
  const [host, port] = address.split(":");
  const kafka = new KafkaClient(host!, Number(port));
  const [visible] = await kafka.getMessageSet(new FetchRequest("public", 0, 0, 1000));
  expect(visible.map((m) => m.text())).toEqual(["visible"]);
  await expect(kafka.getMessageSet(new FetchRequest("secret", 0, 0, 1000))).rejects.toBeInstanceOf(UnknownBrokerError);
  await kafka.close();
  child.kill("SIGTERM");
  await new Promise((resolve) => child.on("close", resolve));
  const lines = stderr.split("\n").filter((l) => l.startsWith("{"));
  const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(entries).toContainEqual(expect.objectContaining({ type: "fetch", topic: "public", partition: 0, offset: 0, size: 1000, allowed: true }));
  expect(entries).toContainEqual(expect.objectContaining({ type: "fetch", topic: "secret", allowed: false }));
  expect(stderr).toMatch(/public: \d+ requests/);
});
