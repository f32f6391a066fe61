import { pureCrc32, type Crc32Function } from "./crc32.ts";
import { allocate, type Allocator } from "./primitives/allocate.ts";
import type { FrameLimit } from "./protocol/frame.ts";

/**
 * The runtime's faster versions of the two things the codec computes the same on every runtime:
 * CRC-32 and buffers it fills completely. Given as options to the encoders, decoders,
 * FrameDecoder and ClientSession (nothing is installed process-wide); each defaults to the pure one.
 * Any correct implementation gives the same bytes and answers: only speed differs.
 */
export interface CodecHooks {
  /**
   * CRC-32 of message payloads, when encoding and when checking. Default `pureCrc32`, which stands
   * for the codec's own batch CRC (WebAssembly slicing-by-16 over many entries per call, the entries
   * already in the frame: the same CRC, measured faster); see `Crc32Function.minBytes`.
   */
  readonly crc32?: Crc32Function;
  /** Buffers the codec overwrites completely (encoded frames, frames assembled across chunks). Default `allocate` (zero-filled). */
  readonly allocate?: Allocator;
}

/** A hook option, or its default when absent; anything else than a function is a TypeError. */
export function hookOption<F extends (...args: never[]) => unknown>(name: keyof CodecHooks, value: F | undefined, fallback: F): F {
  if (value === undefined) return fallback;
  if (typeof value !== "function") throw new TypeError(`the ${name} option must be a function, got ${typeof value}`);
  return value;
}

/** The hooks with their defaults filled in, and checked to be functions. */
export function resolveHooks(hooks: CodecHooks | undefined): Required<CodecHooks> {
  return { crc32: hookOption("crc32", hooks?.crc32, pureCrc32), allocate: hookOption("allocate", hooks?.allocate, allocate) };
}

/** Options of the request encoders: the hooks, and the peer's frame limit. */
export interface EncodeOptions extends CodecHooks {
  /** The peer's largest frame (its max.socket.request.bytes): a larger one is a RangeError before anything is allocated. */
  readonly limit?: FrameLimit;
}
