// prozess 0.7.0 in the end-to-end benchmark, used as its README shows: Producer.send(array, cb) and
// Consumer.consume(cb) in a loop.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Producer, Consumer } = require("prozess");

export const name = "prozess 0.7.0";

/** Sends are windowed (at most `window` callbacks outstanding): prozess ignores socket backpressure itself. */
export async function produce({ host, port, topic, source, batchSize, window = 32 }) {
  const producer = new Producer(topic, { host, port });
  await new Promise((resolve) => {
    producer.once("connect", resolve);
    producer.connect();
  });
  let outstanding = 0;
  /** @type {unknown} */
  let failure;
  /** @type {(() => void) | undefined} */
  let wake;
  const done = (err) => {
    if (err) failure ??= err;
    outstanding--;
    wake?.();
  };
  for (let i = 0; i < source.count; i += batchSize) {
    const n = Math.min(batchSize, source.count - i);
    const batch = new Array(n);
    for (let j = 0; j < n; j++) batch[j] = source.payload(i + j);
    outstanding++;
    producer.send(batch, done);
    while (outstanding >= window) await new Promise((resolve) => (wake = () => resolve(undefined)));
  }
  while (outstanding > 0) await new Promise((resolve) => (wake = () => resolve(undefined)));
  if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
  await closeSocket(producer.connection._connection);
}

/** consume() in a loop from offset 0 with `fetchBytes` fetches, until `count` messages or an empty fetch. */
export async function consume({ host, port, topic, count, fetchBytes, onMessage }) {
  const consumer = new Consumer({ host, port, topic, partition: 0, offset: 0, maxMessageSize: fetchBytes });
  await new Promise((resolve, reject) => consumer.connect((err) => (err ? reject(err) : resolve(undefined))));
  let n = 0;
  try {
    while (n < count) {
      const messages = await new Promise((resolve, reject) => consumer.consume((err, m) => (err ? reject(err) : resolve(m))));
      if (messages.length === 0) break;
      for (let i = 0; i < messages.length && n < count; i++, n++) onMessage(messages[i].payload);
    }
  } finally {
    await closeSocket(consumer.socket);
  }
  return n;
}

function closeSocket(socket) {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(undefined);
    socket.once("close", resolve);
    socket.end();
  });
}
