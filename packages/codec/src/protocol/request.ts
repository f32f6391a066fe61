// A request frame's content (protocol §2.1), after its size:int32 prefix:
//   Request => type:int16 body (by type: see produce.ts, fetch.ts, multi-fetch.ts, multi-produce.ts, offsets.ts)
import { MalformedError } from "../errors.ts";
import type { EncodeOptions } from "../hooks.ts";
import { Reader } from "../primitives/reader.ts";
import { FetchRequest, encodeFetchRequest, readFetchBody, type FetchRequestData } from "./fetch.ts";
import { MultiFetchRequest, encodeMultiFetchRequest, readMultiFetchBody } from "./multi-fetch.ts";
import { MultiProduceRequest, encodeMultiProduceRequest, readMultiProduceBody } from "./multi-produce.ts";
import { OffsetRequest, encodeOffsetRequest, readOffsetBody, type OffsetRequestData } from "./offsets.ts";
import { ProduceRequest, encodeProduceRequest, readProduceBody, type DecodedProduce } from "./produce.ts";
import { RequestType, requestTypeName } from "./request-type.ts";

/** Every request a client can send. */
export type Request = ProduceRequest | FetchRequest | MultiFetchRequest | MultiProduceRequest | OffsetRequest;

/**
 * A complete request frame for any request (size prefix included), allocated by `options.allocate`
 * with its messages hashed by `options.crc32`, as for encodeProduceRequest. A frame over
 * `options.limit` (the broker's max.socket.request.bytes) or over int32 is a RangeError, thrown
 * before anything is allocated.
 */
export function encodeRequest(request: Request, options: EncodeOptions = {}): Uint8Array {
  if (request instanceof FetchRequest) return encodeFetchRequest(request, options);
  if (request instanceof ProduceRequest) return encodeProduceRequest(request, options);
  if (request instanceof OffsetRequest) return encodeOffsetRequest(request, options);
  if (request instanceof MultiFetchRequest) return encodeMultiFetchRequest(request.fetches, options);
  if (request instanceof MultiProduceRequest) return encodeMultiProduceRequest(request.produces, options);
  throw new TypeError("not a k07 request (use FetchRequest, ProduceRequest, OffsetRequest, MultiFetchRequest or MultiProduceRequest)");
}

/** A request as a broker or proxy decodes it; byte fields are views of the received frame. */
export type DecodedRequest =
  | ({ readonly type: typeof RequestType.Produce } & DecodedProduce)
  | ({ readonly type: typeof RequestType.Fetch } & FetchRequestData)
  | { readonly type: typeof RequestType.MultiFetch; readonly fetches: FetchRequestData[] }
  | { readonly type: typeof RequestType.MultiProduce; readonly produces: DecodedProduce[] }
  | ({ readonly type: typeof RequestType.Offsets } & OffsetRequestData);

/**
 * Decodes a request frame (after its size prefix: type, then body). Throws MalformedError for an
 * unknown type or a body too short for its fields; extra bytes after the fields are ignored, as
 * the 0.7 broker does (protocol §2.1).
 */
export function decodeRequest(frame: Uint8Array): DecodedRequest {
  // One reader over the whole frame: an error's position is the bad field's position in the frame.
  const reader = new Reader(frame);
  const type = reader.int16();
  reader.check("request");
  let request: DecodedRequest;
  switch (type) {
    case RequestType.Produce:
      request = { type, ...readProduceBody(reader) };
      break;
    case RequestType.Fetch:
      request = { type, ...readFetchBody(reader) };
      break;
    case RequestType.MultiFetch:
      request = { type, fetches: readMultiFetchBody(reader) };
      break;
    case RequestType.MultiProduce:
      request = { type, produces: readMultiProduceBody(reader) };
      break;
    case RequestType.Offsets:
      request = { type, ...readOffsetBody(reader) };
      break;
    default:
      throw new MalformedError(`Unknown request type ${type}`, 0);
  }
  reader.check(`${requestTypeName(type)} request`);
  return request;
}
