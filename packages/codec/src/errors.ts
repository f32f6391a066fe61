/**
 * Typed errors of the wire format, and K07Error, the base of every k07 error. One base class,
 * subclasses by cause, so callers can `catch (e) { if (e instanceof K07Error) ... }` and tell a
 * broker's answer from bad bytes or (with the client's errors) a dropped connection. Argument
 * mistakes are not K07Errors: they throw TypeError/RangeError.
 */

import { hex32 } from "./primitives/text.ts";

/** Where a problem happened, when it is known. Every field is optional. */
export interface ErrorContext {
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: number;
}

function where(context: ErrorContext | undefined): string {
  if (!context) return "";
  const parts: string[] = [];
  if (context.topic !== undefined) parts.push(`topic ${JSON.stringify(context.topic)}`);
  if (context.partition !== undefined) parts.push(`partition ${context.partition}`);
  if (context.offset !== undefined) parts.push(`offset ${context.offset}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

/** Base class of every error k07 raises for bad input, broker errors and connection trouble. */
export class K07Error extends Error {
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: number;
  constructor(message: string, context?: ErrorContext, options?: { cause?: unknown }) {
    super(message + where(context), options);
    this.name = new.target.name;
    if (context) {
      if (context.topic !== undefined) this.topic = context.topic;
      if (context.partition !== undefined) this.partition = context.partition;
      if (context.offset !== undefined) this.offset = context.offset;
    }
  }
}

/** Bytes that do not follow the 0.7 wire format. `position` is the byte index where decoding failed. */
export class MalformedError extends K07Error {
  constructor(
    message: string,
    readonly position: number,
    context?: ErrorContext,
  ) {
    super(`${message} at byte ${position}`, context);
  }
}

/** A message whose stored CRC32 does not match its payload. */
export class CrcError extends K07Error {
  constructor(
    readonly expected: number,
    readonly actual: number,
    context?: ErrorContext,
  ) {
    super(`CRC mismatch: message says 0x${hex32(expected)}, payload hashes to 0x${hex32(actual)}`, context);
  }
}

/** A frame whose size prefix is above the configured limit or not positive; refused before buffering. */
export class FrameTooLargeError extends K07Error {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(size <= 0 ? `Frame size prefix ${size} is not positive` : `Frame of ${size} bytes exceeds the limit of ${limit} bytes`);
  }
}

/** A single message larger than the largest fetch the client is allowed to make. */
export class MessageTooLargeError extends K07Error {
  constructor(
    readonly size: number,
    readonly limit: number,
    context?: ErrorContext,
    message?: string,
  ) {
    super(message ?? `A message of ${size} bytes does not fit in the largest allowed fetch of ${limit} bytes; raise maxFetchBytes`, context);
  }
}

/**
 * A fetch at an offset that is not the start of a message. 0.7 offsets are byte positions and the
 * broker returns bytes from wherever it is asked (protocol §7.3), so the first entry of the response
 * reads as something no broker stores: `reason` says what. Messages start at the offsets
 * `getOffsets` lists (segment starts, the log end) and at every message's `offset` and `nextOffset`.
 */
export class OffsetNotAtMessageBoundaryError extends K07Error {
  constructor(
    readonly reason: string,
    context?: ErrorContext,
  ) {
    super(`The offset is not at a message boundary (${reason}); fetch from an offset getOffsets lists, or a message's offset or nextOffset`, context);
  }
}

/** A compressed payload would inflate past the configured cap (a decompression bomb, or a cap set too low). */
export class DecompressionLimitError extends K07Error {
  constructor(
    readonly limit: number,
    context?: ErrorContext,
    /** What exceeded the cap, when it is more than one payload (replaces the default wording). */
    description?: string,
  ) {
    super(description ?? `Decompressed payload exceeds maxDecompressedBytes (${limit}); raise the cap if this is legitimate`, context);
  }
}

/** A compressed payload that cannot be decompressed, or a compression codec k07 has no implementation for. */
export class CompressionError extends K07Error {}

/**
 * A compressed message inside a compressed message, deeper than the decoder allows (by default
 * none: 0.7 producers never nest wrappers, protocol §5.5), refused before it is decompressed.
 */
export class NestedCompressionError extends CompressionError {
  constructor(
    readonly maxDepth: number,
    context?: ErrorContext,
  ) {
    super(
      `A compressed message nested ${maxDepth + 1} deep, more than maxCompressionDepth ${maxDepth} allows (0.7 producers never nest compressed messages)`,
      context,
    );
  }
}

/** Broker error codes of Kafka 0.7 (`ErrorMapping.scala`). */
export const ErrorCode = {
  Unknown: -1,
  NoError: 0,
  OffsetOutOfRange: 1,
  InvalidMessage: 2,
  WrongPartition: 3,
  InvalidFetchSize: 4,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error code a broker returned in a fetch or multi-fetch response. */
export class BrokerError extends K07Error {
  constructor(
    readonly code: number,
    message: string,
    context?: ErrorContext,
  ) {
    super(message, context);
  }
}
/** Code −1: the broker hit an unexpected error (for example an illegal topic name). */
export class UnknownBrokerError extends BrokerError {
  constructor(context?: ErrorContext) {
    super(ErrorCode.Unknown, "Broker reported an unknown error (code -1), for example an illegal topic name", context);
  }
}
/** Code 1: the offset is before the log start or after its (flushed) end. Reset with getOffsets. */
export class OffsetOutOfRangeError extends BrokerError {
  constructor(context?: ErrorContext) {
    super(ErrorCode.OffsetOutOfRange, "Offset out of range; ask getOffsets for the earliest (-2) or latest (-1) offset", context);
  }
}
/** Code 2: an invalid message. */
export class InvalidMessageError extends BrokerError {
  constructor(context?: ErrorContext) {
    super(ErrorCode.InvalidMessage, "Invalid message (code 2)", context);
  }
}
/** Code 3: the partition is negative or not below the topic's partition count on that broker. */
export class WrongPartitionError extends BrokerError {
  constructor(context?: ErrorContext) {
    super(ErrorCode.WrongPartition, "Wrong partition: not in [0, partition count) on this broker", context);
  }
}
/** Code 4: invalid fetch size. */
export class InvalidFetchSizeError extends BrokerError {
  constructor(context?: ErrorContext) {
    super(ErrorCode.InvalidFetchSize, "Invalid fetch size (code 4)", context);
  }
}

/** The typed error for a non-zero broker error code. */
export function brokerErrorFor(code: number, context?: ErrorContext): BrokerError {
  switch (code) {
    case ErrorCode.Unknown:
      return new UnknownBrokerError(context);
    case ErrorCode.OffsetOutOfRange:
      return new OffsetOutOfRangeError(context);
    case ErrorCode.InvalidMessage:
      return new InvalidMessageError(context);
    case ErrorCode.WrongPartition:
      return new WrongPartitionError(context);
    case ErrorCode.InvalidFetchSize:
      return new InvalidFetchSizeError(context);
    default:
      return new BrokerError(code, `Broker returned unrecognised error code ${code}`, context);
  }
}
