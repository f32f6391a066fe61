import { MalformedError } from "../errors.ts";
import type { Allocator } from "../primitives/allocate.ts";
import type { FrameLimit } from "./frame.ts";
import { Reader } from "../primitives/reader.ts";
import { FetchRequest, decodeFetchRequestBody, encodeFetchRequest, type FetchRequestData } from "./fetch.ts";
import { MultiFetchRequest, decodeMultiFetchRequestBody, encodeMultiFetchRequest } from "./multi-fetch.ts";
import { MultiProduceRequest, decodeMultiProduceRequestBody, encodeMultiProduceRequest } from "./multi-produce.ts";
import { OffsetRequest, decodeOffsetRequestBody, encodeOffsetRequest, type OffsetRequestData } from "./offsets.ts";
import { ProduceRequest, decodeProduceRequestBody, encodeProduceRequest, type DecodedProduce } from "./produce.ts";
import { RequestType } from "./request-type.ts";

/** Every request a client can send. */
export type Request = ProduceRequest | FetchRequest | MultiFetchRequest | MultiProduceRequest | OffsetRequest;

/**
 * A complete request frame for any request (size prefix included). `into`, when given, supplies the
 * buffers of Produce and MultiProduce frames (the only large ones), as for encodeProduceRequest.
 * A frame over `limit` (the broker's max.socket.request.bytes) or over int32 is a RangeError,
 * thrown before anything is allocated.
 */
export function encodeRequest(request: Request, into?: Allocator, limit?: FrameLimit): Uint8Array {
  if (request instanceof FetchRequest) return encodeFetchRequest(request, limit);
  if (request instanceof ProduceRequest) return encodeProduceRequest(request, into, limit);
  if (request instanceof OffsetRequest) return encodeOffsetRequest(request, limit);
  if (request instanceof MultiFetchRequest) return encodeMultiFetchRequest(request.fetches, limit);
  if (request instanceof MultiProduceRequest) return encodeMultiProduceRequest(request.produces, into, limit);
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
  const reader = new Reader(frame);
  const type = reader.int16();
  reader.check("request");
  const body = frame.subarray(2);
  try {
    switch (type) {
      case RequestType.Produce:
        return { type, ...decodeProduceRequestBody(body) };
      case RequestType.Fetch:
        return { type, ...decodeFetchRequestBody(body) };
      case RequestType.MultiFetch:
        return { type, fetches: decodeMultiFetchRequestBody(body) };
      case RequestType.MultiProduce:
        return { type, produces: decodeMultiProduceRequestBody(body) };
      case RequestType.Offsets:
        return { type, ...decodeOffsetRequestBody(body) };
      default:
        throw new MalformedError(`Unknown request type ${type}`, 0);
    }
  } catch (error) {
    // Positions inside the body are reported relative to the frame.
    if (error instanceof MalformedError && type >= 0 && type <= 4) {
      throw new MalformedError(error.message.replace(/ at byte \d+$/, ""), error.position + 2);
    }
    throw error;
  }
}
