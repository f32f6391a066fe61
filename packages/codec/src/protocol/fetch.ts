// Fetch (protocol §2.3, §3.2), after the frame's size:int32 prefix:
//   FetchRequest  => type:int16(1) topic:string partition:int32 offset:int64 maxSize:int32
//   FetchResponse => errorCode:int16 messageSet:bytes (the rest of the frame)
import { Reader } from "../primitives/reader.ts";
import { encodeTopic } from "../primitives/text.ts";
import { checkInt32, checkSafeInteger, checkTopic, checkWireSize } from "../primitives/validate.ts";
import { Writer } from "../primitives/writer.ts";
import type { EncodeOptions } from "../hooks.ts";
import { frameWriter } from "./frame.ts";
import { RequestType } from "./request-type.ts";

/** The fields of a fetch (protocol §2.3), as decoded or as given to the encoder. */
export interface FetchRequestData {
  readonly topic: string;
  readonly partition: number;
  /** Byte position in the partition log. */
  readonly offset: number;
  /** Most log bytes to return; 0, or at least 4 (protocol §7.4, §7.6). */
  readonly maxSize: number;
}

/**
 * An immutable fetch request: read up to `maxSize` log bytes of `topic`/`partition` from `offset`.
 * Arguments are checked here, so an instance is always encodable.
 */
export class FetchRequest implements FetchRequestData {
  readonly type = RequestType.Fetch;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly maxSize: number;

  constructor(topic: string, partition: number, offset: number, maxSize: number) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.maxSize = maxSize;
    checkFetchFields(this);
    Object.freeze(this);
  }

  /** The same request at another offset (what `getMessageSet` returns as its next request). */
  withOffset(offset: number): FetchRequest {
    return new FetchRequest(this.topic, this.partition, offset, this.maxSize);
  }

  /** The same request with another maxSize. */
  withMaxSize(maxSize: number): FetchRequest {
    return new FetchRequest(this.topic, this.partition, this.offset, maxSize);
  }
}

/** maxSize must be 0 or ≥ 4: with 1–3 the Java iterator loops forever, and negative sizes corrupt the broker's reply. */
export function checkFetchSize(maxSize: unknown): number {
  const value = checkInt32("maxSize", maxSize, 0);
  if (value > 0 && value < 4) throw new RangeError(`maxSize must be 0 or at least 4, got ${value}`);
  return value;
}

/**
 * The checks of a fetch's fields (TypeError or RangeError naming the field), shared by the
 * constructor and the encoders, which accept plain data too (a FetchRequest has passed them).
 */
export function checkFetchFields(fetch: FetchRequestData): void {
  checkTopic(fetch.topic);
  checkInt32("partition", fetch.partition, 0);
  checkSafeInteger("offset", fetch.offset, 0);
  checkFetchSize(fetch.maxSize);
}

/** Bytes of one fetch body (without the type field). */
export function fetchBodySize(fetch: FetchRequestData): number {
  return 2 + encodeTopic(fetch.topic).length + 4 + 8 + 4;
}

/** Writes one fetch body (the part MultiFetch repeats). */
export function writeFetchBody(writer: Writer, fetch: FetchRequestData): void {
  writer.shortString(encodeTopic(fetch.topic)).int32(fetch.partition).int64(fetch.offset).int32(fetch.maxSize);
}

/** Reads one fetch body; the reader's sticky error covers truncation. */
export function readFetchBody(reader: Reader): FetchRequestData {
  const topic = reader.shortString();
  const partition = reader.int32();
  const offset = reader.int64();
  const maxSize = reader.int32();
  return { topic, partition, offset, maxSize };
}

/** A complete Fetch request frame (size prefix included; RangeError if it would exceed `options.limit`). */
export function encodeFetchRequest(fetch: FetchRequestData, options: EncodeOptions = {}): Uint8Array {
  if (!(fetch instanceof FetchRequest)) checkFetchFields(fetch);
  const writer = frameWriter("a Fetch request", 2 + fetchBodySize(fetch), options.allocate, options.limit);
  writer.int16(RequestType.Fetch);
  writeFetchBody(writer, fetch);
  return writer.finish();
}

/** Decodes the body of a Fetch request (the frame after its size prefix and type). */
export function decodeFetchRequestBody(body: Uint8Array): FetchRequestData {
  const reader = new Reader(body);
  const fetch = readFetchBody(reader);
  reader.check("Fetch request");
  return fetch;
}

/** A fetch response: the broker's error code and the raw message-set bytes (a view, possibly truncated). */
export interface FetchResponse {
  readonly errorCode: number;
  readonly messageSet: Uint8Array;
}

/**
 * The 6-byte header of a fetch response (size, error); the message-set bytes follow unchanged.
 * `what` names the response in the RangeError thrown when `2 + messageSetLength` does not fit int32
 * (a MultiFetch answer uses this header too, for its whole body).
 */
export function encodeFetchResponseHeader(errorCode: number, messageSetLength: number, what = "a Fetch response"): Uint8Array {
  const size = checkWireSize(what, 2 + messageSetLength);
  return new Writer(new Uint8Array(6)).int32(size).int16(errorCode).finish();
}

/** A complete Fetch response frame (copies the message set; brokers use the header plus the raw slice). */
export function encodeFetchResponse(response: FetchResponse): Uint8Array {
  const writer = frameWriter("a Fetch response", 2 + response.messageSet.length);
  writer.int16(response.errorCode).raw(response.messageSet);
  return writer.finish();
}

/** Decodes a Fetch response frame (after its size prefix). The message set is a view of `frame`. */
export function decodeFetchResponse(frame: Uint8Array): FetchResponse {
  const reader = new Reader(frame);
  const response = readFetchResponse(reader);
  reader.check("Fetch response");
  return response;
}

/** Reads a Fetch response: the error code, then every byte left is the message set. */
export function readFetchResponse(reader: Reader): FetchResponse {
  const errorCode = reader.int16();
  return { errorCode, messageSet: reader.rest() };
}
