// CRC-32 crossover on Node: the pure `crc-32` package against node:zlib's native crc32, by payload
// size. The Node transport switches to the native one at NATIVE_CRC32_THRESHOLD; this shows where
// that pays. Writes bench/results/crc32.json.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as zlib from "node:zlib";
import { pureCrc32 } from "../packages/codec/dist/index.js";
import { NATIVE_CRC32_THRESHOLD } from "../packages/transport-node/dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));
if (typeof zlib.crc32 !== "function") {
  console.log("node:zlib has no crc32 on this Node; the transport uses the pure crc-32 everywhere");
  process.exit(0);
}

function rate(fn, payloads) {
  for (let i = 0; i < 2000; i++) fn(payloads[i % payloads.length]);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < 300) {
    for (let i = 0; i < payloads.length; i++) fn(payloads[i]);
    n += payloads.length;
  }
  return (n * 1000) / (performance.now() - start);
}

const rows = [];
for (const size of [16, 64, 128, 256, 512, 1024, 4096, 65536]) {
  const payloads = Array.from({ length: 64 }, (_, k) => {
    const b = new Uint8Array(size);
    for (let i = 0; i < size; i++) b[i] = (i * 7 + k) & 255;
    return b;
  });
  const pure = rate(pureCrc32, payloads);
  const native = rate((b) => zlib.crc32(b) >>> 0, payloads);
  rows.push({ size, pureOpsPerSec: Math.round(pure), nativeOpsPerSec: Math.round(native), nativeOverPure: +(native / pure).toFixed(2) });
}
console.log(`CRC-32 by payload size (the transport uses native from ${NATIVE_CRC32_THRESHOLD} bytes)`);
console.log("size     pure ops/s     native ops/s   native ÷ pure");
for (const r of rows) console.log(`${String(r.size).padEnd(8)} ${String(r.pureOpsPerSec).padStart(12)}   ${String(r.nativeOpsPerSec).padStart(12)}   ${r.nativeOverPure}×`);
writeFileSync(join(here, "results", "crc32.json"), JSON.stringify({ threshold: NATIVE_CRC32_THRESHOLD, rows }, null, 2) + "\n");
