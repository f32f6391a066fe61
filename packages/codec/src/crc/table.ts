/** The reflected IEEE CRC-32 polynomial. */
const POLYNOMIAL = 0xedb88320;

/**
 * The CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib and java.util.zip.CRC32) lookup
 * tables for slicing-by-N, all in one array: table k (0 ≤ k < 16) holds, at `k * 256 + b`, the CRC
 * contribution of byte `b` followed by k zero bytes. Table 0 is the classic byte-at-a-time table.
 * One flat array (rather than 16) keeps a single base pointer live in the hot loops.
 */
export const CRC32_TABLES: Int32Array = buildTables(16);

function buildTables(count: number): Int32Array {
  const tables = new Int32Array(count * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    tables[b] = c;
  }
  for (let k = 1; k < count; k++) {
    for (let b = 0; b < 256; b++) {
      const previous = tables[(k - 1) * 256 + b]!;
      tables[k * 256 + b] = (previous >>> 8) ^ tables[previous & 0xff]!;
    }
  }
  return tables;
}
