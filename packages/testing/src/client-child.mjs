// A KafkaClient in a child process for the hostile-server cases (run by watched-child.ts): runs one
// client operation `repeat` times against a port, each with a fresh client, and writes JSON lines:
// {rss} once ready, {result} per operation, then {done, worstStallMs, peakRss}.
import { FetchRequest, K07Error, KafkaClient, OffsetRequest, ProduceNotConfirmedError, ProduceRequest, createMessage } from "@k07/transport-node";
import { baselineRss, peakRss, watchStalls } from "./child-measures.mjs";

const spec = JSON.parse(process.argv[2]);
const write = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** What an error is, as plain data: its class, its class chain, and the context it names. */
function describe(error) {
  const chain = [];
  for (let proto = Object.getPrototypeOf(error); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto))
    chain.push(proto.constructor.name);
  return {
    name: error?.constructor?.name ?? typeof error,
    chain,
    k07: error instanceof K07Error,
    message: String(error?.message ?? error).slice(0, 300),
    topic: error?.topic,
    partition: error?.partition,
    offset: error?.offset,
    requestsNamed: error instanceof ProduceNotConfirmedError ? error.requests.length : undefined,
  };
}

const operations = {
  async getMessageSet(kafka) {
    const [messages] = await kafka.getMessageSet(new FetchRequest(spec.topic, 0, 0, spec.maxSize ?? 1024 * 1024));
    return messages.length;
  },
  async getMultiMessageSet(kafka) {
    // Two parts, both for partition 0, so the first to fail names the same context as a single fetch.
    const fetch = new FetchRequest(spec.topic, 0, 0, spec.maxSize ?? 1024 * 1024);
    const parts = await kafka.getMultiMessageSet([fetch, fetch]);
    return parts.reduce((n, [messages]) => n + messages.length, 0);
  },
  async iterMessages(kafka) {
    // One fetch's worth (auto = false): a hostile server answering every fetch alike cannot make it page forever.
    let count = 0;
    for await (const _ of kafka.iterMessages(new FetchRequest(spec.topic, 0, 0, spec.maxSize ?? 1024 * 1024), false)) count++;
    return count;
  },
  async getOffsets(kafka) {
    return (await kafka.getOffsets(new OffsetRequest(spec.topic, 0, -1, 10))).length;
  },
  async produceThenConfirm(kafka) {
    const payload = new Uint8Array(spec.messageBytes);
    await kafka.sendMessageSet(
      new ProduceRequest(
        spec.topic,
        0,
        Array.from({ length: spec.messages }, () => createMessage(payload)),
      ),
    );
    await kafka.confirm();
    return spec.messages;
  },
};

write({ rss: baselineRss() });
let worstStallMs = 0;
for (let i = 0; i < (spec.repeat ?? 1); i++) {
  const kafka = new KafkaClient("127.0.0.1", spec.port, spec.clientOptions ?? {});
  const stalls = watchStalls();
  const started = performance.now();
  let result;
  try {
    result = { outcome: "resolved", value: await operations[spec.operation](kafka) };
  } catch (error) {
    result = { outcome: "rejected", error: describe(error) };
  }
  result.settleMs = Math.round(performance.now() - started);
  worstStallMs = Math.max(worstStallMs, stalls.stop());
  await Promise.race([kafka.close().catch(() => {}), new Promise((r) => setTimeout(r, 1000))]);
  write({ result });
}
write({ done: true, worstStallMs, peakRss: peakRss() });
process.exit(0);
