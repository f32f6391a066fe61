/** The proxy's protocol logic without sockets: responses split anywhere come out whole, in order, unchanged. */
import { OTHER_TOPICS, ProxySession, type ProxyLogEntry, type TopicCounters } from "@k07/proxy";
import {
  FetchRequest,
  OffsetRequest,
  encodeFetchRequest,
  encodeFetchResponse,
  encodeMessages,
  encodeMultiFetchRequest,
  encodeMultiFetchResponse,
  encodeOffsetRequest,
  encodeOffsetsResponse,
  createMessageFromString,
  encodeMultiProduceRequest,
  encodeProduceRequest,
  ProduceRequest,
} from "@k07/codec";
import { concat } from "@k07/testing/bytes.ts";

function session() {
  const counters = new Map<string, TopicCounters>();
  const s = new ProxySession({ client: "test", policy: { fetch: ["open"] }, maxFrameBytes: 1 << 20, counters });
  return { s, counters };
}

const set = encodeMessages([createMessageFromString("hello"), createMessageFromString("world")]);

for (const chunkSize of [1, 3, 7, 1000]) {
  test(`broker responses fed in ${chunkSize}-byte chunks reach the client whole and in order, with denied fetches answered in place`, () => {
    const { s, counters } = session();
    const requests = concat(
      encodeFetchRequest(new FetchRequest("open", 0, 0, 100)),
      encodeFetchRequest(new FetchRequest("closed", 0, 0, 100)),
      encodeOffsetRequest(new OffsetRequest("open", 0, -1, 2)),
      encodeMultiFetchRequest([new FetchRequest("closed", 0, 0, 100), new FetchRequest("open", 0, 0, 100)]),
    );
    const forwarded = s.fromClient(requests);
    expect(forwarded.close).toBeUndefined();
    // The broker gets the fetch and offsets unchanged, and a multi-fetch of the allowed part only.
    expect(Buffer.concat(forwarded.toBroker)).toEqual(
      Buffer.from(
        concat(
          encodeFetchRequest(new FetchRequest("open", 0, 0, 100)),
          encodeOffsetRequest(new OffsetRequest("open", 0, -1, 2)),
          encodeMultiFetchRequest([new FetchRequest("open", 0, 0, 100)]),
        ),
      ),
    );
    const fromBroker = concat(
      encodeFetchResponse({ errorCode: 0, messageSet: set }),
      encodeOffsetsResponse([30, 0]),
      encodeMultiFetchResponse([{ errorCode: 0, messageSet: set }]),
    );
    const toClient: Uint8Array[] = [...forwarded.toClient];
    for (let i = 0; i < fromBroker.length; i += chunkSize) {
      const actions = s.fromBroker(fromBroker.subarray(i, i + chunkSize));
      expect(actions.close).toBeUndefined();
      toClient.push(...actions.toClient);
    }
    const expected = concat(
      encodeFetchResponse({ errorCode: 0, messageSet: set }),
      encodeFetchResponse({ errorCode: -1, messageSet: new Uint8Array(0) }),
      encodeOffsetsResponse([30, 0]),
      encodeMultiFetchResponse([
        { errorCode: -1, messageSet: new Uint8Array(0) },
        { errorCode: 0, messageSet: set },
      ]),
    );
    expect(Buffer.from(concat(...toClient)).toString("hex")).toBe(Buffer.from(expected).toString("hex"));
    expect(s.pendingResponses).toBe(0);
    expect(counters.get("open")!.bytesFetched).toBe(2 * set.length);
    expect(counters.get("closed")!.denied).toBe(2);
  });
}

test("a streamed fetch response is forwarded as views of the received chunk, not copies", () => {
  const { s } = session();
  s.fromClient(encodeFetchRequest(new FetchRequest("open", 0, 0, 100)));
  const response = encodeFetchResponse({ errorCode: 0, messageSet: set });
  const actions = s.fromBroker(response);
  const body = actions.toClient[actions.toClient.length - 1]!;
  expect(body.buffer).toBe(response.buffer);
});

