import { sliceBy16 } from "../crc/slicing.ts";
import { WASM_CRC32_WINDOW, wasmEntryCrcChecker, type EntryCrcChecker } from "../crc/wasm.ts";

/**
 * The EntryCrcChecker in JavaScript, where WebAssembly is unavailable: the same walk as the
 * WebAssembly one (protocol §5 entries, the codec's own slicing-by-16 over each payload's range, no
 * view made), and the same bound on the work of one call.
 */
export const checkEntryCrcsInJs: EntryCrcChecker = (bytes, start, end) => {
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
    if (payloadStart > entryEnd || sliceBy16(bytes, payloadStart, entryEnd, 0) !== view.getUint32(payloadStart - 4)) break;
    at = entryEnd;
  }
  return at;
};

let chosen: EntryCrcChecker | undefined;

/** The checker the decoder uses by default: WebAssembly where the runtime has it, else JavaScript (chosen once). */
export function entryCrcChecker(): EntryCrcChecker {
  return (chosen ??= wasmEntryCrcChecker() ?? checkEntryCrcsInJs);
}
