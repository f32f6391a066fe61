/**
 * Where the codec gets buffers that it overwrites completely before anyone sees them (encoder
 * output, frames assembled across chunks). Zero-filling them is wasted work; a runtime with
 * uninitialised allocation installs it here (the Node transport uses `Buffer.allocUnsafeSlow` from
 * 4 KiB up).
 */
export type Allocator = (size: number) => Uint8Array;

const zeroed: Allocator = (size) => new Uint8Array(size);
let active: Allocator = zeroed;

/** A buffer of exactly `size` bytes whose contents the caller will overwrite in full. */
export function allocate(size: number): Uint8Array {
  return active(size);
}

/** Installs an allocator (it must return a buffer of exactly `size` bytes, not shared with other data). Returns the previous one. */
export function setAllocator(fn: Allocator): Allocator {
  if (typeof fn !== "function") throw new TypeError("setAllocator needs a function");
  const previous = active;
  active = fn;
  return previous;
}
