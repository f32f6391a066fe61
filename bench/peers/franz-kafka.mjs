// Adapter for franz-kafka 0.7.5 (a Node 0.7 client): its client/message, produce-request and fetch-response modules.
import { createRequire } from "node:module";
import { inherits } from "node:util";
import zlib from "node:zlib";

const require = createRequire(import.meta.url);
const crc32 = require("buffer-crc32");
const State = require("franz-kafka/client/state.js")(inherits);
const Message = require("franz-kafka/client/message.js")(zlib, null, crc32);
const RequestHeader = require("franz-kafka/client/request-header.js")();
const ProduceRequest = require("franz-kafka/client/produce-request.js")(inherits, RequestHeader, Message, State);
const FetchBody = require("franz-kafka/client/fetch-response.js")(inherits, State, Message);

export const name = "franz-kafka 0.7.5";
export const checksCrcOnDecode = "always";

const topicOptions = (topic) => ({ name: topic, compression: Message.compression.NONE, maxMessageSize: 1 << 30 });

/** A complete Produce request for `payloads` (Buffers); franz-kafka writes it to a stream in 3 pieces, joined here. */
export function encodeProduce(topic, payloads) {
  const messages = new Array(payloads.length);
  for (let i = 0; i < payloads.length; i++) messages[i] = Message.create(payloads[i]);
  const pieces = [];
  const stream = { write: (b) => pieces.push(b) > 0 };
  let failure;
  new ProduceRequest(topicOptions(topic), 0, messages).serialize(stream, (err) => (failure = err));
  if (failure) throw failure;
  return Buffer.concat(pieces);
}

/**
 * Decodes a whole fetch response (size prefix included): franz-kafka reads the 6-byte header, then
 * parses the body it has copied into its own buffer (its State machine copies the socket bytes).
 */
export function decodeFetch(response) {
  const body = new FetchBody(response.length - 6);
  response.copy(body.buffer, 0, 6);
  const messages = body.parse();
  let bytes = 0;
  for (const m of messages) bytes += m.payload.length;
  return { messages: messages.length, bytes };
}
