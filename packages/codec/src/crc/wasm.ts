import { CRC32_TABLES } from "./table.ts";
import { checkCrcRange } from "./slicing.ts";

/**
 * CRC-32 in WebAssembly, slicing by 16 over four little-endian 32-bit loads per step. The module is
 * assembled here from its instructions (about 1.4 KB; no toolchain, no binary blob to go stale)
 * and compiled synchronously, which Node, Deno and browsers all allow for a module this small.
 * WebAssembly SIMD has no carry-less multiply, so the table method is the fastest it can do.
 * Besides the CRC of a range, the module walks a run of message set entries in one call and checks
 * every entry's CRC (how the decoder checks CRCs by default) or computes and stores it (how the
 * encoder hashes payloads by default).
 *
 * Memory (one 64 KiB page, never grown): the 16 tables at 0..16 KiB, then a 48 KiB window that
 * input is copied into, chunk by chunk (and filled entries copied back out of): the copies are the
 * price of leaving JavaScript's heap.
 */
const TABLE_BYTES = 16 * 256 * 4;
const PAGE_BYTES = 65536;
/** Input bytes copied into wasm memory per call of the wasm function. */
export const WASM_CRC32_WINDOW = PAGE_BYTES - TABLE_BYTES;

/** A CRC-32 over a byte range backed by WebAssembly; `undefined` where WebAssembly is unavailable. */
export type WasmCrc32 = (bytes: Uint8Array, start?: number, end?: number, previous?: number) => number;

/**
 * Checks the CRCs of the message set entries from `start` on, up to `end` or as far as one call
 * goes: returns where the first entry starts that it did not vouch for (a wrong CRC, an unknown
 * magic, a magic-1 entry too short for its header, or the first entry past what one call covers),
 * `end` when it vouched for all. `start` must be an entry boundary of a scanned set.
 */
export type EntryCrcChecker = (bytes: Uint8Array, start: number, end: number) => number;

/**
 * Computes the CRC of each message set entry's payload from `start` on, up to `end` or as far as one
 * call goes, and stores it in the entry's CRC field (whatever that held): returns where the first
 * entry starts that it did not fill (an unknown magic, a magic-1 entry too short for its header, or
 * the first entry past what one call covers), `end` when it filled all. `start` must be an entry boundary.
 */
export type EntryCrcFiller = (bytes: Uint8Array, start: number, end: number) => number;

interface CompiledCrc32 {
  readonly crc32: WasmCrc32;
  readonly checkEntries: EntryCrcChecker;
  readonly fillEntries: EntryCrcFiller;
}

let cached: CompiledCrc32 | null | undefined;

function compiled(): CompiledCrc32 | undefined {
  if (cached === undefined) cached = instantiate();
  return cached ?? undefined;
}

/**
 * The WebAssembly CRC-32 (compiled on first call, then shared: it keeps no state between calls that a
 * caller could observe, and calls cannot interleave). Returns `undefined` where the runtime has no
 * WebAssembly (or forbids compiling it, as a strict Content-Security-Policy may).
 */
export function wasmCrc32(): WasmCrc32 | undefined {
  return compiled()?.crc32;
}

/**
 * The WebAssembly entry checker (see EntryCrcChecker): one call copies up to WASM_CRC32_WINDOW bytes
 * of whole entries into the module's memory and checks every CRC in them, with no call per message.
 * `undefined` where WebAssembly is unavailable.
 */
export function wasmEntryCrcChecker(): EntryCrcChecker | undefined {
  return compiled()?.checkEntries;
}

/**
 * The WebAssembly entry filler (see EntryCrcFiller): one call copies up to WASM_CRC32_WINDOW bytes of
 * whole entries into the module's memory, computes and stores every CRC there, and copies them back.
 * `undefined` where WebAssembly is unavailable.
 */
export function wasmEntryCrcFiller(): EntryCrcFiller | undefined {
  return compiled()?.fillEntries;
}

