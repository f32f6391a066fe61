/**
 * Every golden vector of protocol §10: encoders reproduce the bytes exactly, decoders give the
 * fields the vectors file lists. Decoders run through the h11 triple (whole, byte by byte, trailing bytes).
 */
import {
  Compression,
  ClientSession,
  FetchRequest,
  MultiFetchRequest,
  OffsetRequest,
  compressionCodec,
  createMessage,
  createSnappyMessage,
  decodeFetchResponse,
  decodeMessageSet,
  decodeMultiFetchResponse,
  decodeOffsetsResponse,
  decodeRequest,
  encodeFetchRequest,
  encodeFetchResponse,
  encodeMessages,
  encodeMultiFetchRequest,
  encodeMultiFetchResponse,
  encodeMultiProduceRequest,
  encodeOffsetRequest,
  encodeOffsetsResponse,
  encodeProduceRequest,
  ProduceRequest,
  type FetchedMessage,
  type MessageSetView,
} from "../src/index.ts";
import { PARTIAL_ENTRY, h11TripleBytes, h11TripleFrame, h11TripleSession } from "./helpers/h11-triple.ts";
import { bytesToHex, frameOf, vector, vectorBytes, vectors, type VectorMessage } from "@k07/testing/vectors.ts";

const test_ = test;

/** What a decoded message set looks like, as the vectors list it. */
function asVectorMessages(set: MessageSetView): { payload: string; next_offset: number }[] {
  return set.toArray().map((m: FetchedMessage) => ({ payload: m.text(), next_offset: m.nextOffset }));
}

function expectedMessages(name: string): { payload: string; next_offset: number }[] {
  return (vector(name).decode as VectorMessage[]).map((m) => ({ payload: m.payload, next_offset: m.next_offset }));
}

/** Prefix check for a growing message set: only whole entries are ever returned. */
function onlyWholeEntries(full: { payload: string; next_offset: number }[]) {
  return (messages: { payload: string; next_offset: number }[], length: number) => {
    const whole = full.filter((m) => m.next_offset <= length);
    expect(messages).toEqual(whole);
  };
}

function hasCodec(id: number): boolean {
  try {
    compressionCodec(id);
    return true;
  } catch {
    return false;
  }
}

test("the vectors file holds the 23 vectors of protocol §10, each as long as it says", () => {
  expect(vectors).toHaveLength(23);
  for (const v of vectors) expect(vectorBytes(v.name).length).toBe(v.length);
});

describe("single messages (V1–V3)", () => {
  test.each([
    ["msg_v0_test_entry", 0],
    ["msg_v1_test_entry", 1],
  ] as const)("%s encodes byte-identically and decodes to its fields", (name, magic) => {
    const v = vector(name);
    const fields = v.decode as { size: number; magic: number; crc32: string; payload: string; attributes?: number };
    expect(bytesToHex(encodeMessages([createMessage(fields.payload, { magic })]))).toBe(v.hex);
    const [message] = h11TripleBytes(vectorBytes(name), (b) => decodeMessageSet(b).toArray(), {
      normalise: (ms) => ms.map((m) => [m.magic, m.attributes, m.crc, m.text(), m.nextOffset]),
      prefix: (ms, length) => expect(ms).toHaveLength(length === v.length ? 1 : 0),
      trailing: PARTIAL_ENTRY,
    });
    expect(message!.magic).toBe(fields.magic);
    expect(message!.attributes).toBe(fields.attributes ?? 0);
    expect(message!.crc).toBe(parseInt(fields.crc32, 16));
    expect(message!.text()).toBe(fields.payload);
    expect(message!.nextOffset).toBe(4 + fields.size);
  });

  test("msg_v1_testing_entry (kafka-python's test_message_simple) has the CRC the vector names", () => {
    const v = vector("msg_v1_testing_entry");
    expect(bytesToHex(encodeMessages([createMessage("testing")]))).toBe(v.hex);
    const [message] = decodeMessageSet(vectorBytes(v.name)).toArray();
    expect(message!.crc.toString(16).padStart(8, "0")).toBe((v.decode as { crc32: string }).crc32);
  });
});

