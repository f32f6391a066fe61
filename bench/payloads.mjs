// The codec benches' payloads: `count` Buffers of `bytes` pseudo-random bytes from `seed`.
export function payloadsOf(count, seed, bytes = 100) {
  const out = [];
  let x = seed;
  for (let i = 0; i < count; i++) {
    const b = Buffer.allocUnsafe(bytes);
    for (let j = 0; j < bytes; j++) b[j] = x = (x * 1103515245 + 12345) & 0xff;
    out.push(b);
  }
  return out;
}