/** The part of the WebAssembly API used here (the codec compiles without the "dom" lib, which declares it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

function instantiate(): CompiledCrc32 | null {
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
  const entryCrcs = instance.exports["entryCrcs"] as (at: number, end: number, fill: 0 | 1) => number;
  new Int32Array(memory.buffer, 0, CRC32_TABLES.length).set(CRC32_TABLES);
  const window = new Uint8Array(memory.buffer, TABLE_BYTES, WASM_CRC32_WINDOW);
  return {
    crc32: (bytes, start = 0, end = bytes.length, previous = 0) => {
      checkCrcRange(bytes, start, end);
      let c = previous;
      for (let at = start; at < end; at += WASM_CRC32_WINDOW) {
        const stop = Math.min(end, at + WASM_CRC32_WINDOW);
        if (at === 0 && stop === bytes.length) window.set(bytes);
        else window.set(bytes.subarray(at, stop));
        c = crc(TABLE_BYTES, stop - at, c);
      }
      return c >>> 0;
    },
    checkEntries: (bytes, start, end) => walkEntries(bytes, start, end, 0),
    fillEntries: (bytes, start, end) => walkEntries(bytes, start, end, 1),
  };

  /**
   * `entryCrcs` over a copy of the whole entries from `start` (as many as the window holds); filled
   * ones are copied back whole. Copying back only each entry's 4 CRC bytes, from JavaScript, measured
   * slower than this one memcpy (encode at 0.70–0.84 of the crc-32 loop against 0.86–0.88).
   */
  function walkEntries(bytes: Uint8Array, start: number, end: number, fill: 0 | 1): number {
    checkCrcRange(bytes, start, end);
    const length = Math.min(end - start, WASM_CRC32_WINDOW);
    window.set(bytes.subarray(start, start + length));
    const walked = entryCrcs(TABLE_BYTES, TABLE_BYTES + length, fill) - TABLE_BYTES;
    if (fill === 1) bytes.set(window.subarray(0, walked), start);
    return start + walked;
  }
}

// ---- the assembler --------------------------------------------------------------------------------
const I32 = 0x7f;
const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  call: 0x10,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  if: 0x04,
  else: 0x05,
  i32Load: 0x28,
  i32Load8U: 0x2d,
  i32Store: 0x36,
  i32Const: 0x41,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32GeU: 0x4f,
  i32Sub: 0x6b,
  i32Or: 0x72,
  i32Rotl: 0x77,
  i32Rotr: 0x78,
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

/** Instructions on locals, for the two functions. */
const get = (local: number): number[] => [op.localGet, local];
const set = (local: number): number[] => [op.localSet, local];
const tee = (local: number): number[] => [op.localTee, local];
const i32 = (n: number): number[] => [op.i32Const, ...signedLeb(n)];
const load = (offset: number): number[] => [op.i32Load, 2, ...unsignedLeb(offset)];
/** A `block` holding a `loop`: `br 1` leaves it, `br 0` goes round again. */
const loop = (body: number[]): number[] => [op.block, op.blockTypeEmpty, op.loop, op.blockTypeEmpty, ...body, op.br, 0, op.end, op.end];

/**
 * The CRC register `crc` (already inverted) advanced over memory[at .. end): 16 bytes a step, then
 * one step of 8 and one of 4 where they fit, then byte by byte (at most 3 bytes: a byte step costs
 * almost as much as a 16-byte one, and a payload's tail is often most of its last 16 bytes).
 * Uses locals end16 and w0..w0+3; leaves `at` = `end`.
 */
