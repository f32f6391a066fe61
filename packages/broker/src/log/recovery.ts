import { K07Error, decodeMessageSet, type Crc32Function } from "@k07/codec";

const WINDOW_BYTES = 8 * 1024 * 1024;

/**
 * Length of the longest prefix of a segment made of whole, CRC-valid entries: where a log torn by
 * a crash mid-append must be cut (what 0.7's recovery of the last segment does). Reads the
 * segment through `read` in windows, so a large file is never loaded whole. `crc32` checks the
 * entries (default the codec's pure one).
 */
export function validPrefixLength(size: number, read: (position: number, length: number) => Uint8Array, crc32?: Crc32Function): number {
  let position = 0;
  let window = WINDOW_BYTES;
  while (position < size) {
    const bytes = read(position, Math.min(window, size - position));
    const set = decodeMessageSet(bytes, { baseOffset: position, decompress: false, crc32 });
    if (set.entryCount === 0) {
      // An entry bigger than the window: read a window that holds it, if the file does.
      if (set.requiredBytes > bytes.length && position + set.requiredBytes <= size) {
        window = set.requiredBytes;
        continue;
      }
      return position;
    }
    let end = position;
    try {
      for (const message of set) end = message.nextOffset;
    } catch (error) {
      if (error instanceof K07Error) return end;
      throw error;
    }
    position = end;
    window = WINDOW_BYTES;
  }
  return position;
}
