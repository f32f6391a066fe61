/**
 * Node's faster versions of what the codec computes the same on every runtime: CRC-32 (native
 * `node:zlib` from 512 bytes up) and buffers it overwrites completely (uninitialised memory from
 * 4 KiB up). Pass them as the codec's `crc32` and `allocate` options; importing installs nothing.
 * The Node `KafkaClient` and the embedded broker use them by default.
 */
import type { CodecHooks } from "@k07/codec";
import { nodeAllocator } from "./native-allocator.ts";
import { hybridCrc32 } from "./native-crc32.ts";

export { hybridCrc32, NATIVE_CRC32_THRESHOLD } from "./native-crc32.ts";
export { nodeAllocator, UNINITIALISED_ALLOCATION_THRESHOLD } from "./native-allocator.ts";

/** Node's CRC-32 and allocator, for the codec's `crc32` and `allocate` options. */
export const nodeHooks: Required<CodecHooks> = Object.freeze({ crc32: hybridCrc32, allocate: nodeAllocator });