test("a response nobody asked for, or an impossible size, closes the connection", () => {
  expect(session().s.fromBroker(encodeOffsetsResponse([1])).close).toMatch(/nobody asked/);
  const { s } = session();
  s.fromClient(encodeFetchRequest(new FetchRequest("open", 0, 0, 100)));
  expect(s.fromBroker(new Uint8Array([0, 0, 0, 1, 0])).close).toMatch(/frame size 1/);
});

test("a MultiProduce denied at its second part forwards the first part alone, as a MultiProduce, then closes", () => {
  const counters = new Map<string, TopicCounters>();
  const s = new ProxySession({ client: "test", policy: { produce: ["open"] }, maxFrameBytes: 1 << 20, counters });
  const allowed = new ProduceRequest("open", 0, [createMessageFromString("kept")]);
  const denied = new ProduceRequest("closed", 0, [createMessageFromString("refused")]);
  const frame = encodeMultiProduceRequest([allowed, denied, allowed]);
  const actions = s.fromClient(frame);
  expect(Buffer.concat(actions.toBroker).toString("hex")).toBe(Buffer.from(encodeMultiProduceRequest([allowed])).toString("hex"));
  // The forwarded part is a view of the received frame, not a copy.
  expect(actions.toBroker[actions.toBroker.length - 1]!.buffer).toBe(frame.buffer);
  expect(actions.close).toMatch(/produce to "closed" is not allowed/);
});

for (const chunkSize of [1, 4, 5, 1000]) {
  test(`an allowed multi-fetch response fed in ${chunkSize}-byte chunks streams through unchanged, its parts counted per topic as they pass`, () => {
    const counters = new Map<string, TopicCounters>();
    const s = new ProxySession({ client: "test", policy: {}, maxFrameBytes: 1 << 20, counters });
    s.fromClient(encodeMultiFetchRequest([new FetchRequest("a", 0, 0, 100), new FetchRequest("b", 0, 0, 100), new FetchRequest("a", 1, 0, 100)]));
    const other = encodeMessages([createMessageFromString("x")]);
    const response = encodeMultiFetchResponse([
      { errorCode: 0, messageSet: set },
      { errorCode: 3, messageSet: new Uint8Array(0) },
      { errorCode: 0, messageSet: other },
    ]);
    const out: Uint8Array[] = [];
    for (let i = 0; i < response.length; i += chunkSize) out.push(...s.fromBroker(response.subarray(i, i + chunkSize)).toClient);
    expect(Buffer.from(concat(...out)).equals(Buffer.from(response))).toBe(true);
    expect(counters.get("a")!.bytesFetched).toBe(set.length + other.length);
    expect(counters.get("b")!.bytesFetched).toBe(0);
  });
}

test("every request, and every part of a multi-request, is logged once with what it asks for and counted under its topic", () => {
  const log: ProxyLogEntry[] = [];
  const counters = new Map<string, TopicCounters>();
  const s = new ProxySession({
    client: "10.0.0.1:5000",
    policy: { produce: ["p"], fetch: ["f"], offsets: ["o"] },
    maxFrameBytes: 1 << 20,
    counters,
    log: (entry) => log.push(entry),
  });
  const one = new ProduceRequest("p", 0, [createMessageFromString("one")]);
  const two = new ProduceRequest("p", 2, [createMessageFromString("two!")]);
  const actions = s.fromClient(
    concat(
      encodeFetchRequest(new FetchRequest("f", 1, 5, 100)),
      encodeFetchRequest(new FetchRequest("x", 0, 0, 10)),
      encodeOffsetRequest(new OffsetRequest("o", 2, -2, 3)),
      encodeMultiFetchRequest([new FetchRequest("f", 0, 7, 50), new FetchRequest("x", 3, 9, 60)]),
      encodeProduceRequest(one),
      encodeMultiProduceRequest([one, two]),
    ),
  );
  expect(actions.close).toBeUndefined();
  const client = "10.0.0.1:5000";
  expect(log).toStrictEqual([
    { client, type: "fetch", topic: "f", partition: 1, offset: 5, size: 100, allowed: true },
    { client, type: "fetch", topic: "x", partition: 0, offset: 0, size: 10, allowed: false },
    { client, type: "offsets", topic: "o", partition: 2, offset: -2, size: 3, allowed: true },
    { client, type: "multi-fetch", topic: "f", partition: 0, offset: 7, size: 50, allowed: true },
    { client, type: "multi-fetch", topic: "x", partition: 3, offset: 9, size: 60, allowed: false },
    { client, type: "produce", topic: "p", partition: 0, size: one.messageSetBytes, allowed: true },
    { client, type: "multi-produce", topic: "p", partition: 0, size: one.messageSetBytes, allowed: true },
    { client, type: "multi-produce", topic: "p", partition: 2, size: two.messageSetBytes, allowed: true },
  ]);
  expect(Object.fromEntries(counters)).toStrictEqual({
    f: { requests: 2, bytesProduced: 0, bytesFetched: 0, denied: 0 },
    x: { requests: 2, bytesProduced: 0, bytesFetched: 0, denied: 2 },
    o: { requests: 1, bytesProduced: 0, bytesFetched: 0, denied: 0 },
    p: { requests: 3, bytesProduced: 2 * one.messageSetBytes + two.messageSetBytes, bytesFetched: 0, denied: 0 },
  });
});

