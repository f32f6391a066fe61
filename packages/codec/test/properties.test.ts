/**
 * fast-check round-trip properties: random requests, responses and message sets encode and decode
 * back to what went in. A failure prints its seed and path so it can be replayed.
 */
import fc from "fast-check";
import {
  EncodedMessageSet,
  FetchRequest,
  MultiFetchRequest,
  MultiProduceRequest,
  OffsetRequest,
  ProduceRequest,
  decodeFetchResponse,
  decodeMessageSet,
  decodeMultiFetchResponse,
  decodeOffsetsResponse,
  decodeRequest,
  encodeFetchResponse,
  encodeMessages,
  encodeMultiFetchResponse,
  encodeOffsetsResponse,
  encodeRequest,
  messagesSize,
  type Message,
  type MessageSetInput,
  type Request,
} from "../src/index.ts";
import { fetchResponse, messages, offsetsList, request } from "./helpers/arbitraries.ts";
import { bytesToHex } from "@k07/testing/vectors.ts";

const RUNS = { numRuns: 1000 };

function setHex(input: MessageSetInput): string {
  return bytesToHex(input instanceof EncodedMessageSet ? input.bytes : encodeMessages(input as readonly Message[]));
}

/** What decodeRequest should give for a request, with message sets as hex. */
function expectedFields(r: Request): unknown {
  if (r instanceof FetchRequest) return { type: 1, topic: r.topic, partition: r.partition, offset: r.offset, maxSize: r.maxSize };
  if (r instanceof OffsetRequest) return { type: 4, topic: r.topic, partition: r.partition, time: r.time, maxNumOffsets: r.maxNumOffsets };
  if (r instanceof ProduceRequest) return { type: 0, topic: r.topic, partition: r.partition, messageSet: setHex(r.messageSet) };
  if (r instanceof MultiFetchRequest) {
    return { type: 2, fetches: r.fetches.map((f) => ({ topic: f.topic, partition: f.partition, offset: f.offset, maxSize: f.maxSize })) };
  }
  const m = r as MultiProduceRequest;
  return { type: 3, produces: m.produces.map((p) => ({ topic: p.topic, partition: p.partition, messageSet: setHex(p.messageSet) })) };
}

function hexViews(value: unknown): unknown {
  if (value instanceof Uint8Array) return bytesToHex(value);
  if (Array.isArray(value)) return value.map(hexViews);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hexViews(v)]));
  return value;
}

test("requests: decodeRequest(encodeRequest(r)) gives r's fields, and the size prefix is right", () => {
  fc.assert(
    fc.property(request, (r) => {
      const frame = encodeRequest(r);
      expect(new DataView(frame.buffer).getInt32(0)).toBe(frame.length - 4);
      expect(hexViews(decodeRequest(frame.subarray(4)))).toEqual(expectedFields(r));
    }),
    RUNS,
  );
});

test("fetch responses round-trip", () => {
  fc.assert(
    fc.property(fetchResponse, (response) => {
      const decoded = decodeFetchResponse(encodeFetchResponse(response).subarray(4));
      expect(hexViews(decoded)).toEqual(hexViews(response));
    }),
    RUNS,
  );
});

test("multi-fetch responses round-trip with the count that was sent", () => {
  fc.assert(
    fc.property(fc.array(fetchResponse, { maxLength: 6 }), (parts) => {
      const decoded = decodeMultiFetchResponse(encodeMultiFetchResponse(parts).subarray(4), parts.length);
      expect(hexViews(decoded)).toEqual(hexViews(parts));
    }),
    RUNS,
  );
});

test("offsets responses round-trip", () => {
  fc.assert(
    fc.property(offsetsList, (offsets) => {
      expect(decodeOffsetsResponse(encodeOffsetsResponse(offsets).subarray(4))).toEqual({ errorCode: 0, offsets });
    }),
    RUNS,
  );
});

test("message sets round-trip: payloads, magics, offsets and next offsets", () => {
  fc.assert(
    fc.property(
      messages,
      fc.maxSafeNat().map((n) => Math.floor(n / 2)),
      (ms, baseOffset) => {
        const bytes = encodeMessages(ms);
        expect(bytes.length).toBe(messagesSize(ms));
        const set = decodeMessageSet(bytes, { baseOffset });
        let position = baseOffset;
        const expected = ms.map((m) => {
          const start = position;
          position += (m.magic === 0 ? 9 : 10) + m.payload.length;
          return { magic: m.magic, payload: bytesToHex(m.payload), offset: start, nextOffset: position };
        });
        expect(set.toArray().map((m) => ({ magic: m.magic, payload: bytesToHex(m.payload), offset: m.offset, nextOffset: m.nextOffset }))).toEqual(
          expected,
        );
        expect(set.validBytes).toBe(bytes.length);
        expect(set.entryCount).toBe(ms.length);
      },
    ),
    RUNS,
  );
});

test("any prefix of a message set yields a prefix of its messages, validBytes ending on an entry", () => {
  fc.assert(
    fc.property(messages, fc.nat(), (ms, cutSeed) => {
      const bytes = encodeMessages(ms);
      const cut = cutSeed % (bytes.length + 1);
      const all = decodeMessageSet(bytes)
        .toArray()
        .map((m) => m.nextOffset);
      const set = decodeMessageSet(bytes.subarray(0, cut));
      const got = set.toArray().map((m) => m.nextOffset);
      expect(got).toEqual(all.filter((n) => n <= cut));
      expect(set.validBytes).toBe(got.length ? got[got.length - 1] : 0);
      expect(set.validBytes + set.truncatedBytes).toBe(cut);
      if (got.length === 0 && cut > 0) expect(set.requiredBytes).toBe(cut < 4 ? 4 : all[0]);
    }),
    RUNS,
  );
});