describe("requests (V4–V8): encoders are byte-identical, decodeRequest gives the fields back", () => {
  test("V4 produce_test_p0_hello_world", () => {
    const hex = vector("produce_test_p0_hello_world").hex;
    const request = new ProduceRequest("test", 0, [createMessage("hello"), createMessage("world")]);
    expect(bytesToHex(encodeProduceRequest(request))).toBe(hex);
    const decoded = h11TripleFrame(vectorBytes("produce_test_p0_hello_world"), decodeRequest, (r) => ({
      ...r,
      messageSet: "messageSet" in r ? bytesToHex(r.messageSet) : undefined,
    }));
    expect(decoded).toMatchObject({ type: 0, topic: "test", partition: 0 });
    const set = decodeMessageSet((decoded as { messageSet: Uint8Array }).messageSet);
    expect(set.toArray().map((m) => m.text())).toEqual(["hello", "world"]);
  });

  test("V5 fetch_test_p0_o0_1MiB", () => {
    const data = { topic: "test", partition: 0, offset: 0, maxSize: 1048576 };
    expect(bytesToHex(encodeFetchRequest(new FetchRequest("test", 0, 0, 1048576)))).toBe(vector("fetch_test_p0_o0_1MiB").hex);
    expect(h11TripleFrame(vectorBytes("fetch_test_p0_o0_1MiB"), decodeRequest)).toEqual({ type: 1, ...data });
  });

  test.each([
    ["offsets_test_p0_latest_1", -1, 1],
    ["offsets_test_p0_earliest_10", -2, 10],
  ] as const)("V6 %s", (name, time, maxNumOffsets) => {
    expect(bytesToHex(encodeOffsetRequest(new OffsetRequest("test", 0, time, maxNumOffsets)))).toBe(vector(name).hex);
    expect(h11TripleFrame(vectorBytes(name), decodeRequest)).toEqual({ type: 4, topic: "test", partition: 0, time, maxNumOffsets });
  });

  test("V7 multifetch_2", () => {
    const fetches = [
      { topic: "test", partition: 0, offset: 0, maxSize: 1000 },
      { topic: "test", partition: 1, offset: 0, maxSize: 1000 },
    ];
    expect(bytesToHex(encodeMultiFetchRequest(fetches))).toBe(vector("multifetch_2").hex);
    expect(h11TripleFrame(vectorBytes("multifetch_2"), decodeRequest)).toEqual({ type: 2, fetches });
  });

  test("V8 multiproduce_2", () => {
    const produces = [new ProduceRequest("test", 0, [createMessage("a")]), new ProduceRequest("test", 1, [createMessage("b")])];
    expect(bytesToHex(encodeMultiProduceRequest(produces))).toBe(vector("multiproduce_2").hex);
    const decoded = h11TripleFrame(vectorBytes("multiproduce_2"), decodeRequest, (r) =>
      "produces" in r ? r.produces.map((p) => [p.topic, p.partition, bytesToHex(p.messageSet)]) : r,
    );
    if (!("produces" in decoded)) throw new Error("not a MultiProduce");
    expect(
      decoded.produces.map((p) => [
        p.topic,
        p.partition,
        decodeMessageSet(p.messageSet)
          .toArray()
          .map((m) => m.text()),
      ]),
    ).toEqual([
      ["test", 0, ["a"]],
      ["test", 1, ["b"]],
    ]);
  });
});

describe("fetch responses (V9–V12)", () => {
  test.each(["fetch_response_hello_world", "fetch_response_4_from_broker", "fetch_response_truncated_tail"])(
    "%s decodes to the vector's messages and next offsets",
    (name) => {
      const full = expectedMessages(name);
      const response = h11TripleFrame(vectorBytes(name), decodeFetchResponse, (r) => ({
        errorCode: r.errorCode,
        messages: asVectorMessages(decodeMessageSet(r.messageSet)),
      }));
      expect(response.errorCode).toBe(0);
      const set = decodeMessageSet(response.messageSet);
      expect(asVectorMessages(set)).toEqual(full);
      expect(set.validBytes).toBe(full[full.length - 1]!.next_offset);
      // The complete entries, grown a byte at a time, only ever yield whole entries; a partial
      // entry after them changes nothing.
      h11TripleBytes(response.messageSet.subarray(0, set.validBytes), (b) => asVectorMessages(decodeMessageSet(b)), {
        prefix: onlyWholeEntries(full),
        trailing: PARTIAL_ENTRY,
      });
    },
  );

  test("V10 carries the magic of each message", () => {
    const magics = (vector("fetch_response_4_from_broker").decode as VectorMessage[]).map((m) => m.magic ?? 1);
    const set = decodeMessageSet(decodeFetchResponse(frameOf("fetch_response_4_from_broker")).messageSet);
    expect(set.toArray().map((m) => m.magic)).toEqual(magics);
  });

  test("V9 is what encodeFetchResponse writes for its message set", () => {
    const set = encodeMessages([createMessage("hello"), createMessage("world")]);
    expect(bytesToHex(encodeFetchResponse({ errorCode: 0, messageSet: set }))).toBe(vector("fetch_response_hello_world").hex);
  });

  test("V11: the truncated tail is ignored and the next fetch starts at validBytes", () => {
    const messageSet = decodeFetchResponse(frameOf("fetch_response_truncated_tail")).messageSet;
    const set = decodeMessageSet(messageSet);
    expect(set.validBytes).toBe(42);
    expect(set.nextOffset).toBe(42);
    // maxSize 54 = log end − 3: 12 of the last entry's 15 bytes arrived.
    expect(messageSet.length).toBe(54);
    expect(set.truncatedBytes).toBe(12);
    expect(set.requiredBytes).toBe(0);
  });

  test.each([
    ["fetch_response_end_of_log", 0],
    ["fetch_response_offset_out_of_range", 1],
    ["fetch_response_wrong_partition", 3],
    ["fetch_response_unknown_error", -1],
  ] as const)("V12 %s has error code %i and an empty set", (name, errorCode) => {
    const response = h11TripleFrame(vectorBytes(name), decodeFetchResponse);
    expect(response.errorCode).toBe(errorCode);
    expect(response.messageSet.length).toBe(0);
    expect(bytesToHex(encodeFetchResponse({ errorCode, messageSet: new Uint8Array(0) }))).toBe(vector(name).hex);
    if (vector(name).decode !== null) expect(decodeMessageSet(response.messageSet).toArray()).toEqual(vector(name).decode);
  });
});