test("a denied produce forwards nothing, counts no bytes, and closes with why; so does a MultiProduce denied at its first part", () => {
  const produceOnlyOpen = () => {
    const counters = new Map<string, TopicCounters>();
    return { counters, s: new ProxySession({ client: "test", policy: { produce: ["open"] }, maxFrameBytes: 1 << 20, counters }) };
  };
  const denied = new ProduceRequest("closed", 0, [createMessageFromString("refused")]);
  const single = produceOnlyOpen();
  const actions = single.s.fromClient(encodeProduceRequest(denied));
  expect(actions).toEqual({ toBroker: [], toClient: [], close: 'produce to "closed" is not allowed for test' });
  expect(single.counters.get("closed")).toStrictEqual({ requests: 1, bytesProduced: 0, bytesFetched: 0, denied: 1 });
  const multi = produceOnlyOpen();
  const first = multi.s.fromClient(encodeMultiProduceRequest([denied, new ProduceRequest("open", 0, [createMessageFromString("x")])]));
  expect(first).toEqual({ toBroker: [], toClient: [], close: 'produce to "closed" is not allowed for test' });
});

test("denied offsets close the connection with why; allowed offsets are forwarded and their answer streamed back", () => {
  const counters = new Map<string, TopicCounters>();
  const s = new ProxySession({ client: "test", policy: { offsets: ["open"] }, maxFrameBytes: 1 << 20, counters });
  const allowed = encodeOffsetRequest(new OffsetRequest("open", 0, -1, 1));
  expect(Buffer.concat(s.fromClient(allowed).toBroker).equals(allowed)).toBe(true);
  expect(s.pendingResponses).toBe(1);
  const answer = encodeOffsetsResponse([42]);
  expect(Buffer.concat(s.fromBroker(answer).toClient).equals(answer)).toBe(true);
  expect(s.pendingResponses).toBe(0);
  expect(s.fromClient(encodeOffsetRequest(new OffsetRequest("closed", 0, -1, 1)))).toEqual({
    toBroker: [],
    toClient: [],
    close: 'offsets of "closed" are not allowed for test',
  });
});

test("a multi-fetch whose every part is denied is answered by the proxy alone, in order", () => {
  const { s } = session();
  const actions = s.fromClient(encodeMultiFetchRequest([new FetchRequest("closed", 0, 0, 100), new FetchRequest("shut", 1, 0, 100)]));
  expect(actions.toBroker).toEqual([]);
  const denied = { errorCode: -1, messageSet: new Uint8Array(0) };
  expect(Buffer.concat(actions.toClient).toString("hex")).toBe(Buffer.from(encodeMultiFetchResponse([denied, denied])).toString("hex"));
  expect(s.pendingResponses).toBe(0);
});

