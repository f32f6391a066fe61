/** A file segment's reads fill uninitialised buffers: only bytes the file holds may ever be seen. */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSegment } from "../src/log/segment.ts";
import { pieceBytes } from "./helpers/bytes.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "k07-segment-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 13 + seed) & 0xff);

test("a read returns exactly the file's bytes in the range asked for", () => {
  const path = join(dir, "00000000000000000000.kafka");
  const content = bytes(300_000, 7);
  writeFileSync(path, content);
  const segment = new FileSegment(path, 0, { fsync: false, unlink: () => {}, now: 0 });
  try {
    const pieces = segment.read(1000, 200_000);
    expect(pieces).toHaveLength(1);
    expect(Buffer.from(pieceBytes(pieces[0]!)).equals(Buffer.from(content.subarray(1000, 201_000)))).toBe(true);
  } finally {
    segment.close();
  }
});

test("a read past a file cut short (by hand, under the broker) holds only the bytes still there, never stale memory", () => {
  const path = join(dir, "00000000000000000000.kafka");
  writeFileSync(path, bytes(100_000, 1));
  const segment = new FileSegment(path, 0, { fsync: false, unlink: () => {}, now: 0 });
  try {
    // Fill the allocator's memory with a recognisable pattern first, then cut the file.
    pieceBytes(segment.read(0, 100_000)[0]!);
    truncateSync(path, 40_000);
    const piece = segment.readBytes(10_000, 90_000);
    expect(piece.length).toBe(30_000);
    expect(Buffer.from(piece).equals(Buffer.from(bytes(100_000, 1).subarray(10_000, 40_000)))).toBe(true);
    // A fetch's file range never gives fewer bytes than it declared: it throws instead.
    const [range] = segment.read(10_000, 90_000);
    expect(() => pieceBytes(range!)).toThrow(/cut short: 30000 of 90000 bytes at position 10000/);
  } finally {
    segment.close();
  }
});
