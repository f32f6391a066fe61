import * as zlib from "node:zlib";
import { pureCrc32, type Crc32Function } from "@k07/codec";

/**
 * Payloads at least this long are hashed with `node:zlib`'s native crc32; shorter ones with the pure
 * `crc-32`, which wins below it (the call into native code costs more than it saves). Measured by
 * bench/crc32.bench.mjs.
 */
export const NATIVE_CRC32_THRESHOLD = 512;

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/**
 * The hybrid CRC-32 the Node `KafkaClient` and the broker pass as their `crc32` option (the pure one
 * where node:zlib has no crc32). Its `minBytes` tells the codec to keep its own, faster code for
 * shorter payloads (its batch CRCs, filled when encoding and checked when decoding).
 */
export const hybridCrc32: Crc32Function =
  nativeCrc32 === undefined
    ? pureCrc32
    : Object.assign((bytes: Uint8Array) => (bytes.length >= NATIVE_CRC32_THRESHOLD ? nativeCrc32(bytes) >>> 0 : pureCrc32(bytes)), {
        minBytes: NATIVE_CRC32_THRESHOLD,
      });
