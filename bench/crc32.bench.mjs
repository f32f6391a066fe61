// CRC-32 by payload size, every implementation k07 could use: the pure `crc-32` package (the codec's
// default today), node:zlib's native crc32, @k07/codec's WebAssembly slicing-by-16, its pure-JS
// slicing-by-16 (`crc32Range`, over a whole array and over a range of a larger buffer without a
// subarray), and the Node transport's hybrid. Rounds are interleaved (every
// implementation once per size per round) and each cell is the median of ROUNDS; the fastest per
// size is marked. Writes bench/results/crc32.json. CRC32_ROUNDS, CRC32_SAMPLE_MS override.
import { writeFileSync } from "node:fs";
import { found } from "./found.mjs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as zlib from "node:zlib";
import { crc32Range, slicingCrc32, wasmCrc32 } from "../packages/codec/dist/index.js";
import { hybridCrc32, NATIVE_CRC32_THRESHOLD } from "../packages/transport-node/dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const CRC32 = require("crc-32");
const ROUNDS = Number(process.env.CRC32_ROUNDS ?? 3);
const SAMPLE_MS = Number(process.env.CRC32_SAMPLE_MS ?? 250);
const SIZES = [16, 100, 256, 512, 1024, 4096, 16384, 65536, 1 << 20];
const wasm = wasmCrc32();
const native = typeof zlib.crc32 === "function" ? zlib.crc32 : undefined;

/**
 * @typedef {{ name: string, whole?: (b: Uint8Array) => number, range?: (b: Uint8Array, s: number, e: number) => number }} Implementation
 */
/** Each implementation hashes payload k of a size class; `range` ones get (backing, start, end). */
const implementations = /** @type {Implementation[]} */ (
  [
    { name: "crc-32 package", whole: (b) => CRC32.buf(b) >>> 0 },
    native && { name: "node:zlib crc32", whole: (b) => native(b) >>> 0 },
    wasm && { name: "wasm slicing-by-16", whole: (b) => wasm(b) },
    wasm && { name: "wasm slicing-by-16, range", range: (b, s, e) => wasm(b, s, e) },
    { name: "JS slicing-by-16", whole: slicingCrc32 },
    { name: "JS slicing-by-16, range", range: (b, s, e) => crc32Range(b, s, e) },
    { name: `transport hybrid (native from ${NATIVE_CRC32_THRESHOLD} B)`, whole: hybridCrc32 },
  ].filter(Boolean)
);

/** Payloads of `size` bytes: separate arrays (for whole-array CRCs) and the same bytes as ranges of one buffer. */
function inputsOf(size) {
  const count = Math.max(4, Math.min(64, Math.floor((16 << 20) / size)));
  const backing = new Uint8Array(count * size + 3);
  let x = size;
  for (let i = 0; i < backing.length; i++) backing[i] = x = (x * 1103515245 + 12345) & 0xff;
  // Ranges start 3 bytes in: a message's payload in a fetch is rarely aligned.
  const starts = Array.from({ length: count }, (_, k) => 3 + k * size);
  const arrays = starts.map((s) => backing.slice(s, s + size));
  return { count, backing, starts, arrays };
}

function rate(impl, input, size) {
  const { arrays, backing, starts, count } = input;
  let sink = 0;
  const pass = impl.whole
    ? () => {
        for (let k = 0; k < count; k++) sink ^= impl.whole(arrays[k]);
      }
    : () => {
        for (let k = 0; k < count; k++) sink ^= impl.range(backing, starts[k], starts[k] + size);
      };
  const warmUntil = performance.now() + SAMPLE_MS / 3;
  while (performance.now() < warmUntil) pass();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < SAMPLE_MS) {
    pass();
    n += count;
    now = performance.now();
  }
  if (sink === 0.5) console.log(sink);
  return (n * 1000) / (now - start);
}

// ---- correctness first: every implementation agrees with crc-32 on every input ------------------
const inputs = new Map(SIZES.map((size) => [size, inputsOf(size)]));
for (const [size, input] of inputs) {
  const expected = CRC32.buf(input.arrays[1]) >>> 0;
  for (const impl of implementations) {
    const got = impl.whole ? impl.whole(input.arrays[1]) : found(impl.range, impl.name)(input.backing, input.starts[1], input.starts[1] + size);
    if (got !== expected) throw new Error(`${impl.name} gives ${got} for ${size} B, crc-32 ${expected}`);
  }
}

const samples = new Map(); // "size|impl" -> ops/s per round
for (let round = 0; round < ROUNDS; round++) {
  for (const size of SIZES) {
    for (const impl of implementations) {
      const key = `${size}|${impl.name}`;
      if (!samples.has(key)) samples.set(key, []);
      samples.get(key).push(rate(impl, inputs.get(size), size));
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const rows = [];
for (const size of SIZES) {
  const cells = implementations.map((impl) => {
    const opsPerSec = median(samples.get(`${size}|${impl.name}`));
    return { impl: impl.name, opsPerSec: Math.round(opsPerSec), mbPerSec: +((opsPerSec * size) / 1e6).toFixed(1), overCrc32Package: 0 };
  });
  const fastest = cells.reduce((a, b) => (b.opsPerSec > a.opsPerSec ? b : a));
  const base = cells[0].opsPerSec;
  for (const c of cells) c.overCrc32Package = +(c.opsPerSec / base).toFixed(2);
  rows.push({ size, fastest: fastest.impl, cells });
}

const label = (size) => (size >= 1 << 20 ? `${size >> 20} MiB` : size >= 1024 ? `${size >> 10} KiB` : `${size} B`);
console.log(`CRC-32, MB/s by payload size (median of ${ROUNDS} interleaved rounds; ÷ crc-32 package in brackets; * fastest)`);
const header = ["size", ...implementations.map((i) => i.name)];
const table = [
  header,
  ...rows.map((r) => [
    label(r.size),
    ...r.cells.map((c) => `${c.mbPerSec.toFixed(0)} (${c.overCrc32Package.toFixed(2)})${c.impl === r.fastest ? "*" : ""}`),
  ]),
];
console.log(`| ${table[0].join(" | ")} |\n|${table[0].map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`);
for (const row of table.slice(1)) console.log(`| ${row.join(" | ")} |`);
writeFileSync(
  join(here, "results", "crc32.json"),
  JSON.stringify(
    { node: process.version, date: new Date().toISOString(), rounds: ROUNDS, sampleMs: SAMPLE_MS, threshold: NATIVE_CRC32_THRESHOLD, rows },
    null,
    2,
  ) + "\n",
);
