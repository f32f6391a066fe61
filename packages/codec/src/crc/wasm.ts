import { CRC32_TABLES } from "./table.ts";
import { checkCrcRange } from "./slicing.ts";

/**
 * CRC-32 in WebAssembly, slicing by 16 over four little-endian 32-bit loads per step. The module is
 * assembled here from its instructions (a few hundred bytes; no toolchain, no binary blob to go stale)
 * and compiled synchronously, which Node, Deno and browsers all allow for a module this small.
 * WebAssembly SIMD has no carry-less multiply, so the table method is the fastest it can do.
 *
 * Memory (one 64 KiB page, never grown): the 16 tables at 0..16 KiB, then a 48 KiB window that
 * input is copied into, chunk by chunk: the copy is the price of leaving JavaScript's heap.
 */
const TABLE_BYTES = 16 * 256 * 4;
const PAGE_BYTES = 65536;
/** Input bytes copied into wasm memory per call of the wasm function. */
export const WASM_CRC32_WINDOW = PAGE_BYTES - TABLE_BYTES;

/** A CRC-32 over a byte range backed by WebAssembly; `undefined` where WebAssembly is unavailable. */
export type WasmCrc32 = (bytes: Uint8Array, start?: number, end?: number, previous?: number) => number;

let cached: WasmCrc32 | null | undefined;

/**
 * The WebAssembly CRC-32 (compiled on first call, then shared: it keeps no state between calls that a
 * caller could observe, and calls cannot interleave). Returns `undefined` where the runtime has no
 * WebAssembly (or forbids compiling it, as a strict Content-Security-Policy may).
 */
export function wasmCrc32(): WasmCrc32 | undefined {
  if (cached === undefined) cached = instantiate();
  return cached ?? undefined;
}

/** The part of the WebAssembly API used here (the codec compiles without the "dom" lib, which declares it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

function instantiate(): WasmCrc32 | null {
  const wasm = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (wasm === undefined) return null;
  let instance: { readonly exports: Record<string, unknown> };
  try {
    instance = new wasm.Instance(new wasm.Module(assembleCrc32Wasm() as Uint8Array<ArrayBuffer>));
  } catch {
    return null;
  }
  const memory = instance.exports["memory"] as { readonly buffer: ArrayBuffer };
  const crc = instance.exports["crc"] as (at: number, length: number, previous: number) => number;
  new Int32Array(memory.buffer, 0, CRC32_TABLES.length).set(CRC32_TABLES);
  const window = new Uint8Array(memory.buffer, TABLE_BYTES, WASM_CRC32_WINDOW);
  return (bytes, start = 0, end = bytes.length, previous = 0) => {
    checkCrcRange(bytes, start, end);
    let c = previous;
    for (let at = start; at < end; at += WASM_CRC32_WINDOW) {
      const stop = Math.min(end, at + WASM_CRC32_WINDOW);
      if (at === 0 && stop === bytes.length) window.set(bytes);
      else window.set(bytes.subarray(at, stop));
      c = crc(TABLE_BYTES, stop - at, c);
    }
    return c >>> 0;
  };
}

// ---- the assembler --------------------------------------------------------------------------------
const I32 = 0x7f;
const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  i32Load: 0x28,
  i32Load8U: 0x2d,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32And: 0x71,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  blockTypeEmpty: 0x40,
} as const;

function unsignedLeb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function signedLeb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const section = (id: number, body: number[]): number[] => [id, ...unsignedLeb(body.length), ...body];
const vector = (items: number[][]): number[] => [...unsignedLeb(items.length), ...items.flat()];
const name = (text: string): number[] => vector([...text].map((ch) => [ch.charCodeAt(0)]));

/**
 * The module: `crc(at, length, previous) -> crc` over memory[at .. at+length), exporting `crc` and
 * `memory`. Locals: 0 at, 1 length, 2 crc, 3 end of the 16-byte steps, 4 end, 5..8 the four words.
 */
export function assembleCrc32Wasm(): Uint8Array {
  const [AT, LENGTH, CRC, END16, END, W0] = [0, 1, 2, 3, 4, 5];
  const get = (local: number) => [op.localGet, local];
  const set = (local: number) => [op.localSet, local];
  const i32 = (n: number) => [op.i32Const, ...signedLeb(n)];
  const load = (offset: number) => [op.i32Load, 2, ...unsignedLeb(offset)];
  /** tables[table][(word >>> 8*byte) & 255], each entry 4 bytes, table `table` at table*1024. */
  const lookup = (table: number, word: number, byte: number) => [
    ...get(word),
    ...(byte === 0 ? [...i32(2), op.i32Shl] : [...i32(8 * byte - 2), op.i32ShrU]),
    ...i32(1020),
    op.i32And,
    ...load(table * 1024),
  ];
  const lookups: number[] = [];
  for (let n = 0; n < 16; n++) {
    lookups.push(...lookup(15 - n, W0 + (n >> 2), n & 3));
    if (n > 0) lookups.push(op.i32Xor);
  }
  const body = [
    ...vector([[6, I32]]),
    ...get(CRC),
    ...i32(-1),
    op.i32Xor,
    ...set(CRC),
    ...get(AT),
    ...get(LENGTH),
    op.i32Add,
    ...set(END),
    ...get(AT),
    ...get(LENGTH),
    ...i32(-16),
    op.i32And,
    op.i32Add,
    ...set(END16),
    op.block,
    op.blockTypeEmpty,
    op.loop,
    op.blockTypeEmpty,
    ...get(AT),
    ...get(END16),
    op.i32GeU,
    op.brIf,
    1,
    ...get(AT),
    ...load(0),
    ...get(CRC),
    op.i32Xor,
    ...set(W0),
    ...get(AT),
    ...load(4),
    ...set(W0 + 1),
    ...get(AT),
    ...load(8),
    ...set(W0 + 2),
    ...get(AT),
    ...load(12),
    ...set(W0 + 3),
    ...lookups,
    ...set(CRC),
    ...get(AT),
    ...i32(16),
    op.i32Add,
    ...set(AT),
    op.br,
    0,
    op.end,
    op.end,
    op.block,
    op.blockTypeEmpty,
    op.loop,
    op.blockTypeEmpty,
    ...get(AT),
    ...get(END),
    op.i32GeU,
    op.brIf,
    1,
    ...get(CRC),
    ...get(AT),
    op.i32Load8U,
    0,
    0,
    op.i32Xor,
    ...i32(255),
    op.i32And,
    ...i32(2),
    op.i32Shl,
    ...load(0),
    ...get(CRC),
    ...i32(8),
    op.i32ShrU,
    op.i32Xor,
    ...set(CRC),
    ...get(AT),
    ...i32(1),
    op.i32Add,
    ...set(AT),
    op.br,
    0,
    op.end,
    op.end,
    ...get(CRC),
    ...i32(-1),
    op.i32Xor,
    op.end,
  ];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vector([[0x60, ...vector([[I32], [I32], [I32]]), ...vector([[I32]])]])),
    ...section(3, vector([[0]])),
    ...section(5, vector([[0x00, 1]])),
    ...section(
      7,
      vector([
        [...name("crc"), 0x00, 0],
        [...name("memory"), 0x02, 0],
      ]),
    ),
    ...section(10, vector([[...unsignedLeb(body.length), ...body]])),
  ]);
}
