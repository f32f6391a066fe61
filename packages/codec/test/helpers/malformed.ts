import { MalformedError } from "../../src/index.ts";

/** The MalformedError `decode` throws (the test fails if it throws anything else, or nothing). */
export function malformed(decode: () => unknown): MalformedError {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedError);
    return error as MalformedError;
  }
  throw new Error("decoded without an error");
}