describe("a refusal while the broker still owes answers closes only once they are through", () => {
  const policy = { produce: ["open"], fetch: ["open"] };
  const refused = encodeProduceRequest(new ProduceRequest("closed", 0, [createMessageFromString("refused")]));
  const reason = 'produce to "closed" is not allowed for test';
  const fetchResponse = encodeFetchResponse({ errorCode: 0, messageSet: set });

  test("a fetch answer being streamed", () => {
    const s = new ProxySession({ client: "test", policy, maxFrameBytes: 1 << 20, counters: new Map() });
    const open = encodeFetchRequest(new FetchRequest("open", 0, 0, 100));
    // Requests after the refused one in the same chunk are not forwarded.
    const actions = s.fromClient(concat(open, refused, open));
    expect(Buffer.concat(actions.toBroker).equals(open)).toBe(true);
    expect(actions.close).toBeUndefined();
    // More from the client changes nothing: it is not read, and the owed answer still comes.
    expect(s.fromClient(open)).toEqual({ toBroker: [], toClient: [], close: undefined });
    const half = fetchResponse.length >> 1;
    const first = s.fromBroker(fetchResponse.subarray(0, half));
    expect(first.close).toBeUndefined();
    expect(s.pendingResponses).toBe(0);
    const rest = s.fromBroker(fetchResponse.subarray(half));
    expect(rest.close).toBe(reason);
    expect(Buffer.concat([...first.toClient, ...rest.toClient]).equals(fetchResponse)).toBe(true);
    expect(s.fromClient(open)).toEqual({ toBroker: [], toClient: [], close: reason });
  });

  test("a partly denied multi-fetch answer being assembled", () => {
    const s = new ProxySession({ client: "test", policy, maxFrameBytes: 1 << 20, counters: new Map() });
    s.fromClient(concat(encodeMultiFetchRequest([new FetchRequest("closed", 0, 0, 100), new FetchRequest("open", 0, 0, 100)]), refused));
    const response = encodeMultiFetchResponse([{ errorCode: 0, messageSet: set }]);
    const first = s.fromBroker(response.subarray(0, 9));
    expect(first).toEqual({ toBroker: [], toClient: [], close: undefined });
    const rest = s.fromBroker(response.subarray(9));
    expect(rest.close).toBe(reason);
    expect(Buffer.concat(rest.toClient).toString("hex")).toBe(
      Buffer.from(
        encodeMultiFetchResponse([
          { errorCode: -1, messageSet: new Uint8Array(0) },
          { errorCode: 0, messageSet: set },
        ]),
      ).toString("hex"),
    );
  });

  test("a malformed request closes the same way, after the answers owed for the frames before it", () => {
    const s = new ProxySession({ client: "test", policy, maxFrameBytes: 1 << 20, counters: new Map() });
    const open = encodeFetchRequest(new FetchRequest("open", 0, 0, 100));
    const actions = s.fromClient(concat(open, new Uint8Array([0, 0, 0, 2, 0, 9]), open));
    expect(Buffer.concat(actions.toBroker).equals(open)).toBe(true);
    expect(actions.close).toBeUndefined();
    expect(s.fromBroker(fetchResponse).close).toMatch(/^malformed request from test: /);
  });

  test("bytes the broker sends after its last owed answer are reported as an answer nobody asked for", () => {
    const s = new ProxySession({ client: "test", policy, maxFrameBytes: 1 << 20, counters: new Map() });
    s.fromClient(concat(encodeFetchRequest(new FetchRequest("open", 0, 0, 100)), refused));
    const stray = encodeOffsetsResponse([1]);
    expect(s.fromBroker(concat(fetchResponse, stray.subarray(0, 2))).close).toBeUndefined();
    expect(s.fromBroker(stray.subarray(2)).close).toMatch(/nobody asked/);
  });
});

test("a broker answer may be as large as the largest message set a fetch can ask for plus its header, no larger", () => {
  const open = () => {
    const s = new ProxySession({ client: "test", policy: {}, maxFrameBytes: 100, counters: new Map() });
    s.fromClient(encodeFetchRequest(new FetchRequest("open", 0, 0, 100)));
    return s;
  };
  // An empty fetch answer is the smallest: its error code alone.
  const empty = encodeFetchResponse({ errorCode: 3, messageSet: new Uint8Array(0) });
  expect(empty.length).toBe(6);
  expect(Buffer.concat(open().fromBroker(empty).toClient).equals(empty)).toBe(true);
  expect(open().fromBroker(new Uint8Array([0, 0, 0, 106])).close).toBeUndefined();
  expect(open().fromBroker(new Uint8Array([0, 0, 0, 107])).close).toBe("malformed response from the broker: frame size 107");
});

