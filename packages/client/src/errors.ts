/**
 * Errors of a connection to a broker (the wire format's errors are the codec's). Every one is a
 * K07Error, the common base of every k07 error.
 */
import { K07Error } from "@k07/codec";
import type { ProduceLike } from "./produce-ledger.ts";

/** The connection closed (or could not be opened) before the request was answered. */
export class ConnectionClosedError extends K07Error {}

/** A connect or request did not complete in time. */
export class TimeoutError extends K07Error {}

/**
 * Produce requests that were written but whose application by the broker could not be confirmed,
 * because the connection dropped first (0.7 has no produce acknowledgements).
 */
export class ProduceNotConfirmedError extends K07Error {
  constructor(
    message: string,
    /** The requests that may or may not have been applied, in the order they were sent. */
    readonly requests: readonly ProduceLike[],
    options?: { cause?: unknown },
  ) {
    super(message, undefined, options);
  }
}
