/**
 * Where the codec gets buffers that it overwrites completely before anyone sees them (encoder
 * output, frames assembled across chunks). Zero-filling them is wasted work: a runtime with
 * uninitialised allocation passes its own through the `allocate` option of the encoders,
 * FrameDecoder and ClientSession (the Node transport uses `Buffer.allocUnsafeSlow` from 4 KiB up).
 * It must return a buffer of exactly `size` bytes, not shared with other data.
 */
export type Allocator = (size: number) => Uint8Array;

/** The default allocator: a fresh, zero-filled buffer of exactly `size` bytes. */
export const allocate: Allocator = (size) => new Uint8Array(size);
