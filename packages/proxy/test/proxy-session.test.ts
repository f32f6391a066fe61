/** The proxy's protocol logic without sockets: responses split anywhere come out whole, in order, unchanged. */
import { ProxySession, type TopicCounters } from "@k07/proxy";
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