function crcLoop(at: number, end: number, crc: number, end16: number, w0: number): number[] {
  /** tables[table][(word >>> 8*byte) & 255], each entry 4 bytes, table `table` at table*1024. */
  const lookup = (table: number, word: number, byte: number) => [
    ...get(word),
    ...(byte === 0 ? [...i32(2), op.i32Shl] : [...i32(8 * byte - 2), op.i32ShrU]),
    ...i32(1020),
    op.i32And,
    ...load(table * 1024),
  ];
  /** Slicing by 4 × `words` bytes: the words at `at` (the first XORed with the CRC), one table lookup per byte, `at` advanced. */
  const slice = (words: number): number[] => {
    const code: number[] = [...get(at), ...load(0), ...get(crc), op.i32Xor, ...set(w0)];
    for (let k = 1; k < words; k++) code.push(...get(at), ...load(4 * k), ...set(w0 + k));
    // The bytes of the later words first: only the first word depends on the CRC, so its four
    // lookups come last and the chain from one step's CRC to the next is four lookups and four XORs
    // long, not sixteen (the later words' lookups overlap with the previous step).
    const bytes = 4 * words;
    const order = Array.from({ length: bytes }, (_, n) => (n + 4) % bytes);
    order.forEach((n, i) => {
      code.push(...lookup(bytes - 1 - n, w0 + (n >> 2), n & 3));
      if (i > 0) code.push(op.i32Xor);
    });
    return [...code, ...set(crc), ...get(at), ...i32(bytes), op.i32Add, ...set(at)];
  };
  /** One `slice(words)` when at least 4 × `words` bytes are left. */
  const sliceIfLeft = (words: number): number[] => [
    op.block,
    op.blockTypeEmpty,
    ...get(end),
    ...get(at),
    op.i32Sub,
    ...i32(4 * words),
    op.i32LtU,
    op.brIf,
    0,
    ...slice(words),
    op.end,
  ];
  return [
    ...get(at),
    ...get(end),
    ...get(at),
    op.i32Sub,
    ...i32(-16),
    op.i32And,
    op.i32Add,
    ...set(end16),
    ...loop([...get(at), ...get(end16), op.i32GeU, op.brIf, 1, ...slice(4)]),
    ...sliceIfLeft(2),
    ...sliceIfLeft(1),
    ...loop([
      ...get(at),
      ...get(end),
      op.i32GeU,
      op.brIf,
      1,
      ...get(crc),
      ...get(at),
      op.i32Load8U,
      0,
      0,
      op.i32Xor,
      ...i32(255),
      op.i32And,
      ...i32(2),
      op.i32Shl,
      ...load(0),
      ...get(crc),
      ...i32(8),
      op.i32ShrU,
      op.i32Xor,
      ...set(crc),
      ...get(at),
      ...i32(1),
      op.i32Add,
      ...set(at),
    ]),
  ];
}

/** The index of `update`, which `crc` calls (`entryCrcs` has its own copy of the loop). */
const UPDATE = 0;

/** Function 0, `update(at, end, register) -> register`: crcLoop over memory[at .. end). Locals: 0 at, 1 end, 2 register, 3 end16, 4..7 words. */
function updateFunction(): number[] {
  const [AT, END, CRC, END16, W0] = [0, 1, 2, 3, 4];
  return [...vector([[5, I32]]), ...crcLoop(AT, END, CRC, END16, W0), ...get(CRC), op.end];
}

/** Function 1, `crc(at, length, previous) -> crc` over memory[at .. at+length). */
function crcFunction(): number[] {
  const [AT, LENGTH, PREVIOUS] = [0, 1, 2];
  return [
    ...vector([]),
    ...get(AT),
    ...get(AT),
    ...get(LENGTH),
    op.i32Add,
    ...get(PREVIOUS),
    ...i32(-1),
    op.i32Xor,
    op.call,
    UPDATE,
    ...i32(-1),
    op.i32Xor,
    op.end,
  ];
}

/** The bytes of the 32-bit value on the stack reversed (big-endian ↔ little-endian). */
const byteSwap = (scratch: number): number[] => [
  ...tee(scratch),
  ...i32(8),
  op.i32Rotl,
  ...i32(0x00ff00ff),
  op.i32And,
  ...get(scratch),
  ...i32(8),
  op.i32Rotr,
  ...i32(0xff00ff00 | 0),
  op.i32And,
  op.i32Or,
];

