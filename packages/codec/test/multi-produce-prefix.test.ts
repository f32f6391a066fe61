/**
 * multiProducePrefix: the first parts of a received MultiProduce as a frame of their own, which a
 * proxy forwards when it refuses a later part (a broker applies the parts before a bad one).
 */
import {
  MalformedError,
  MultiProduceRequest,
  ProduceRequest,
  createMessage,
  decodeRequest,
  encodeRequest,
  multiProducePrefix,
} from "../src/index.ts";
import { concat } from "@k07/testing/bytes.ts";
import { h11TripleFrame } from "./helpers/h11-triple.ts";
import { bytesToHex } from "@k07/testing/vectors.ts";

const parts = [
  new ProduceRequest("a", 0, [createMessage("one")]),
  new ProduceRequest("bb", 1, [createMessage("two"), createMessage("three")]),
  new ProduceRequest("c", -1, []),
];
const whole = encodeRequest(new MultiProduceRequest(parts));
const frame = whole.subarray(4);

test.each([0, 1, 2, 3])("the first %i parts make a frame that decodes (h11 triple) to those parts, byte for byte as if encoded alone", (count) => {
  const [head, body] = multiProducePrefix(frame, count);
  const alone = encodeRequest(new MultiProduceRequest(parts.slice(0, count)));
  expect(bytesToHex(concat(head, body))).toBe(bytesToHex(alone));
  const decoded = h11TripleFrame(concat(head, body), decodeRequest, (r) =>
    JSON.stringify(r, (_, v) => (v instanceof Uint8Array ? bytesToHex(v) : v)),
  );
  expect(decoded.type).toBe(3);
});

test("the parts are a view of the received frame, not a copy", () => {
  const [head, body] = multiProducePrefix(frame, 2);
  expect(head.length).toBe(8);
  expect(body.buffer).toBe(frame.buffer);
  expect(body.byteOffset).toBe(frame.byteOffset + 4);
});

test("a frame without that many parts, or not a MultiProduce, is a MalformedError", () => {
  expect(() => multiProducePrefix(frame, 4)).toThrow(MalformedError);
  // Without the last part (11 bytes) and the last byte of the second one.
  expect(() => multiProducePrefix(frame.subarray(0, frame.length - 12), 2)).toThrow(/MultiProduce request: truncated bytes/);
  expect(() => multiProducePrefix(encodeRequest(parts[0]!).subarray(4), 0)).toThrow(/not a MultiProduce request at byte 0/);
});

test.each([-1, 1.5, 32768])("a count of %s is a RangeError", (count) => {
  expect(() => multiProducePrefix(frame, count)).toThrow(RangeError);
});
