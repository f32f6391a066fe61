// Adapter for prozess 0.7.0 (a Node 0.7 client): its own Message / ProduceRequest / FetchResponse modules.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const Message = require("prozess/Message.js");
const ProduceRequest = require("prozess/ProduceRequest.js");
const FetchResponse = require("prozess/FetchResponse.js");

export const name = "prozess 0.7.0";
export const checksCrcOnDecode = "optional (Message#isValid)";

/** A complete Produce request frame for `payloads` (Buffers). */
export function encodeProduce(topic, payloads) {
  const messages = new Array(payloads.length);
  for (let i = 0; i < payloads.length; i++) messages[i] = new Message(payloads[i]);
  return new ProduceRequest(topic, 0, messages).toBytes();
}

/** Decodes a whole fetch response (size prefix included); returns the number of payload bytes seen. */
export function decodeFetch(response, verifyCrc) {
  const decoded = FetchResponse.fromBytes(response);
  let bytes = 0;
  for (const m of decoded.messages) {
    if (verifyCrc && !m.isValid()) throw new Error("CRC mismatch");
    bytes += m.payload.length;
  }
  return { messages: decoded.messages.length, bytes };
}
