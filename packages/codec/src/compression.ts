import { CompressionError } from "./errors.ts";

/** Compression codec ids of the magic-1 attributes byte (`attributes & 0x03`). */
export const Compression = {
  None: 0,
  Gzip: 1,
  Snappy: 2,
} as const;
export type Compression = (typeof Compression)[keyof typeof Compression];

/** Names accepted wherever a compression option is taken. */
export type CompressionName = "none" | "gzip" | "snappy";

/**
 * One compression codec. Both directions are synchronous so that message-set iteration stays a
 * plain iterator; implementations must refuse to produce more than `maxBytes` on decompression
 * (throwing `DecompressionLimitError`) and throw `CompressionError` for corrupt input.
 */
export interface CompressionCodec {
  readonly name: CompressionName;
  compress(data: Uint8Array): Uint8Array;
  decompress(data: Uint8Array, maxBytes: number): Uint8Array;
  /**
   * Optional: the same decompression, done in steps the caller drives, so that a large payload
   * never occupies the thread for long at once. Without it, decoders call `decompress` in one step.
   */
  decompressInSteps?(data: Uint8Array, maxBytes: number): IncrementalDecompression;
}

/**
 * A decompression in progress, advanced by the caller (sans-IO: no timers, no threads). Each
 * `step(allowance)` does about `allowance` bytes of output work (more only by a bounded slice) and
 * returns the whole output once it is done, `undefined` while more steps are needed. Errors are
 * those of `decompress`: DecompressionLimitError past `maxBytes`, CompressionError for corrupt data;
 * after an error every further step throws it again.
 */
export interface IncrementalDecompression {
  step(allowance: number): Uint8Array | undefined;
}

/** A decompression of `data` by `codec` in steps: its own stepping if it has one, else one `decompress` call. */
export function decompressInSteps(codec: CompressionCodec, data: Uint8Array, maxBytes: number): IncrementalDecompression {
  if (codec.decompressInSteps !== undefined) return codec.decompressInSteps(data, maxBytes);
  let output: Uint8Array | undefined;
  return { step: () => (output ??= codec.decompress(data, maxBytes)) };
}

const registry = new Map<number, CompressionCodec>();

/** Makes a codec available to encoders and decoders (the default codecs register themselves). */
export function registerCompressionCodec(id: Compression, codec: CompressionCodec): void {
  if (id !== Compression.Gzip && id !== Compression.Snappy) {
    throw new RangeError(`compression id must be 1 (gzip) or 2 (snappy), got ${String(id)}`);
  }
  registry.set(id, codec);
}

/** The codec registered for `id`, or a CompressionError saying none is. */
export function compressionCodec(id: number): CompressionCodec {
  const codec = registry.get(id);
  if (codec === undefined) {
    const name = id === Compression.Gzip ? "gzip" : id === Compression.Snappy ? "snappy" : undefined;
    // Only gzip and snappy can be registered: any other id (0 = none included) has no codec at all.
    throw new CompressionError(name === undefined ? `Unknown compression codec ${id}` : `No ${name} implementation is registered`);
  }
  return codec;
}

/** The codec id for an option value. */
export function compressionId(name: CompressionName | Compression | undefined): Compression {
  switch (name) {
    case undefined:
    case "none":
    case Compression.None:
      return Compression.None;
    case "gzip":
    case Compression.Gzip:
      return Compression.Gzip;
    case "snappy":
    case Compression.Snappy:
      return Compression.Snappy;
    default:
      throw new RangeError(`compression must be "none", "gzip" or "snappy", got ${String(name)}`);
  }
}
