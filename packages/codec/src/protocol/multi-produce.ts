import { Reader } from "../primitives/reader.ts";
import { INT16_MAX, describe } from "../primitives/validate.ts";
import type { Allocator } from "../primitives/allocate.ts";
import { frameWriter, type FrameLimit } from "./frame.ts";
import {
  ProduceRequest,
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
    this.produces = checkProduceList(produces);
    Object.freeze(this);
  }
}

function checkProduceList(produces: readonly ProduceRequestData[]): readonly ProduceRequest[] {
  if (!Array.isArray(produces as unknown)) throw new TypeError(`produces must be an array, got ${describe(produces)}`);
  if (produces.length > INT16_MAX) {
    throw new RangeError(`a MultiProduce holds at most ${INT16_MAX} produces, got ${produces.length}`);
  }
  return Object.freeze(
    produces.map((p) => (p instanceof ProduceRequest ? p : new ProduceRequest(p.topic, p.partition, p.messageSet))),
  );
}

/** A complete MultiProduce request frame, allocated once (by `into` when given, and checked against `limit`, as for Produce). */
export function encodeMultiProduceRequest(produces: readonly ProduceRequestData[], into?: Allocator, limit?: FrameLimit): Uint8Array {
  const checked = checkProduceList(produces);
  let size = 2 + 2;
  for (const p of checked) size += produceBodySize(p);
  const writer = frameWriter("a MultiProduce request", size, into, limit);
  writer.int16(RequestType.MultiProduce).int16(checked.length);
  for (const p of checked) writeProduceBody(writer, p);
  return writer.finish();
}

/**
 * Decodes the body of a MultiProduce request. Parts are returned up to the first malformed one,
 * with the error, because a broker applies the parts before it (protocol §8.3).
 */
export function decodeMultiProduceRequestBody(body: Uint8Array): DecodedProduce[] {
  const reader = new Reader(body);
  const count = reader.int16();
  if (count < 0 || count * MIN_PRODUCE_BODY > reader.remaining) {
    reader.fail(`produce count ${count} does not fit in ${reader.remaining} bytes`, 0);
  }
  const produces: DecodedProduce[] = [];
  for (let i = 0; i < count && reader.ok; i++) produces.push(readProduceBody(reader));
  reader.check("MultiProduce request");
  return produces;
}
