import {
  ErrorCode,
  K07Error,
  RequestType,
  checkWireSize,
  decodeRequest,
  encodeFetchResponseHeader,
  encodeOffsetsResponse,
  isLegalTopicName,
  type DecodedProduce,
  type FetchRequestData,
  type OffsetRequestData,
} from "@k07/codec";
import type { LogManager } from "./log/log-manager.ts";
import type { LogRead, PartitionLog } from "./log/partition-log.ts";
import type { LogPiece } from "./log/segment.ts";
import { ProducedSetValidation, type ProduceValidationOptions } from "./produce-validation.ts";

/**
 * What handling one request frame gives: a response to write, in pieces (headers, views of memory
 * logs, and file ranges the connection reads a slice at a time as it writes them, so log bytes are
 * neither copied nor read whole; the sizes declared were computed from their lengths), nothing
 * (produce), or a reason to close the connection — the only way a 0.7 broker reports a bad
 * produce, offsets or frame (protocol §3.5, §8.3).
 */
export type RequestOutcome =
  | { readonly kind: "respond"; readonly chunks: LogPiece[] }
  | { readonly kind: "none"; readonly dropped?: string }
  | { readonly kind: "close"; readonly reason: string };

/**
 * A request that needs more work before it has an outcome (a produce whose compressed messages are
 * being validated): call `resume` with a work allowance (bytes inflated or checked) until it returns
 * an outcome. The caller chooses when to pause between calls.
 */
export interface PendingRequest {
  readonly kind: "pending";
  resume(allowance: number): RequestOutcome | PendingRequest;
}

export interface RequestHandlerOptions extends ProduceValidationOptions {
  readonly now: () => number;
  readonly random: () => number;
}

const NONE: RequestOutcome = { kind: "none" };

/**
 * Applies decoded requests to the logs, as the 0.7.2 broker's request handlers do. No sockets (the
 * connection hands it requests and writes what it returns), but not free of I/O: the logs are
 * written synchronously, so with a data directory a produce ends in the segment file's `writeSync`
 * (and `fsyncSync` when due). A fetch reads nothing here: it returns file ranges the connection reads.
 */
export class RequestHandler {
  /** Set by `close`: pending produces append nothing more. */
  private closed = false;

  constructor(
    /** @internal */ readonly logs: LogManager,
    /** @internal */ readonly options: RequestHandlerOptions,
  ) {}

  /** Handles one request frame (after its size prefix), all of it at once. */
  handle(frame: Uint8Array): RequestOutcome {
    let outcome = this.start(frame, Number.POSITIVE_INFINITY);
    while (outcome.kind === "pending") outcome = outcome.resume(Number.POSITIVE_INFINITY);
    return outcome;
  }

  /**
   * Starts handling one request frame with a work allowance: its outcome, or (for a produce that
   * needs more than `allowance` bytes of validation) a PendingRequest to resume.
   */
  start(frame: Uint8Array, allowance: number): RequestOutcome | PendingRequest {
    let request;
    try {
      request = decodeRequest(frame);
    } catch (error) {
      if (error instanceof K07Error) return close(error.message);
      throw error;
    }
    switch (request.type) {
      case RequestType.Produce:
        return new ProduceInProgress(this, [request]).resume(allowance);
      case RequestType.MultiProduce:
        return new ProduceInProgress(this, request.produces).resume(allowance);
      case RequestType.Fetch: {
        if (request.maxSize < 0) return close(`negative fetch size ${request.maxSize}`);
        return refuseOversized(() => ({ kind: "respond", chunks: this.fetch(request) }));
      }
      case RequestType.MultiFetch:
        return this.multiFetch(request.fetches);
      case RequestType.Offsets:
        return this.offsets(request);
    }
  }

  /** Stops pending produces: whatever they have not appended yet is not appended (the broker is closing). */
  close(): void {
    this.closed = true;
  }

  /** @internal */
  get isClosed(): boolean {
    return this.closed;
  }

  /** One fetch response: its 6-byte header, then the raw log pieces (protocol §7.2, §7.5). RangeError if its size does not fit int32. */
  private fetch(request: FetchRequestData): LogPiece[] {
    const read = this.readLog(request);
    return [encodeFetchResponseHeader(read.errorCode, read.length), ...read.pieces];
  }

  private readLog(request: FetchRequestData): LogRead {
    if (!isLegalTopicName(request.topic)) return errorRead(ErrorCode.Unknown);
    if (request.partition < 0 || request.partition >= this.logs.partitionCount(request.topic)) return errorRead(ErrorCode.WrongPartition);
    const log = this.logs.get(request.topic, request.partition);
    if (log === undefined) return errorRead(ErrorCode.NoError);
    return log.read(request.offset, request.maxSize);
  }