/**
 * `entryCrcs(at, end, fill) -> position` over the message set entries in memory[at .. end) (protocol §5:
 * a big-endian length, magic 0 or 1, the attributes byte for magic 1, the big-endian CRC of the
 * payload, the payload): computes the CRC of each entry's payload in turn and, with `fill` = 0,
 * compares it with the stored one, with `fill` = 1 stores it (an encoder writes the entries with
 * their CRC fields blank). Returns where the first entry starts that it cannot vouch for (a wrong
 * CRC when checking, a magic other than 0 and 1, a magic-1 entry too short to hold its header, an
 * entry not wholly inside the range), or `end` when all are good.
 * Function 2. Locals: 0 at, 1 end, 2 fill, 3 entry end, 4 payload position, 5 magic, 6 length then CRC,
 * 7 scratch, 8 the CRC loop's position, 9 its end16, 10..13 its words.
 */
function entryCrcsFunction(): number[] {
  const [AT, END, FILL, ENTRY_END, P, MAGIC, CRC, SCRATCH, PTR, END16, W0] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  return [
    ...vector([[11, I32]]),
    ...loop([
      // at + 4 > end: no complete length left (at <= end always, so the difference is small and unsigned).
      ...get(END),
      ...get(AT),
      op.i32Sub,
      ...i32(4),
      op.i32LtU,
      op.brIf,
      1,
      // The length: at least 5 (magic and CRC), at most what is left (JavaScript scanned them, but a
      // wrong length must never make this loop run backwards or past the range).
      ...get(AT),
      ...load(0),
      ...byteSwap(SCRATCH),
      ...tee(CRC),
      ...i32(5),
      op.i32LtS,
      op.brIf,
      1,
      ...get(CRC),
      ...get(END),
      ...get(AT),
      op.i32Sub,
      ...i32(4),
      op.i32Sub,
      op.i32GtU,
      op.brIf,
      1,
      ...get(AT),
      ...i32(4),
      op.i32Add,
      ...get(CRC),
      op.i32Add,
      ...set(ENTRY_END),
      ...get(AT),
      op.i32Load8U,
      0,
      4,
      ...tee(MAGIC),
      ...i32(1),
      op.i32GtU,
      op.brIf,
      1,
      // The payload starts 9 bytes in for magic 0, 10 for magic 1; the CRC is the 4 bytes before it.
      ...get(AT),
      ...i32(9),
      op.i32Add,
      ...get(MAGIC),
      op.i32Add,
      ...tee(P),
      ...get(ENTRY_END),
      op.i32GtU,
      op.brIf,
      1,
      // The CRC loop written out here rather than called: a call per entry costs as much as a 16-byte step.
      ...get(P),
      ...set(PTR),
      ...i32(-1),
      ...set(CRC),
      ...crcLoop(PTR, ENTRY_END, CRC, END16, W0),
      ...get(CRC),
      ...i32(-1),
      op.i32Xor,
      ...set(CRC),
      ...get(FILL),
      op.if,
      op.blockTypeEmpty,
      ...get(P),
      ...i32(4),
      op.i32Sub,
      ...get(CRC),
      ...byteSwap(SCRATCH),
      op.i32Store,
      0,
      0,
      op.else,
      ...get(P),
      ...i32(4),
      op.i32Sub,
      ...load(0),
      ...byteSwap(SCRATCH),
      ...get(CRC),
      op.i32Ne,
      // Out of the `if`, the loop and its block.
      op.brIf,
      2,
      op.end,
      ...get(ENTRY_END),
      ...set(AT),
    ]),
    ...get(AT),
    op.end,
  ];
}

/**
 * The module: `crc(at, length, previous) -> crc` and `entryCrcs(at, end, fill) -> position` (see
 * crcFunction, entryCrcsFunction), both built on crcLoop; it exports those two and `memory` (one page).
 */
export function assembleCrc32Wasm(): Uint8Array {
  const bodies = [updateFunction(), crcFunction(), entryCrcsFunction()];
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
    ...section(3, vector([[0], [0], [0]])),
    ...section(5, vector([[0x00, 1]])),
    ...section(
      7,
      vector([
        [...name("crc"), 0x00, 1],
        [...name("entryCrcs"), 0x00, 2],
        [...name("memory"), 0x02, 0],
      ]),
    ),
    ...section(10, vector(bodies.map((body) => [...unsignedLeb(body.length), ...body]))),
  ]);
}
