// Offsets (protocol §2.6, §3.4), after the frame's size:int32 prefix:
//   OffsetsRequest  => type:int16(4) topic:string partition:int32 time:int64 maxNumOffsets:int32
//   OffsetsResponse => errorCode:int16 count:int32 [offset:int64]
import { Reader } from "../primitives/reader.ts";
import { encodeTopic } from "../primitives/text.ts";
import { checkInt32, checkSafeInteger, checkTopic, describe } from "../primitives/validate.ts";
import type { EncodeOptions } from "../hooks.ts";
import { frameWriter } from "./frame.ts";
import { RequestType } from "./request-type.ts";

/** Offsets `time` values: the newest offset, and the oldest (protocol §2.6). */
export const LATEST_TIME = -1;
export const EARLIEST_TIME = -2;

/** The fields of an Offsets request (protocol §2.6). */
export interface OffsetRequestData {
  readonly topic: string;
  readonly partition: number;
  /** −1 latest, −2 earliest, else epoch milliseconds. */
  readonly time: number;
  readonly maxNumOffsets: number;
}

/** An immutable Offsets request: up to `maxNumOffsets` segment-boundary offsets before `time`. */
export class OffsetRequest implements OffsetRequestData {
  readonly type = RequestType.Offsets;
  readonly topic: string;
  readonly partition: number;
  readonly time: number;
  readonly maxNumOffsets: number;

  constructor(topic: string, partition: number, time: number, maxNumOffsets: number) {
    this.topic = topic;
    this.partition = partition;
    this.time = time;
    this.maxNumOffsets = maxNumOffsets;
    checkOffsetFields(this);
    Object.freeze(this);
  }
}

/**
 * The checks of an Offsets request's fields (TypeError or RangeError naming the field), shared by
 * the constructor and the encoder, which accepts plain data too (an OffsetRequest has passed them).
 */
export function checkOffsetFields(request: OffsetRequestData): void {
  checkTopic(request.topic);
  checkInt32("partition", request.partition, 0);
  checkSafeInteger("time", request.time, -2);
  checkInt32("maxNumOffsets", request.maxNumOffsets, 0);
}

/** A complete Offsets request frame (RangeError if it would exceed `options.limit`). */
export function encodeOffsetRequest(request: OffsetRequestData, options: EncodeOptions = {}): Uint8Array {
  if (!(request instanceof OffsetRequest)) checkOffsetFields(request);
  const topic = encodeTopic(request.topic);
  const writer = frameWriter("an Offsets request", 2 + 2 + topic.length + 4 + 8 + 4, options.allocate, options.limit);
  writer.int16(RequestType.Offsets).shortString(topic).int32(request.partition).int64(request.time).int32(request.maxNumOffsets);
  return writer.finish();
}

/** Decodes the body of an Offsets request. */
export function decodeOffsetRequestBody(body: Uint8Array): OffsetRequestData {
  const reader = new Reader(body);
  const request = readOffsetBody(reader);
  reader.check("Offsets request");
  return request;
}

/** Reads the body of an Offsets request. */
export function readOffsetBody(reader: Reader): OffsetRequestData {
  const topic = reader.shortString();
  const partition = reader.int32();
  const time = reader.int64();
  const maxNumOffsets = reader.int32();
  return { topic, partition, time, maxNumOffsets };
}

/** An Offsets response: error code (always 0 from a 0.7 broker) and offsets in descending order. */
export interface OffsetsResponse {
  readonly errorCode: number;
  readonly offsets: number[];
}

/** A complete Offsets response frame. */
export function encodeOffsetsResponse(offsets: readonly number[]): Uint8Array {
  if (!Array.isArray(offsets)) throw new TypeError(`offsets must be an array, got ${describe(offsets)}`);
  const writer = frameWriter("an Offsets response", 2 + 4 + 8 * offsets.length);
  writer.int16(0).int32(offsets.length);
  for (let i = 0; i < offsets.length; i++) writer.int64(checkSafeInteger(`offsets[${i}]`, offsets[i]));
  return writer.finish();
}

/** Decodes an Offsets response frame (after its size prefix). A count the frame cannot hold is refused before allocating. */
export function decodeOffsetsResponse(frame: Uint8Array): OffsetsResponse {
  const reader = new Reader(frame);
  const response = readOffsetsResponse(reader);
  reader.check("Offsets response");
  return response;
}

/** Reads an Offsets response: the error code, the count, then that many offsets. */
export function readOffsetsResponse(reader: Reader): OffsetsResponse {
  const errorCode = reader.int16();
  const count = reader.count(8, "offset", 4);
  const offsets: number[] = [];
  for (let i = 0; i < count && reader.ok; i++) offsets.push(reader.int64());
  return { errorCode, offsets };
}