describe("multi-fetch and offsets responses (V13–V14)", () => {
  test("V13 multifetch_response_2 decodes with the count that was sent and re-encodes identically", () => {
    const parts = h11TripleFrame(
      vectorBytes("multifetch_response_2"),
      (f) => decodeMultiFetchResponse(f, 2),
      (ps) => ps.map((p) => [p.errorCode, bytesToHex(p.messageSet)]),
    );
    expect(parts.map((p) => p.errorCode)).toEqual([0, 3]);
    expect(asVectorMessages(decodeMessageSet(parts[0]!.messageSet))).toEqual(expectedMessages("fetch_response_hello_world"));
    expect(parts[1]!.messageSet.length).toBe(0);
    expect(bytesToHex(encodeMultiFetchResponse(parts))).toBe(vector("multifetch_response_2").hex);
  });

  test("V13 through a ClientSession that sent the two fetches", () => {
    const request = new MultiFetchRequest([
      { topic: "test", partition: 0, offset: 0, maxSize: 1000 },
      { topic: "test", partition: 1, offset: 0, maxSize: 1000 },
    ]);
    const events = h11TripleSession([{ request, token: "mf" }], vectorBytes("multifetch_response_2"), (es) =>
      es.map((e) => [e.kind, e.token, e.kind === "multi-fetch" ? e.response.map((p) => p.errorCode) : null]),
    );
    expect(events.map((e) => e.kind)).toEqual(["multi-fetch"]);
  });

  test.each(["offsets_response_57_0", "offsets_response_empty"])("%s", (name) => {
    const offsets = vector(name).decode as number[];
    expect(h11TripleFrame(vectorBytes(name), decodeOffsetsResponse)).toEqual({ errorCode: 0, offsets });
    expect(bytesToHex(encodeOffsetsResponse(offsets))).toBe(vector(name).hex);
  });
});

describe("compressed wrappers (V15–V18)", () => {
  const cases = [
    ["gzip_wrapper_hello_world_java", Compression.Gzip],
    ["gzip_wrapper_abracadabra_kafka_rb", Compression.Gzip],
    ["snappy_wrapper_hello_world", Compression.Snappy],
    ["snappy_raw_wrapper_hello_world", Compression.Snappy],
  ] as const;
  for (const [name, codec] of cases) {
    // The gzip and snappy implementations are another issue's; until one is registered these cannot run.
    (hasCodec(codec) ? test_ : test_.skip)(`${name} decodes to the vector's messages and protocol §6.2 offsets`, () => {
      const full = expectedMessages(name);
      const messages = h11TripleBytes(vectorBytes(name), (b) => asVectorMessages(decodeMessageSet(b)), {
        prefix: (ms, length) => expect(ms).toEqual(length === vectorBytes(name).length ? full : []),
        trailing: PARTIAL_ENTRY,
      });
      expect(messages).toEqual(full);
    });
  }

  (hasCodec(Compression.Snappy) ? test_ : test_.skip)("V17 snappy_wrapper_hello_world is encode-golden", () => {
    const set = encodeMessages([createSnappyMessage([createMessage("hello"), createMessage("world")])]);
    expect(bytesToHex(set)).toBe(vector("snappy_wrapper_hello_world").hex);
  });

  test("every wrapper vector is recognised as a wrapper without decompressing it", () => {
    for (const [name, codec] of cases) {
      const [wrapper] = decodeMessageSet(vectorBytes(name), { decompress: false }).toArray();
      expect(wrapper!.compression).toBe(codec);
      expect(wrapper!.nextOffset).toBe(vector(name).length);
    }
  });
});

test("a session matches V5's fetch to V9's response", () => {
  const session = new ClientSession<string>();
  const frame = session.send(new FetchRequest("test", 0, 0, 1048576), "f");
  expect(bytesToHex(frame)).toBe(vector("fetch_test_p0_o0_1MiB").hex);
  const [event] = session.receive(vectorBytes("fetch_response_hello_world"));
  expect(event!.kind).toBe("fetch");
});
