// MultiProduce (protocol §2.5), after the frame's size:int32 prefix; the broker sends no response:
//   MultiProduceRequest => type:int16(3) count:int16 [topic:string partition:int32 messageSetSize:int32 messageSet:bytes]
import { Reader } from "../primitives/reader.ts";
import { INT16_MAX, describe } from "../primitives/validate.ts";
import type { EncodeOptions } from "../hooks.ts";
import { Writer } from "../primitives/writer.ts";
import { SIZE_PREFIX, frameWriter } from "./frame.ts";
import {
  ProduceRequest,
  checkProduceFields,
  produceBodySize,
  readProduceBody,
  writeProduceBody,
  type DecodedProduce,
  type ProduceRequestData,
} from "./produce.ts";
import { RequestType } from "./request-type.ts";

/** Smallest encoded produce body: empty topic (2) + partition (4) + set size (4). */
const MIN_PRODUCE_BODY = 10;

/** An immutable MultiProduce: several produces in one request, applied in order, no response (protocol §2.5). */
export class MultiProduceRequest {
  readonly type = RequestType.MultiProduce;
  readonly produces: readonly ProduceRequest[];

  constructor(produces: readonly ProduceRequestData[]) {
    checkProduceCount(produces);
    this.produces = Object.freeze(produces.map((p) => (p instanceof ProduceRequest ? p : new ProduceRequest(p.topic, p.partition, p.messageSet))));
    Object.freeze(this);
  }
}

/** A produce list must be an array a MultiProduce count can hold. */
function checkProduceCount(produces: readonly ProduceRequestData[]): void {
  if (!Array.isArray(produces as unknown)) throw new TypeError(`produces must be an array, got ${describe(produces)}`);
  if (produces.length > INT16_MAX) {
    throw new RangeError(`a MultiProduce holds at most ${INT16_MAX} produces, got ${produces.length}`);
  }
}

/** A complete MultiProduce request frame, allocated once (with the options' hooks, and checked against `options.limit`, as for Produce). */
export function encodeMultiProduceRequest(produces: readonly ProduceRequestData[], options: EncodeOptions = {}): Uint8Array {
  checkProduceCount(produces);
  for (const p of produces) if (!(p instanceof ProduceRequest)) checkProduceFields(p);
  let size = 2 + 2;
  for (const p of produces) size += produceBodySize(p);
  const writer = frameWriter("a MultiProduce request", size, options.allocate, options.limit);
  writer.int16(RequestType.MultiProduce).int16(produces.length);
  for (const p of produces) writeProduceBody(writer, p, options.crc32);
  return writer.finish();
}

/**
 * Decodes the body of a MultiProduce request. A malformed part is a MalformedError for the whole
 * request (its position is that of the bad field); a broker applies the parts before it
 * (protocol §8.3), which `multiProducePrefix` can forward on their own.
 */
export function decodeMultiProduceRequestBody(body: Uint8Array): DecodedProduce[] {
  const reader = new Reader(body);
  const produces = readMultiProduceBody(reader);
  reader.check("MultiProduce request");
  return produces;
}

/** Reads the body of a MultiProduce request: the count, then that many produce bodies. */
export function readMultiProduceBody(reader: Reader): DecodedProduce[] {
  const count = reader.count(MIN_PRODUCE_BODY, "produce");
  const produces: DecodedProduce[] = [];
  for (let i = 0; i < count && reader.ok; i++) produces.push(readProduceBody(reader));
  return produces;
}

/**
 * The first `count` parts of a received MultiProduce frame (after its size prefix) as a complete
 * MultiProduce frame of their own: a new 8-byte head (size prefix, type, count), then the parts as
 * one view of `frame` (not copied). A proxy forwards this when it refuses a later part, since a
 * broker would have applied the parts before it. MalformedError if `frame` does not hold `count`
 * parts; RangeError for a count outside [0, 32767].
 */
export function multiProducePrefix(frame: Uint8Array, count: number): [head: Uint8Array, parts: Uint8Array] {
  if (!Number.isInteger(count) || count < 0 || count > INT16_MAX) {
    throw new RangeError(`count must be an integer in [0, ${INT16_MAX}], got ${describe(count)}`);
  }
  const reader = new Reader(frame);
  if (reader.int16() !== RequestType.MultiProduce && reader.ok) reader.fail("not a MultiProduce request", 0);
  const partsAt = reader.position + 2;
  if (reader.count(MIN_PRODUCE_BODY, "produce") < count && reader.ok) {
    reader.fail(`the request has fewer than ${count} parts`, 2);
  }
  for (let i = 0; i < count && reader.ok; i++) readProduceBody(reader);
  reader.check("MultiProduce request");
  const parts = frame.subarray(partsAt, reader.position);
  const head = new Writer(new Uint8Array(SIZE_PREFIX + 4))
    .int32(4 + parts.length)
    .int16(RequestType.MultiProduce)
    .int16(count)
    .finish();
  return [head, parts];
}
