/**
 * The codec's errors: one K07Error base, a subclass per cause, each with a message that says what
 * happened and, when known, where (topic, partition, offset), and the fields a caller acts on.
 */
import {
  BrokerError,
  CompressionError,
  DecompressionLimitError,
  ErrorCode,
  FrameTooLargeError,
  InvalidFetchSizeError,
  InvalidMessageError,
  K07Error,
  MalformedError,
  MessageTooLargeError,
  NestedCompressionError,
  OffsetNotAtMessageBoundaryError,
  OffsetOutOfRangeError,
  UnknownBrokerError,
  WrongPartitionError,
  brokerErrorFor,
} from "../src/index.ts";

describe("where: the context of an error", () => {
  test("is appended to the message and kept as fields", () => {
    const error = new K07Error("Bad", { topic: "orders", partition: 3, offset: 57 });
    expect(error.message).toBe('Bad (topic "orders", partition 3, offset 57)');
    expect([error.topic, error.partition, error.offset]).toEqual(["orders", 3, 57]);
  });

  test("names only the fields it has; partition 0 and offset 0 are fields like any other", () => {
    const error = new K07Error("Bad", { partition: 0, offset: 0 });
    expect(error.message).toBe("Bad (partition 0, offset 0)");
    expect(error.topic).toBeUndefined();
    expect(error.offset).toBe(0);
    expect(new K07Error("Bad", { topic: "t" }).message).toBe('Bad (topic "t")');
  });

  test("an empty or absent context adds nothing", () => {
    for (const error of [new K07Error("Bad", {}), new K07Error("Bad")]) {
      expect(error.message).toBe("Bad");
      expect([error.topic, error.partition, error.offset]).toEqual([undefined, undefined, undefined]);
    }
  });

  test("an error is named after its class and keeps its cause", () => {
    const cause = new Error("inner");
    const error = new CompressionError("outer", undefined, { cause });
    expect(error.name).toBe("CompressionError");
    expect(error.cause).toBe(cause);
    expect(new NestedCompressionError(0).name).toBe("NestedCompressionError");
  });
});

describe("wire errors", () => {
  test("MalformedError says the byte where decoding failed", () => {
    const error = new MalformedError("Malformed thing", 12, { topic: "t" });
    expect(error.message).toBe('Malformed thing at byte 12 (topic "t")');
    expect(error.position).toBe(12);
  });

  test("FrameTooLargeError tells a size that is not positive from one over the limit", () => {
    expect(new FrameTooLargeError(0, 100).message).toBe("Frame size prefix 0 is not positive");
    expect(new FrameTooLargeError(-5, 100).message).toBe("Frame size prefix -5 is not positive");
    const over = new FrameTooLargeError(101, 100);
    expect(over.message).toBe("Frame of 101 bytes exceeds the limit of 100 bytes");
    expect([over.size, over.limit]).toEqual([101, 100]);
  });

  test("MessageTooLargeError says which setting to raise, unless given its own words", () => {
    expect(new MessageTooLargeError(2000, 1000).message).toBe(
      "A message of 2000 bytes does not fit in the largest allowed fetch of 1000 bytes; raise maxFetchBytes",
    );
    expect(new MessageTooLargeError(2000, 1000, { partition: 1 }, "Too big").message).toBe("Too big (partition 1)");
  });

  test("OffsetNotAtMessageBoundaryError gives the reason and where messages start", () => {
    const error = new OffsetNotAtMessageBoundaryError("size 0", { offset: 3 });
    expect(error.reason).toBe("size 0");
    expect(error.message).toBe(
      "The offset is not at a message boundary (size 0); fetch from an offset getOffsets lists, or a message's offset or nextOffset (offset 3)",
    );
  });

  test("DecompressionLimitError names the cap, or uses the description it is given", () => {
    expect(new DecompressionLimitError(64).message).toBe(
      "Decompressed payload exceeds maxDecompressedBytes (64); raise the cap if this is legitimate",
    );
    const described = new DecompressionLimitError(64, undefined, "Two payloads exceed 64 bytes together");
    expect(described.message).toBe("Two payloads exceed 64 bytes together");
    expect(described.limit).toBe(64);
  });

  test("NestedCompressionError is a CompressionError that counts the depth found", () => {
    const error = new NestedCompressionError(1, { offset: 0 });
    expect(error).toBeInstanceOf(CompressionError);
    expect(error.maxDepth).toBe(1);
    expect(error.message).toBe(
      "A compressed message nested 2 deep, more than maxCompressionDepth 1 allows (0.7 producers never nest compressed messages) (offset 0)",
    );
  });
});

describe("brokerErrorFor: a typed error for each 0.7 error code", () => {
  test.each([
    [ErrorCode.Unknown, UnknownBrokerError, "Broker reported an unknown error (code -1), for example an illegal topic name"],
    [ErrorCode.OffsetOutOfRange, OffsetOutOfRangeError, "Offset out of range; ask getOffsets for the earliest (-2) or latest (-1) offset"],
    [ErrorCode.InvalidMessage, InvalidMessageError, "Invalid message (code 2)"],
    [ErrorCode.WrongPartition, WrongPartitionError, "Wrong partition: not in [0, partition count) on this broker"],
    [ErrorCode.InvalidFetchSize, InvalidFetchSizeError, "Invalid fetch size (code 4)"],
  ] as const)("code %i is %p", (code, kind, message) => {
    const error = brokerErrorFor(code, { topic: "t", partition: 1 });
    expect(error).toBeInstanceOf(kind);
    expect(error).toBeInstanceOf(BrokerError);
    expect(error.code).toBe(code);
    expect(error.message).toBe(`${message} (topic "t", partition 1)`);
    expect(error.name).toBe(kind.name);
  });

  test("an unrecognised code is a plain BrokerError that keeps the code", () => {
    const error = brokerErrorFor(9);
    expect(error.constructor).toBe(BrokerError);
    expect(error.code).toBe(9);
    expect(error.message).toBe("Broker returned unrecognised error code 9");
  });
});
