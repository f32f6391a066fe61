/**
 * fast-check arbitraries for k07 values (legal topics, messages, requests, responses) and a
 * mutator that turns valid encodings into nearly valid ones, for the property and fuzz tests.
 */
import fc from "fast-check";
import {
  EncodedMessageSet,
  FetchRequest,
  MultiFetchRequest,
  MultiProduceRequest,
  OffsetRequest,
  ProduceRequest,
  createMessage,
  encodeMessages,
  isLegalTopicName,
  type FetchResponse,
  type Message,
  type Request,
} from "../../src/index.ts";

/** Legal topic names (protocol §8.2), mostly ASCII, sometimes with other legal characters. */
export const topic: fc.Arbitrary<string> = fc
  .oneof(fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/), fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }))
  .filter(isLegalTopicName);

export const partition = fc.integer({ min: 0, max: 0x7fff_ffff });
export const offset = fc.oneof(fc.nat({ max: 1_000_000 }), fc.maxSafeNat());
export const maxSize = fc.oneof(fc.constant(0), fc.integer({ min: 4, max: 0x7fff_ffff }));

export const message: fc.Arbitrary<Message> = fc
  .tuple(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(0 as const, 1 as const))
  .map(([payload, magic]) => createMessage(payload, { magic }));

export const messages = fc.array(message, { maxLength: 8 });

export const fetchRequest = fc.tuple(topic, partition, offset, maxSize).map(([t, p, o, m]) => new FetchRequest(t, p, o, m));

export const produceRequest = fc
  .tuple(topic, fc.integer({ min: -1, max: 0x7fff_ffff }), messages, fc.boolean())
  .map(([t, p, ms, preEncoded]) => new ProduceRequest(t, p, preEncoded ? new EncodedMessageSet(encodeMessages(ms)) : ms));

export const offsetRequest = fc
  .tuple(topic, partition, fc.oneof(fc.constantFrom(-1, -2), fc.maxSafeNat()), fc.integer({ min: 0, max: 0x7fff_ffff }))
  .map(([t, p, time, n]) => new OffsetRequest(t, p, time, n));

export const request: fc.Arbitrary<Request> = fc.oneof(
  fetchRequest,
  produceRequest,
  offsetRequest,
  fc.array(fetchRequest, { maxLength: 4 }).map((fs) => new MultiFetchRequest(fs)),
  fc.array(produceRequest, { maxLength: 4 }).map((ps) => new MultiProduceRequest(ps)),
);

export const errorCode = fc.oneof(fc.constantFrom(-1, 0, 1, 2, 3, 4), fc.integer({ min: -32768, max: 32767 }));

export const fetchResponse: fc.Arbitrary<FetchResponse> = fc.tuple(errorCode, messages, fc.nat({ max: 20 })).map(([code, ms, cut]) => {
  const set = encodeMessages(ms);
  // Sometimes a truncated tail, as a broker returns it.
  return { errorCode: code, messageSet: set.subarray(0, Math.max(0, set.length - (cut % 3 === 0 ? cut : 0))) };
});

export const offsetsList = fc.array(fc.maxSafeNat(), { maxLength: 10 });

/**
 * Nearly valid bytes: `valid` with a few mutations (bit flips, bytes overwritten with boundary
 * values, a truncation, an insertion or a deletion), which reach deeper into decoders than
 * uniformly random bytes do.
 */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
    fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff) }),
    fc.record({ kind: fc.constant("int32" as const), at: fc.nat(), value: fc.constantFrom(-1, 0, 1, 5, 0x7fffffff, -0x80000000, 104857601) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
  );
  return fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([bytes, ms]) => {
    let b = bytes.slice();
    for (const m of ms) {
      const at = b.length === 0 ? 0 : m.at % b.length;
      switch (m.kind) {
        case "flip":
          if (b.length) b[at]! ^= 1 << m.bit;
          break;
        case "set":
          if (b.length) b[at] = m.value;
          break;
        case "int32":
          if (b.length >= 4) new DataView(b.buffer).setInt32(Math.min(at, b.length - 4), m.value);
          break;
        case "truncate":
          b = b.slice(0, at);
          break;
        case "insert": {
          const out = new Uint8Array(b.length + m.bytes.length);
          out.set(b.subarray(0, at));
          out.set(m.bytes, at);
          out.set(b.subarray(at), at + m.bytes.length);
          b = out;
          break;
        }
        case "delete":
          b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + m.n)]);
          break;
      }
    }
    return b;
  });
}
