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
import type { LogRead } from "./log/partition-log.ts";
import { validateProducedSet, type ProduceValidationOptions } from "./produce-validation.ts";

/**
 * What handling one request frame gives: byte chunks to write (a response, possibly in several
 * views so log bytes are not copied), nothing (produce), or a reason to close the connection —
 * the only way a 0.7 broker reports a bad produce, offsets or frame (protocol §3.5, §8.3).
 */
export type RequestOutcome =
  | { readonly kind: "respond"; readonly chunks: Uint8Array[] }
  | { readonly kind: "none"; readonly dropped?: string }
  | { readonly kind: "close"; readonly reason: string };

export interface RequestHandlerOptions extends ProduceValidationOptions {
  readonly now: () => number;
  readonly random: () => number;
}

const NONE: RequestOutcome = { kind: "none" };

/** Applies decoded requests to the logs, as the 0.7.2 broker's request handlers do. No I/O. */
export class RequestHandler {
  constructor(
    private readonly logs: LogManager,
    private readonly options: RequestHandlerOptions,
  ) {}

  /** Handles one request frame (after its size prefix). */
  handle(frame: Uint8Array): RequestOutcome {
    let request;
    try {
      request = decodeRequest(frame);
    } catch (error) {
      if (error instanceof K07Error) return close(error.message);
      throw error;
    }
    switch (request.type) {
      case RequestType.Produce:
        return this.produce([request]);
      case RequestType.MultiProduce:
        return this.produce(request.produces);
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

  /** Parts are applied in order; a bad part closes the connection, the parts before it stay appended. */
  private produce(parts: readonly DecodedProduce[]): RequestOutcome {
    let dropped: string | undefined;
    for (const part of parts) {
      const problem = this.checkTopicPartition(part.topic, part.partition, true);
      if (problem !== undefined) return close(problem);
      const partition = part.partition === -1 ? Math.floor(this.options.random() * this.logs.partitionCount(part.topic)) : part.partition;
      const log = this.logs.getOrCreate(part.topic, partition);
      const verdict = validateProducedSet(part.messageSet, this.options);
      if (verdict.kind === "reject") return close(`produce to ${part.topic}-${partition}: ${verdict.reason}`);
      if (verdict.kind === "drop") {
        dropped = `produce to ${part.topic}-${partition} dropped: ${verdict.reason}`;
        continue;
      }
      // Views into the request frame are copied by the append; nothing keeps the frame alive.
      log.append(verdict.bytes, verdict.messageCount, this.options.now());
    }
    return dropped === undefined ? NONE : { kind: "none", dropped };
  }

  /** One fetch response: its 6-byte header, then the raw log pieces (protocol §7.2, §7.5). RangeError if its size does not fit int32. */
  private fetch(request: FetchRequestData): Uint8Array[] {
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
   * parts are views of the logs; an answer whose size would pass int32 (many parts over the same
   * bytes) is refused by closing the connection as soon as the running size does, before any byte.
   */
  private multiFetch(fetches: readonly FetchRequestData[]): RequestOutcome {
    for (const fetch of fetches) if (fetch.maxSize < 0) return close(`negative fetch size ${fetch.maxSize}`);
    return refuseOversized(() => {
      const chunks: Uint8Array[] = [new Uint8Array(0)];
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

  private checkTopicPartition(topic: string, partition: number, allowRandom: boolean): string | undefined {
    if (!isLegalTopicName(topic)) return `illegal topic name ${JSON.stringify(topic)}`;
    const count = this.logs.partitionCount(topic);
    if ((partition < 0 && !(allowRandom && partition === -1)) || partition >= count) {
      return `partition ${partition} of ${JSON.stringify(topic)} is not in [0, ${count})`;
    }
    return undefined;
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
