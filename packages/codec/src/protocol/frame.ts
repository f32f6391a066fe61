import { allocate, type Allocator } from "../primitives/allocate.ts";
import { Writer } from "../primitives/writer.ts";
import { INT32_MAX } from "../primitives/validate.ts";

/** Size of the int32 size prefix that starts every request and response. */
export const SIZE_PREFIX = 4;

/**
 * A writer over one exactly sized frame, with the size prefix already written.
 * `contentSize` counts what follows the prefix (type or error code, then the body).
 */
export function frameWriter(contentSize: number, into: Allocator = allocate): Writer {
  if (contentSize > INT32_MAX - SIZE_PREFIX) {
    throw new RangeError(`a frame of ${contentSize} bytes does not fit the int32 size prefix`);
  }
  const writer = new Writer(into(SIZE_PREFIX + contentSize));
  writer.int32(contentSize);
  return writer;
}
