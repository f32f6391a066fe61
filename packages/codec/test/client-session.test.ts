/**
 * ClientSession, the sans-IO client (h11-style): requests become bytes, received bytes become
 * responses matched by order; Produce and MultiProduce get none; a multi-fetch response is decoded
 * with the count that was sent; anything unexpected fails the session for good.
 */
import {
  ClientSession,
  FetchRequest,
  FrameTooLargeError,
  MalformedError,
  MultiFetchRequest,
  MultiProduceRequest,
  OffsetRequest,
  ProduceRequest,
  createMessage,
  decodeMessageSet,
  encodeFetchResponse,
  encodeMessages,
  encodeMultiFetchResponse,
  encodeOffsetsResponse,
  encodeRequest,
  type SessionEvent,
} from "../src/index.ts";
import { h11TripleSession } from "./helpers/h11-triple.ts";
import { concat } from "@k07/testing/bytes.ts";

const helloSet = encodeMessages([createMessage("hello")]);
const fetchA = new FetchRequest("a", 0, 0, 1024);
const offsetsB = new OffsetRequest("b", 1, -1, 2);
const fetchC = new FetchRequest("c", 2, 99, 1024);
const produce = new ProduceRequest("p", 0, [createMessage("x")]);
const multiProduce = new MultiProduceRequest([produce]);

function summary(events: SessionEvent<string>[]): unknown[] {
  return events.map((e) => {
    switch (e.kind) {
      case "fetch":
        return [e.kind, e.token, e.request.topic, e.response.errorCode, e.response.messageSet.length];
      case "multi-fetch":
        return [e.kind, e.token, e.response.map((p) => [p.errorCode, p.messageSet.length])];
      case "offsets":
        return [e.kind, e.token, e.response.offsets];
    }
  });
}

test("send returns the request's frame, the same bytes encodeRequest gives", () => {
  const session = new ClientSession<string>();
  expect(session.send(fetchA, "a")).toEqual(encodeRequest(fetchA));
  expect(session.send(produce, "p")).toEqual(encodeRequest(produce));
});

test("responses are matched to requests by order (whole, byte by byte, with trailing bytes)", () => {
  const responses = concat(
    encodeFetchResponse({ errorCode: 0, messageSet: helloSet }),
    encodeOffsetsResponse([57, 0]),
    encodeFetchResponse({ errorCode: 1, messageSet: new Uint8Array(0) }),
  );
  const events = h11TripleSession(
    [
      { request: fetchA, token: "first" },
      { request: offsetsB, token: "second" },
      { request: fetchC, token: "third" },
    ],
    responses,
    summary,
  );
  expect(summary(events)).toEqual([
    ["fetch", "first", "a", 0, helloSet.length],
    ["offsets", "second", [57, 0]],
    ["fetch", "third", "c", 1, 0],
  ]);
  expect(events[0]!.request).toBe(fetchA);
});

test("Produce and MultiProduce get no response: they are never queued", () => {
  const session = new ClientSession<string>();
  session.send(produce, "p1");
  session.send(fetchA, "f");
  session.send(multiProduce, "p2");
  expect(session.pendingCount).toBe(1);
  expect(session.oldest?.token).toBe("f");
  const [event] = session.receive(encodeFetchResponse({ errorCode: 0, messageSet: helloSet }));
  expect(event!.token).toBe("f");
  expect(session.pendingCount).toBe(0);
});

test("a multi-fetch response is decoded with the number of fetches that was sent", () => {
  const multi = new MultiFetchRequest([fetchA, fetchC, new FetchRequest("d", 0, 0, 4)]);
  const response = encodeMultiFetchResponse([
    { errorCode: 0, messageSet: helloSet },
    { errorCode: 3, messageSet: new Uint8Array(0) },
    { errorCode: 0, messageSet: new Uint8Array(0) },
  ]);
  const events = h11TripleSession([{ request: multi, token: "m" }], response, summary);
  expect(summary(events)).toEqual([
    [
      "multi-fetch",
      "m",
      [
        [0, helloSet.length],
        [3, 0],
        [0, 0],
      ],
    ],
  ]);
  const parts = (events[0] as Extract<SessionEvent<string>, { kind: "multi-fetch" }>).response;
  expect(decodeMessageSet(parts[0]!.messageSet).toArray()[0]!.text()).toBe("hello");
});

