/** The fuzz contract: a decoder given any bytes returns normally or throws a K07Error, nothing else. */
import { K07Error } from "../../src/index.ts";

/** Runs `decode`; rethrows anything thrown that is not a K07Error (fast-check then shrinks it and prints the seed). */
export function decodesOrThrowsK07Error(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    if (!(error instanceof K07Error)) throw error;
  }
}

/** Every run count of the fuzz tests: the issue asks for at least 10,000 random and 10,000 mutated inputs per decoder. */
export const FUZZ_RUNS = 10_000;
