/**
 * The golden vectors of protocol §10 (`packages/testing/fixtures/kafka07-vectors.json`: bytes emitted by the
 * compiled Kafka 0.7.2 classes or sent by a live 0.7.2 broker), loaded as they are: tests never
 * retype their bytes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** One entry of the vectors file; `decode` is what the bytes mean, `confirmed_by` how that was established. */
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

const FIXTURE_PATH = join(__dirname, "..", "fixtures", "kafka07-vectors.json");

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
