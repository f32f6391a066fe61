// franz-kafka 0.7.5 in the end-to-end benchmark, static `brokers` mode: a topic stream written with
// write() and read with 'data' events.
import { createRequire } from "node:module";
import { once } from "node:events";

const require = createRequire(import.meta.url);
const Franz = require("franz-kafka");

export const name = "franz-kafka 0.7.5";

async function connect(host, port, options) {
  // queueTime is long so every batch leaves when full (batchSize), never on a timer.
  const kafka = Franz({ brokers: [{ id: 0, host, port }], queueTime: 60_000, ...options });
  await new Promise((resolve) => kafka.connect(resolve));
  return kafka;
}

/**
 * write()s every payload with batchSize set, so franz sends a Produce per `batchSize` messages.
 * write()'s return value cannot be used (it is false after every batch and no 'drain' follows), and
 * writing while franz's client is not ready crashes it once two batches pile up (both proved in
 * packages/broker/test/interop.test.ts). So after each batch, if the client is not ready, the adapter
 * waits for the topic's 'drain', which franz emits when its socket drains.
 */
export async function produce({ host, port, topic, source, batchSize }) {
  if (source.count % batchSize !== 0) throw new Error("franz-kafka adapter: count must be a multiple of batchSize");
  const kafka = await connect(host, port, { batchSize });
  const stream = kafka.topic(topic, { partitions: { produce: ["0:1"] } });
  const client = kafka.broker(0).client;
  const socket = client.connection;
  for (let i = 0; i < source.count; i++) {
    stream.write(source.payload(i));
    if ((i + 1) % batchSize === 0 && !client.ready) await once(stream, "drain");
  }
  if (socket.writableLength > 0) await once(socket, "drain");
  await close(kafka, socket);
}

/** Resumes the topic stream from offset 0 and counts 'data' events up to `count`. */
export async function consume({ host, port, topic, count, fetchBytes, onMessage }) {
  const kafka = await connect(host, port, { maxFetchSize: fetchBytes });
  const stream = kafka.topic(topic, { partitions: { consume: ["0-0:0"] } });
  const socket = kafka.broker(0).client.connection;
  let n = 0;
  try {
    if (count > 0) {
      await new Promise((resolve, reject) => {
        stream.on("error", reject);
        stream.on("data", (payload) => {
          if (n === count) return;
          onMessage(payload);
          if (++n === count) resolve(undefined);
        });
        stream.resume();
      });
    }
  } finally {
    await close(kafka, socket);
  }
  return n;
}

async function close(kafka, socket) {
  const closed = socket.destroyed ? Promise.resolve() : once(socket, "close");
  kafka.close();
  await closed;
}
