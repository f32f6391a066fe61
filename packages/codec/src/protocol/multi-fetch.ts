// MultiFetch (protocol §2.4, §3.3), after the frame's size:int32 prefix:
//   MultiFetchRequest  => type:int16(2) count:int16 [topic:string partition:int32 offset:int64 maxSize:int32]
//   MultiFetchResponse => errorCode:int16(0) [size:int32 errorCode:int16 messageSet:bytes(size - 2)]
// The response has no count of its own: it holds one part per fetch sent.
import { Reader } from "../primitives/reader.ts";
import { INT16_MAX, describe } from "../primitives/validate.ts";
import { MalformedError } from "../errors.ts";
import { FetchRequest, checkFetchFields, fetchBodySize, readFetchBody, writeFetchBody, type FetchRequestData, type FetchResponse } from "./fetch.ts";
import type { EncodeOptions } from "../hooks.ts";
import { frameWriter } from "./frame.ts";
import { RequestType } from "./request-type.ts";

/** Smallest encoded fetch body: empty topic (2) + partition (4) + offset (8) + maxSize (4). */
const MIN_FETCH_BODY = 18;

/** An immutable MultiFetch: several fetches in one request, answered in one response (protocol §2.4). */
export class MultiFetchRequest {
  readonly type = RequestType.MultiFetch;
  readonly fetches: readonly FetchRequest[];

  constructor(fetches: readonly FetchRequestData[]) {
    checkFetchCount(fetches);
    this.fetches = Object.freeze(fetches.map((f) => (f instanceof FetchRequest ? f : new FetchRequest(f.topic, f.partition, f.offset, f.maxSize))));
    Object.freeze(this);
  }
}

/** A fetch list must be an array a MultiFetch count can hold. */
function checkFetchCount(fetches: readonly FetchRequestData[]): void {
  if (!Array.isArray(fetches as unknown)) throw new TypeError(`fetches must be an array, got ${describe(fetches)}`);
  if (fetches.length > INT16_MAX) throw new RangeError(`a MultiFetch holds at most ${INT16_MAX} fetches, got ${fetches.length}`);
}

/** A complete MultiFetch request frame (RangeError if it would exceed `options.limit`). */
export function encodeMultiFetchRequest(fetches: readonly FetchRequestData[], options: EncodeOptions = {}): Uint8Array {
  checkFetchCount(fetches);
  for (const f of fetches) if (!(f instanceof FetchRequest)) checkFetchFields(f);
  let size = 2 + 2;
  for (const f of fetches) size += fetchBodySize(f);
  const writer = frameWriter("a MultiFetch request", size, options.allocate, options.limit);
  writer.int16(RequestType.MultiFetch).int16(fetches.length);
  for (const f of fetches) writeFetchBody(writer, f);
  return writer.finish();
}

/** Decodes the body of a MultiFetch request. A count the body cannot hold is refused before allocating. */
export function decodeMultiFetchRequestBody(body: Uint8Array): FetchRequestData[] {
  const reader = new Reader(body);
  const fetches = readMultiFetchBody(reader);
  reader.check("MultiFetch request");
  return fetches;
}

/** Reads the body of a MultiFetch request: the count, then that many fetch bodies. */
export function readMultiFetchBody(reader: Reader): FetchRequestData[] {
  const count = reader.count(MIN_FETCH_BODY, "fetch");
  const fetches: FetchRequestData[] = [];
  for (let i = 0; i < count && reader.ok; i++) fetches.push(readFetchBody(reader));
  return fetches;
}

/** A complete MultiFetch response frame: outer error 0, then one sub-response per fetch, in request order. */
export function encodeMultiFetchResponse(parts: readonly FetchResponse[]): Uint8Array {
  let size = 2;
  for (const p of parts) size += 6 + p.messageSet.length;
  const writer = frameWriter("a MultiFetch response", size);
  writer.int16(0);
  for (const p of parts)
    writer
      .int32(2 + p.messageSet.length)
      .int16(p.errorCode)
      .raw(p.messageSet);
  return writer.finish();
}

/**
 * Decodes a MultiFetch response frame (after its size prefix). The response has no count of its
 * own: `count` is the number of fetches that were sent. Message sets are views of `frame`.
 */
export function decodeMultiFetchResponse(frame: Uint8Array, count: number): FetchResponse[] {
  const reader = new Reader(frame);
  const parts = readMultiFetchResponse(reader, count);
  reader.check("MultiFetch response");
  if (reader.remaining !== 0) {
    throw new MalformedError(`Malformed MultiFetch response: ${reader.remaining} bytes after the last sub-response`, reader.position);
  }
  return parts;
}

/** Reads a MultiFetch response of `count` parts (the number of fetches sent). */
export function readMultiFetchResponse(reader: Reader, count: number): FetchResponse[] {
  const outerAt = reader.position;
  const outerError = reader.int16();
  if (outerError !== 0 && reader.ok) reader.fail(`outer error code ${outerError} (always 0 in 0.7)`, outerAt);
  reader.expectItems(count, 6, "sub-response");
  const parts: FetchResponse[] = [];
  for (let i = 0; i < count && reader.ok; i++) {
    const at = reader.position;
    const size = reader.int32();
    if (size < 2 && reader.ok) {
      reader.fail(`sub-response size ${size} is below 2`, at);
      break;
    }
    const errorCode = reader.int16();
    const messageSet = reader.bytesView(size - 2, at);
    parts.push({ errorCode, messageSet });
  }
  return parts;
}
