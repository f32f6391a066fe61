/**
 * Pseudo-random bytes from a seed (xorshift): fast-check draws the seed, since generating arrays of
 * tens of KiB byte by byte through fast-check is slow.
 */
export function bytesFrom(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x;
  }
  return bytes;
}