test("a response nobody asked for is a MalformedError, and the session stays failed", () => {
  const session = new ClientSession<string>();
  session.send(produce, "p");
  const stray = encodeOffsetsResponse([0]);
  expect(() => session.receive(stray)).toThrow(/no request was waiting/);
  expect(session.failed).toBeInstanceOf(MalformedError);
  expect(() => session.receive(new Uint8Array(0))).toThrow(MalformedError);
  expect(() => session.send(fetchA, "late")).toThrow(MalformedError);
});

test("responses completed before a violation are delivered; the violation surfaces on the next call", () => {
  const session = new ClientSession<string>();
  session.send(fetchA, "a");
  const bytes = concat(encodeFetchResponse({ errorCode: 0, messageSet: helloSet }), encodeOffsetsResponse([1]));
  const events = session.receive(bytes);
  expect(summary(events)).toEqual([["fetch", "a", "a", 0, helloSet.length]]);
  expect(session.failed).toBeInstanceOf(MalformedError);
  expect(() => session.receive(new Uint8Array(0))).toThrow(MalformedError);
});

test("a response frame above the limit fails the session before it is buffered", () => {
  const session = new ClientSession<string>({ maxFrameBytes: 100 });
  session.send(fetchA, "a");
  expect(() => session.receive(Uint8Array.of(0, 0, 0, 101, 0, 0))).toThrow(FrameTooLargeError);
});

test("a malformed response for the request at the head fails the session", () => {
  const session = new ClientSession<string>();
  session.send(offsetsB, "o");
  // An offsets response claiming 5 offsets but holding none.
  expect(() => session.receive(Uint8Array.of(0, 0, 0, 6, 0, 0, 0, 0, 0, 5))).toThrow(/offset count 5 does not fit/);
  expect(session.failed).toBeInstanceOf(MalformedError);
});

test("a request whose response does not decode stays pending, so takePending hands it back", () => {
  const session = new ClientSession<string>();
  session.send(offsetsB, "o");
  session.send(fetchA, "f");
  expect(() => session.receive(Uint8Array.of(0, 0, 0, 6, 0, 0, 0, 0, 0, 5))).toThrow(MalformedError);
  expect(session.oldest?.token).toBe("o");
  expect(session.takePending().map((p) => p.token)).toEqual(["o", "f"]);
});

test("takePending hands back every unanswered request in order (for when the connection drops)", () => {
  const session = new ClientSession<string>();
  session.send(fetchA, "a");
  session.send(offsetsB, "b");
  session.send(fetchC, "c");
  session.receive(encodeFetchResponse({ errorCode: 0, messageSet: new Uint8Array(0) }));
  expect(session.takePending().map((p) => p.token)).toEqual(["b", "c"]);
  expect(session.pendingCount).toBe(0);
});

test("a long-lived session keeps matching in order after its queue is compacted", () => {
  const session = new ClientSession<number>();
  const empty = encodeFetchResponse({ errorCode: 0, messageSet: new Uint8Array(0) });
  const tokens: number[] = [];
  for (let i = 0; i < 3000; i++) {
    session.send(fetchA, i);
    if (i % 2 === 1) for (const e of session.receive(concat(empty, empty))) tokens.push(e.token);
  }
  expect(tokens).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  expect(session.pendingCount).toBe(0);
});

test("a session encodes Produce frames into the buffers its allocate option supplies", () => {
  const backing = new ArrayBuffer(4096);
  const session = new ClientSession({ allocate: (size) => new Uint8Array(backing, 0, size) });
  const frame = session.send(new ProduceRequest("p", 0, [createMessage("x")]));
  expect(frame.buffer).toBe(backing);
  expect(session.pendingCount).toBe(0);
});

test("maxRequestBytes may be anything from 1 to 2147483647", () => {
  expect(() => new ClientSession({ maxRequestBytes: 1 })).not.toThrow();
  expect(() => new ClientSession({ maxRequestBytes: 0x7fff_ffff })).not.toThrow();
  expect(() => new ClientSession({ maxRequestBytes: 0 })).toThrow(new RangeError("maxRequestBytes must be an integer in [1, 2147483647], got 0"));
});

test("a session's hooks are checked when it is built", () => {
  expect(() => new ClientSession({ crc32: 5 as never })).toThrow(new TypeError("the crc32 option must be a function, got number"));
  expect(() => new ClientSession({ allocate: "fast" as never })).toThrow(new TypeError("the allocate option must be a function, got string"));
});
