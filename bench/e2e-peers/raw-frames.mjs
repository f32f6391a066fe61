// The broker-bound limit in the end-to-end benchmark: no client library at all. Produce writes
// Produce frames encoded before the clock starts, as fast as the socket takes them; consume sends
// one Fetch at a time (the next as soon as a response is whole, before walking it) and walks each
// message set by its length prefixes only, reading nothing of a payload but its sequence number.
import { connect } from "node:net";
import * as k07 from "../../packages/codec/dist/index.js";

export const name = "raw frames (limit)";

/** Encodes every Produce frame up front (not timed: the row measures the socket and the broker). */
export function prepareProduce({ topic, source, batchSize }) {
  const frames = [];
  for (let i = 0; i < source.count; i += batchSize) {
    const n = Math.min(batchSize, source.count - i);
    const messages = new Array(n);
    for (let j = 0; j < n; j++) messages[j] = k07.createMessage(source.payload(i + j));
    frames.push(k07.encodeProduceRequest(new k07.ProduceRequest(topic, 0, messages)));
  }
  return frames;
}

function open(host, port, onread) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true, ...(onread === undefined ? {} : { onread }) }, () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** Writes the prepared frames, waiting for 'drain' only when the socket's buffer is full. */
export async function produce({ host, port, prepared }) {
  const socket = await open(host, port);
  try {
    for (const frame of prepared) {
      if (!socket.write(frame)) await new Promise((resolve) => socket.once("drain", resolve));
    }
  } finally {
    await new Promise((resolve) => socket.end(resolve));
  }
}

/**
 * Fetches from offset 0 until `count` messages are walked. Each whole response is copied once into
 * a buffer reused for every response (a response is walked before the next one can arrive).
 */
export async function consume(options) {
  return consumeWith(options, false);
}

/**
 * The same, with the socket reading straight into the reused buffer (Node's `onread`): no chunk
 * allocated per read and no copy, so the receiving side costs as little as Node allows. Shows how
 * fast the broker serves when the consumer does almost nothing.
 */
export async function consumeReadingInPlace(options) {
  return consumeWith(options, true);
}

async function consumeWith({ host, port, topic, count, fetchBytes, onSequence }, inPlace) {
  const response = Buffer.allocUnsafe(fetchBytes + 64);
  let have = 0;
  let need = -1; // bytes of the current response frame, size prefix included, once known
  let onRead;
  // One response at a time is in flight, so a read never brings bytes beyond the current one.
  const socket = await open(host, port, inPlace ? { buffer: () => response.subarray(have), callback: (n) => (onRead(n), true) } : undefined);
  let offset = 0;
  let walked = 0;
  try {
    await new Promise((resolve, reject) => {
      const send = () => socket.write(k07.encodeFetchRequest(new k07.FetchRequest(topic, 0, offset, fetchBytes)));
      const onResponse = () => {
        const error = response.readInt16BE(4);
        if (error !== 0) return reject(new Error(`fetch at ${offset}: error code ${error}`));
        const { whole, bytes } = walkMessageSet(response, 6, need);
        const setStart = offset;
        offset += bytes;
        if (walked + whole < count) send();
        walked += readSequences(response, 6, Math.min(whole, count - walked), onSequence);
        if (walked >= count) return resolve(undefined);
        if (whole === 0) reject(new Error(`fetch at ${setStart}: no whole message`));
      };
      socket.on("error", reject);
      // `n` more bytes are in `response` from `have` on: learn the size once 4 are in; false on a bad one.
      onRead = (n) => {
        have += n;
        if (need < 0 && have >= 4) {
          need = 4 + response.readInt32BE(0);
          if (need > response.length) {
            reject(new Error(`response of ${need} bytes`));
            return false;
          }
        }
        if (have === need) {
          onResponse();
          have = 0;
          need = -1;
        }
        return true;
      };
      socket.on("data", (chunk) => {
        for (let from = 0; from < chunk.length;) {
          const take = Math.min((need < 0 ? 4 : need) - have, chunk.length - from);
          chunk.copy(response, have, from, from + take);
          from += take;
          if (!onRead(take)) return;
        }
      });
      send();
    });
  } finally {
    socket.destroy();
  }
  return walked;
}

/**
 * Walks a message set in `buffer[start..end)` by its length prefixes only: how many entries are
 * whole and how many bytes they take (where the next fetch starts).
 */
export function walkMessageSet(buffer, start, end) {
  let at = start;
  let whole = 0;
  while (at + 4 <= end) {
    const next = at + 4 + buffer.readInt32BE(at);
    if (next > end) break;
    at = next;
    whole++;
  }
  return { whole, bytes: at - start };
}

/** Reports the first `count` entries' sequence numbers (a payload's first 4 bytes; magic-1 entries) and payload lengths. */
export function readSequences(buffer, start, count, onSequence) {
  for (let at = start, k = 0; k < count; k++) {
    const length = buffer.readInt32BE(at);
    onSequence(buffer.readUInt32BE(at + 10), length - 6); // length(4) magic(1) attributes(1) crc(4)
    at += 4 + length;
  }
  return count;
}

/** The consumer's side alone: msg/s walking (and reading the sequence numbers of) one fetch response held in memory. */
export function walkInMemory(response, seconds) {
  const end = 4 + response.readInt32BE(0);
  let messages = 0;
  let sink = 0;
  const onSequence = (seq) => (sink ^= seq);
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const { whole } = walkMessageSet(response, 6, end);
    messages += readSequences(response, 6, whole, onSequence);
  }
  if (sink === 0.5) console.log(sink);
  return (messages * 1000) / (performance.now() - start);
}