  /**
   * One outer header (size, error 0), then per fetch its own size, error and bytes (protocol §3.3). The
   * parts are views of the logs or file ranges (nothing is read here); an answer whose size would pass int32 (many parts over the same
   * bytes) is refused by closing the connection as soon as the running size does, before any byte.
   */
  private multiFetch(fetches: readonly FetchRequestData[]): RequestOutcome {
    for (const fetch of fetches) if (fetch.maxSize < 0) return close(`negative fetch size ${fetch.maxSize}`);
    return refuseOversized(() => {
      const chunks: LogPiece[] = [new Uint8Array(0)];
      let bodySize = 0;
      for (let i = 0; i < fetches.length; i++) {
        for (const piece of this.fetch(fetches[i]!)) {
          chunks.push(piece);
          bodySize += piece.length;
        }
        checkWireSize(`a MultiFetch response (${i + 1} of ${fetches.length} parts so far)`, 2 + bodySize);
      }
      chunks[0] = encodeFetchResponseHeader(0, bodySize, "a MultiFetch response");
      return { kind: "respond", chunks };
    });
  }

  /** Offsets (protocol §6.4); a bad topic or partition closes the connection (protocol §3.4). */
  private offsets(request: OffsetRequestData): RequestOutcome {
    const problem = this.checkTopicPartition(request.topic, request.partition, false);
    if (problem !== undefined) return close(problem);
    if (request.maxNumOffsets < 0) return close(`negative maxNumOffsets ${request.maxNumOffsets}`);
    const log = this.logs.get(request.topic, request.partition);
    let offsets: number[];
    if (log === undefined) offsets = request.time === -1 || request.time === -2 ? [0].slice(0, request.maxNumOffsets) : [];
    else offsets = log.offsetsBefore(request.time, request.maxNumOffsets, this.options.now());
    return { kind: "respond", chunks: [encodeOffsetsResponse(offsets)] };
  }

  /** @internal */
  checkTopicPartition(topic: string, partition: number, allowRandom: boolean): string | undefined {
    if (!isLegalTopicName(topic)) return `illegal topic name ${JSON.stringify(topic)}`;
    const count = this.logs.partitionCount(topic);
    if ((partition < 0 && !(allowRandom && partition === -1)) || partition >= count) {
      return `partition ${partition} of ${JSON.stringify(topic)} is not in [0, ${count})`;
    }
    return undefined;
  }
}

/**
 * A produce being applied: parts in order; a bad part closes the connection, the parts before it
 * stay appended. A part is validated in steps (a compressed one may need many); after each part
 * the caller gets control back, so a MultiProduce of many parts is paced too.
 */
class ProduceInProgress implements PendingRequest {
  readonly kind = "pending";
  private nextPart = 0;
  private current: { readonly validation: ProducedSetValidation; readonly log: PartitionLog; readonly name: string } | undefined;
  private dropped: string | undefined;

  constructor(
    private readonly handler: RequestHandler,
    private readonly parts: readonly DecodedProduce[],
  ) {}

  resume(allowance: number): RequestOutcome | PendingRequest {
    const handler = this.handler;
    if (handler.isClosed) return close("the broker is closing");
    for (;;) {
      let current = this.current;
      if (current === undefined) {
        if (this.nextPart === this.parts.length) return this.dropped === undefined ? NONE : { kind: "none", dropped: this.dropped };
        const part = this.parts[this.nextPart++]!;
        const problem = handler.checkTopicPartition(part.topic, part.partition, true);
        if (problem !== undefined) return close(problem);
        const partition = part.partition === -1 ? Math.floor(handler.options.random() * handler.logs.partitionCount(part.topic)) : part.partition;
        const log = handler.logs.getOrCreate(part.topic, partition);
        current = this.current = { validation: new ProducedSetValidation(part.messageSet, handler.options), log, name: `${part.topic}-${partition}` };
      }
      const verdict = current.validation.step(allowance);
      if (verdict === undefined) return this;
      this.current = undefined;
      if (verdict.kind === "reject") return close(`produce to ${current.name}: ${verdict.reason}`);
      if (verdict.kind === "drop") {
        this.dropped = `produce to ${current.name} dropped: ${verdict.reason}`;
      } else {
        // Views into the request frame are copied by the append; nothing keeps the frame alive.
        current.log.append(verdict.bytes, verdict.messageCount, handler.options.now());
      }
      // Control goes back to the caller between parts, unless the request is done.
      if (this.nextPart < this.parts.length) return this;
    }
  }
}

function errorRead(errorCode: number): LogRead {
  return { errorCode, pieces: [], length: 0 };
}

/** A response whose size cannot be declared (a RangeError from the codec's size check) closes the connection, as any request the broker cannot answer. */
function refuseOversized(respond: () => RequestOutcome): RequestOutcome {
  try {
    return respond();
  } catch (error) {
    if (error instanceof RangeError) return close(`cannot answer: ${error.message}`);
    throw error;
  }
}

function close(reason: string): RequestOutcome {
  return { kind: "close", reason };
}
