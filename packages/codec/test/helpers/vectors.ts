/**
 * The golden vectors of the shared spec (`../shared/spec/vectors/kafka07-vectors.json`, beside the
 * repository checkout), loaded as they are: tests never retype their bytes.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** One entry of the vectors file; `decode` is whatever the spec says the bytes mean. */
export interface Vector {
  readonly name: string;
  readonly hex: string;
  readonly length: number;
  readonly note: string;
  readonly decode: unknown;
  readonly confirmed_by: string;
}

/** A decoded message as the vectors describe it. */
export interface VectorMessage {
  readonly payload: string;
  readonly next_offset: number;
  readonly magic?: number;
}

const RELATIVE_PATH = join("..", "shared", "spec", "vectors", "kafka07-vectors.json");

// Jest runs from the repository root; walking up also finds the file from a package folder.
function findVectorsFile(): string {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const candidate = resolve(dir, RELATIVE_PATH);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`cannot find ${RELATIVE_PATH} above ${process.cwd()}`);
  }
}

/** Every vector, in file order. */
export const vectors: readonly Vector[] = JSON.parse(readFileSync(findVectorsFile(), "utf8")) as Vector[];

/** The vector called `name` (throws if the file has none, so a renamed vector fails loudly). */
export function vector(name: string): Vector {
  const found = vectors.find((v) => v.name === name);
  if (!found) throw new Error(`no vector named ${name}`);
  return found;
}

/** The bytes of a vector, as a fresh Uint8Array. */
export function vectorBytes(name: string): Uint8Array {
  return hexToBytes(vector(name).hex);
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw new Error(`odd-length hex ${hex}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** The frame content of a response or request vector: its bytes after the int32 size prefix. */
export function frameOf(name: string): Uint8Array {
  return vectorBytes(name).subarray(4);
}
