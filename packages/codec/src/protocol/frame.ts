// Every request and response (protocol §2.1, §3.1):
//   Frame => size:int32 content:bytes(size)
import { allocate, type Allocator } from "../primitives/allocate.ts";
import { Writer } from "../primitives/writer.ts";
import { INT32_MAX, checkWireSize } from "../primitives/validate.ts";

/** Size of the int32 size prefix that starts every request and response. */
export const SIZE_PREFIX = 4;

/** Where a request frame goes: a peer that refuses frames over `maxBytes` (its max.socket.request.bytes). */
export interface FrameLimit {
  readonly maxBytes: number;
  /** How errors name the limit, e.g. "maxRequestBytes". */
  readonly name: string;
}

/**
 * A writer over one exactly sized frame, with the size prefix already written.
 * `contentSize` counts what follows the prefix (type or error code, then the body); it is checked
 * against int32 and `limit` before anything is allocated. `what` names the frame in that error.
 */
export function frameWriter(what: string, contentSize: number, into: Allocator = allocate, limit?: FrameLimit): Writer {
  // The whole frame (prefix included) must also be addressable as one int32-sized buffer.
  checkWireSize(what, contentSize, Math.min(INT32_MAX - SIZE_PREFIX, limit?.maxBytes ?? INT32_MAX), limit?.name ?? "the largest frame");
  const writer = new Writer(into(SIZE_PREFIX + contentSize));
  writer.int32(contentSize);
  return writer;
}