test("a malformed broker answer to a partly denied multi-fetch closes the connection with why", () => {
  const { s } = session();
  s.fromClient(encodeMultiFetchRequest([new FetchRequest("closed", 0, 0, 100), new FetchRequest("open", 0, 0, 100)]));
  // An outer error code, then a part cut inside its size.
  const actions = s.fromBroker(new Uint8Array([0, 0, 0, 4, 0, 0, 0, 0]));
  expect(actions.close).toMatch(/^malformed response from the broker: /);
  expect(actions.toClient).toEqual([]);
});

test("the other-topics bucket does not count as a named topic", () => {
  const counters = new Map<string, TopicCounters>();
  const fetch = (topic: string, maxTopics: number) =>
    new ProxySession({ client: "test", policy: {}, maxFrameBytes: 1 << 20, counters, maxTopics }).fromClient(
      encodeFetchRequest(new FetchRequest(topic, 0, 0, 100)),
    );
  fetch("a", 1);
  fetch("b", 1);
  expect([...counters.keys()]).toEqual(["a", OTHER_TOPICS]);
  // Two names allowed now: "a" is one, the bucket is none, so "c" gets its own.
  fetch("c", 2);
  expect([...counters.keys()]).toEqual(["a", OTHER_TOPICS, "c"]);
});

test("a request frame over maxFrameBytes is never forwarded: the connection closes", () => {
  const s = new ProxySession({ client: "test", policy: {}, maxFrameBytes: 100, counters: new Map() });
  const small = encodeProduceRequest(new ProduceRequest("t", 0, [createMessageFromString("x")]));
  const large = encodeProduceRequest(new ProduceRequest("t", 0, [createMessageFromString("x".repeat(200))]));
  const actions = s.fromClient(concat(small, large));
  expect(Buffer.concat(actions.toBroker).equals(small)).toBe(true);
  expect(actions.close).toMatch(/^malformed request from test: /);
});

test("an Offsets request for no offsets, the one behind a produce confirmation, passes on a topic the client may produce to", () => {
  const producerOnly = () =>
    new ProxySession({ client: "test", policy: { produce: ["in"], offsets: [] }, maxFrameBytes: 1 << 20, counters: new Map() });
  const confirmation = encodeOffsetRequest(new OffsetRequest("in", 0, -1, 0));
  const actions = producerOnly().fromClient(confirmation);
  expect(actions.close).toBeUndefined();
  expect(Buffer.concat(actions.toBroker).equals(confirmation)).toBe(true);
  expect(producerOnly().fromClient(encodeOffsetRequest(new OffsetRequest("in", 0, -1, 1))).close).toBe('offsets of "in" are not allowed for test');
});

test("a partly denied multi-fetch answer cut anywhere, with the next answer in the same chunk, comes out rewritten and in order", () => {
  const fetchAnswer = encodeFetchResponse({ errorCode: 0, messageSet: set });
  const fromBroker = concat(encodeMultiFetchResponse([{ errorCode: 0, messageSet: set }]), fetchAnswer);
  const expected = Buffer.from(
    concat(
      encodeMultiFetchResponse([
        { errorCode: -1, messageSet: new Uint8Array(0) },
        { errorCode: 0, messageSet: set },
      ]),
      fetchAnswer,
    ),
  );
  for (let cut = 1; cut < fromBroker.length; cut++) {
    const { s } = session();
    s.fromClient(
      concat(
        encodeMultiFetchRequest([new FetchRequest("closed", 0, 0, 100), new FetchRequest("open", 0, 0, 100)]),
        encodeFetchRequest(new FetchRequest("open", 0, 0, 100)),
      ),
    );
    const out = [...s.fromBroker(fromBroker.subarray(0, cut)).toClient, ...s.fromBroker(fromBroker.subarray(cut)).toClient];
    expect(Buffer.concat(out).equals(expected)).toBe(true);
  }
});
