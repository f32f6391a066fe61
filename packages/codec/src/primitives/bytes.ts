import type { Allocator } from "./allocate.ts";

/**
 * The bytes of `parts`, one after another, in one buffer from `into` (default: a fresh one) of
 * exactly their total size. A single part is returned as it is, not copied.
 */
export function concatBytes(parts: readonly Uint8Array[], into: Allocator = (size) => new Uint8Array(size)): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let total = 0;
  for (const part of parts) total += part.length;
  const output = into(total);
  let position = 0;
  for (const part of parts) {
    output.set(part, position);
    position += part.length;
  }
  return output;
}
