import { Buffer } from "node:buffer";
import type { Allocator } from "@k07/codec";

/** Below this, zero-filled `new Uint8Array` is as fast; above it, skipping the fill and the pool pays (measured by the codec bench). */
export const UNINITIALISED_ALLOCATION_THRESHOLD = 4096;

/**
 * Buffers the codec overwrites in full (encoded requests, frames assembled across chunks) come from
 * `Buffer.allocUnsafeSlow`: no zero fill, no shared pool, so a view never keeps unrelated bytes
 * alive. Returned as plain Uint8Array views over the same memory (cheaper to subarray). The Node
 * `KafkaClient` passes it as its `allocate` option.
 */
export const nodeAllocator: Allocator = (size) =>
  size >= UNINITIALISED_ALLOCATION_THRESHOLD ? new Uint8Array(Buffer.allocUnsafeSlow(size).buffer, 0, size) : new Uint8Array(size);
