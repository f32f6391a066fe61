import type { Writable } from "node:stream";

/**
 * Writes the pieces of one batch as one burst (corked: one syscall, no Nagle delay between a size
 * prefix and its frame). Returns what the last write returned: false when the caller should stop
 * reading the other side until the stream's "drain".
 */
export function writeCorked(stream: Writable, pieces: readonly Uint8Array[]): boolean {
  stream.cork();
  let ok = true;
  for (const bytes of pieces) ok = stream.write(bytes);
  stream.uncork();
  return ok;
}
