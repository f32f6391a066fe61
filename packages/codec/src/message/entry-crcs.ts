import { sliceBy16, sliceBy16Int32 } from "../crc/slicing.ts";
import { WASM_CRC32_WINDOW, wasmCrc32, wasmEntryCrcChecker, wasmEntryCrcFiller, type EntryCrcChecker, type EntryCrcFiller } from "../crc/wasm.ts";

/**
 * The entry walk of the WebAssembly module in JavaScript, for where WebAssembly is unavailable: the
 * same entries (protocol §5), the codec's own slicing-by-16 over each payload's range (no view made),
 * the same bound on the work of one call; `fill` stores each CRC, else each is compared with the stored one.
 */
function walkEntryCrcsInJs(bytes: Uint8Array, start: number, end: number, fill: boolean): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stop = Math.min(end, start + WASM_CRC32_WINDOW);
  let at = start;
  while (stop - at >= 4) {
    const size = view.getInt32(at);
    if (size < 5 || size > stop - at - 4) break;
    const magic = bytes[at + 4]!;
    if (magic > 1) break;
    const payloadStart = at + 9 + magic;
    const entryEnd = at + 4 + size;
    if (payloadStart > entryEnd) break;
    const crc = sliceBy16Int32(bytes, payloadStart, entryEnd, 0);
    if (fill) view.setInt32(payloadStart - 4, crc);
    else if (crc !== view.getInt32(payloadStart - 4)) break;
    at = entryEnd;
  }
  return at;
}

/** The EntryCrcChecker in JavaScript, where WebAssembly is unavailable. */
export const checkEntryCrcsInJs: EntryCrcChecker = (bytes, start, end) => walkEntryCrcsInJs(bytes, start, end, false);

/** The EntryCrcFiller in JavaScript, where WebAssembly is unavailable: the same bytes as the WebAssembly one. */
export const fillEntryCrcsInJs: EntryCrcFiller = (bytes, start, end) => walkEntryCrcsInJs(bytes, start, end, true);

let chosenChecker: EntryCrcChecker | undefined;
let chosenFiller: EntryCrcFiller | undefined;

/** The checker the decoder uses by default: WebAssembly where the runtime has it, else JavaScript (chosen once). */
export function entryCrcChecker(): EntryCrcChecker {
  return (chosenChecker ??= wasmEntryCrcChecker() ?? checkEntryCrcsInJs);
}

/** The filler the encoder uses by default: WebAssembly where the runtime has it, else JavaScript (chosen once). */
export function entryCrcFiller(): EntryCrcFiller {
  return (chosenFiller ??= wasmEntryCrcFiller() ?? fillEntryCrcsInJs);
}

/**
 * Computes and stores the CRC of every entry in `bytes[start..end)`, which an encoder wrote with
 * their CRC fields not yet set: runs of entries by `filler` (one call per up to WASM_CRC32_WINDOW
 * bytes), an entry larger than that alone (by the WebAssembly CRC, else the codec's slicing-by-16).
 * @throws RangeError when the range does not hold whole, well-formed entries (an encoder bug).
 */
export function fillEntryCrcs(bytes: Uint8Array, start: number, end: number, filler: EntryCrcFiller = entryCrcFiller()): void {
  let at = start;
  while (at < end) {
    const filled = filler(bytes, at, end);
    at = filled > at ? filled : fillLargeEntryCrc(bytes, at, end);
  }
}

/** The CRC of the one entry at `at` (one the filler cannot take in one call), stored; returns where the entry ends. */
function fillLargeEntryCrc(bytes: Uint8Array, at: number, end: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = end - at >= 5 ? view.getInt32(at) : -1;
  const magic = bytes[at + 4]!;
  if (size < 5 || size > end - at - 4 || magic > 1 || size < 5 + magic)
    throw new RangeError(`no whole message set entry at ${at} of [${at}, ${end})`);
  const payloadStart = at + 9 + magic;
  const entryEnd = at + 4 + size;
  const wasm = wasmCrc32();
  view.setUint32(payloadStart - 4, wasm === undefined ? sliceBy16(bytes, payloadStart, entryEnd, 0) : wasm(bytes, payloadStart, entryEnd));
  return entryEnd;
}
