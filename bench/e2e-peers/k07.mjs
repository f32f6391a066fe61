// k07 in the end-to-end benchmark: the Node client as its README shows it.
import * as k07 from "../../packages/transport-node/dist/index.js";

export const name = "k07";

/**
 * Sends `source.count` payloads in Produce requests of `batchSize` payloads (given as they are: the
 * path docs/client.md recommends, no message object per payload), one after another as
 * each is queued (the client applies backpressure), then confirm()s through close().
 */
export async function produce({ host, port, topic, source, batchSize }) {
  const client = new k07.KafkaClient(host, port);
  try {
    for (let i = 0; i < source.count; i += batchSize) {
      const n = Math.min(batchSize, source.count - i);
      const payloads = new Array(n);
      for (let j = 0; j < n; j++) payloads[j] = source.payload(i + j);
      await client.sendMessageSet(new k07.ProduceRequest(topic, 0, payloads));
    }
  } finally {
    await client.close();
  }
}

/** Reads `count` messages from offset 0 with iterMessages (one fetch kept in flight ahead). */
export async function consume({ host, port, topic, count, fetchBytes, onMessage }) {
  const client = new k07.KafkaClient(host, port);
  let n = 0;
  try {
    if (count === 0) return 0;
    for await (const m of client.iterMessages(new k07.FetchRequest(topic, 0, 0, fetchBytes))) {
      onMessage(m.payload);
      if (++n === count) break;
    }
  } finally {
    await client.close();
  }
  return n;
}

/** The same with a getMessageSet loop: one fetch at a time, each answered before the next is sent. */
export async function consumeWithGetMessageSet({ host, port, topic, count, fetchBytes, onMessage }) {
  const client = new k07.KafkaClient(host, port);
  let n = 0;
  try {
    let request = new k07.FetchRequest(topic, 0, 0, fetchBytes);
    while (n < count) {
      const [messages, next] = await client.getMessageSet(request);
      if (messages.length === 0) break;
      for (let i = 0; i < messages.length && n < count; i++, n++) onMessage(messages[i].payload);
      request = next;
    }
  } finally {
    await client.close();
  }
  return n;
}

/**
 * The same, with the next fetch sent before the messages of this one are handled (its request is
 * known as soon as the set arrives), as the raw-frames row sends the next fetch before walking one:
 * the broker serves a fetch while the consumer works through the last.
 */
export async function consumeWithPipelinedGetMessageSet({ host, port, topic, count, fetchBytes, onMessage }) {
  const client = new k07.KafkaClient(host, port);
  let n = 0;
  try {
    let pending = client.getMessageSet(new k07.FetchRequest(topic, 0, 0, fetchBytes));
    while (n < count) {
      const [messages, next] = await pending;
      if (messages.length === 0) break;
      if (n + messages.length < count) pending = client.getMessageSet(next);
      for (let i = 0; i < messages.length && n < count; i++, n++) onMessage(messages[i].payload);
    }
  } finally {
    await client.close();
  }
  return n;
}

/** The broker's log end for a partition (the harness's check that every produce landed). */
export async function latestOffset({ host, port, topic }) {
  const client = new k07.KafkaClient(host, port);
  try {
    return await client.latestOffset(topic, 0);
  } finally {
    await client.close();
  }
}
