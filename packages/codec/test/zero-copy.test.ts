/**
 * Zero copy, proven: a fetched message's payload is a view of the bytes received from the socket
 * (the chunk itself when the frame arrived in one chunk, the one assembled frame otherwise).
 */
import {
  ClientSession,
  FetchRequest,
  MultiFetchRequest,
  createMessage,
  decodeMessageSet,
  decodeRequest,
  encodeFetchResponse,
  encodeMessages,
  encodeMultiFetchResponse,
  encodeRequest,
  ProduceRequest,
  type SessionEvent,
} from "../src/index.ts";

const payloads = ["hello", "world", "x".repeat(300)];
const set = encodeMessages(payloads.map((p) => createMessage(p)));

function fetchEvent(events: SessionEvent<string>[]): Extract<SessionEvent<string>, { kind: "fetch" }> {
  const e = events[0]!;
  if (e.kind !== "fetch") throw new Error(`expected a fetch event, got ${e.kind}`);
  return e;
}

test("a response received in one chunk: every payload shares the chunk's buffer", () => {
  const session = new ClientSession<string>();
  session.send(new FetchRequest("t", 0, 0, 4096), "f");
  const chunk = encodeFetchResponse({ errorCode: 0, messageSet: set });
  const event = fetchEvent(session.receive(chunk));
  const messages = decodeMessageSet(event.response.messageSet).toArray();
  expect(messages.map((m) => m.text())).toEqual(payloads);
  for (const m of messages) {
    expect(m.payload.buffer).toBe(chunk.buffer);
    expect(m.source.buffer).toBe(chunk.buffer);
  }
  // Writing through the view changes the received bytes: it really is the same memory.
  messages[0]!.payload[0] = "J".charCodeAt(0);
  expect(chunk[6 + 10]).toBe("J".charCodeAt(0));
});

test("a response spanning chunks: payloads share the one assembled frame's buffer", () => {
  const session = new ClientSession<string>();
  session.send(new FetchRequest("t", 0, 0, 4096), "f");
  const bytes = encodeFetchResponse({ errorCode: 0, messageSet: set });
  const first = bytes.slice(0, 40);
  const second = bytes.slice(40);
  expect(session.receive(first)).toEqual([]);
  const event = fetchEvent(session.receive(second));
  const frameBuffer = event.response.messageSet.buffer;
  expect(frameBuffer).not.toBe(first.buffer);
  expect(frameBuffer).not.toBe(second.buffer);
  expect(frameBuffer.byteLength).toBe(bytes.length - 4); // exactly the frame, assembled once
  for (const m of decodeMessageSet(event.response.messageSet)) expect(m.payload.buffer).toBe(frameBuffer);
});

test("multi-fetch sub-responses are views of the received chunk", () => {
  const session = new ClientSession<string>();
  session.send(new MultiFetchRequest([new FetchRequest("a", 0, 0, 99), new FetchRequest("b", 0, 0, 99)]), "m");
  const chunk = encodeMultiFetchResponse([
    { errorCode: 0, messageSet: set },
    { errorCode: 0, messageSet: set },
  ]);
  const [event] = session.receive(chunk);
  if (event!.kind !== "multi-fetch") throw new Error("expected multi-fetch");
  for (const part of event!.response) {
    for (const m of decodeMessageSet(part.messageSet)) expect(m.payload.buffer).toBe(chunk.buffer);
  }
});

test("a broker decoding a produce gets the message set as a view of the request frame", () => {
  const frame = encodeRequest(new ProduceRequest("t", 0, [createMessage("hello")]));
  const decoded = decodeRequest(frame.subarray(4));
  if (decoded.type !== 0) throw new Error("expected a produce");
  expect(decoded.messageSet.buffer).toBe(frame.buffer);
  expect(decodeMessageSet(decoded.messageSet).toArray()[0]!.payload.buffer).toBe(frame.buffer);
});

test("encoding references payloads and writes them once into the request's only buffer", () => {
  const payload = new TextEncoder().encode("payload");
  const message = createMessage(payload);
  expect(message.payload).toBe(payload);
  const frame = encodeRequest(new ProduceRequest("t", 0, [message]));
  expect(frame.buffer.byteLength).toBe(frame.length); // exactly sized, one allocation
});
