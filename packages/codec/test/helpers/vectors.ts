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

/**
 * The vectors file is the shared spec's (`../shared/spec/vectors/kafka07-vectors.json`, beside the
 * checkout), copied byte for byte into `test/fixtures/` so a clone alone can run the suites; the
 * vectors test checks the copy against the shared file wherever that is present.
 */
export const FIXTURE_PATH = join(__dirname, "..", "fixtures", "kafka07-vectors.json");
const SHARED_RELATIVE_PATH = join("..", "shared", "spec", "vectors", "kafka07-vectors.json");

/** The shared spec's own file, when the checkout sits beside it (jest runs from the repository root). */
export function sharedVectorsFile(): string | undefined {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const candidate = resolve(dir, SHARED_RELATIVE_PATH);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Every vector, in file order. */
export const vectors: readonly Vector[] = JSON.parse(readFileSync(FIXTURE_PATH, "utf8")) as Vector[];

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
