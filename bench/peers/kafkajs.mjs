// Adapter for KafkaJS 2.2.4's v0 message-set code (the 0.8+ format with offsets and keys: a
// reference point for a maintained client, not the 0.7 wire format). KafkaJS does not check CRCs.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const MessageSet = require("kafkajs/src/protocol/messageSet/index.js");
const decodeMessageSet = require("kafkajs/src/protocol/messageSet/decoder.js");
const Decoder = require("kafkajs/src/protocol/decoder.js");
const Encoder = require("kafkajs/src/protocol/encoder.js");

export const name = "KafkaJS 2.2.4 (v0 message set)";
export const checksCrcOnDecode = "never";

/** A v0 message set of `payloads` behind a 0.7-style produce header (topic, partition, set size). */
export function encodeProduce(topic, payloads) {
  const entries = new Array(payloads.length);
  for (let i = 0; i < payloads.length; i++) entries[i] = { value: payloads[i] };
  const set = MessageSet({ messageVersion: 0, entries }).buffer;
  const request = new Encoder().writeInt16(0).writeString(topic).writeInt32(0).writeInt32(set.length).writeBuffer(set).buffer;
  return Buffer.concat([new Encoder().writeInt32(request.length).buffer, request]);
}

/** The same payloads as a KafkaJS v0 message set behind a 6-byte fetch-response header. */
export function buildFetchResponse(payloads) {
  const entries = payloads.map((value) => ({ value }));
  const set = MessageSet({ messageVersion: 0, entries }).buffer;
  return new Encoder()
    .writeInt32(set.length + 2)
    .writeInt16(0)
    .writeBuffer(set).buffer;
}

/** Decodes a response built by buildFetchResponse (its decoder is async). */
export async function decodeFetch(response) {
  const decoder = new Decoder(response);
  decoder.readInt32();
  decoder.readInt16();
  const messages = await decodeMessageSet(decoder, response.length - 6);
  let bytes = 0;
  for (const m of messages) bytes += m.value.length;
  return { messages: messages.length, bytes };
}
