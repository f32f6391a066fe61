import { hashesWithHook, pureCrc32, type Crc32Function } from "../crc32.ts";
import { hookOption } from "../hooks.ts";
import { Compression, compressionCodec, decompressInSteps, type IncrementalDecompression } from "../compression.ts";
import {
  CompressionError,
  CrcError,
  DecompressionLimitError,
  K07Error,
  MalformedError,
  NestedCompressionError,
  type ErrorContext,
} from "../errors.ts";
import { FetchedMessage } from "./fetched-message.ts";
import { Reader } from "../primitives/reader.ts";
import { entryCrcChecker } from "./entry-crcs.ts";
import { sliceBy16 } from "../crc/slicing.ts";
import type { EntryCrcChecker } from "../crc/wasm.ts";

/**
 * Default decompression budget of one decode (one fetch response, one MultiFetch part, one
 * produced set): bytes inflated plus DECOMPRESSED_MESSAGE_COST per decompressed message.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/**
 * What each message found inside a compressed wrapper costs of the decompression budget, on top
 * of its bytes: about what a decoded message costs in memory, so that a small payload of millions
 * of empty messages is refused like one that inflates to many bytes.
 */
export const DECOMPRESSED_MESSAGE_COST = 64;

/** Default nesting allowed: wrappers of plain messages, which is all a 0.7 producer writes (protocol §5.5). */
export const DEFAULT_MAX_COMPRESSION_DEPTH = 1;

export interface DecodeMessageSetOptions {
  /** Log offset of the first byte (the fetch offset). Default 0. */
  readonly baseOffset?: number;
  /** Check every message's CRC32 while iterating. Default true. */
  readonly verifyCrc?: boolean;
  /**
   * The CRC-32 that checks them, one payload view at a time. Default `pureCrc32`, with which the
   * decoder checks the CRCs of many entries per call instead (in WebAssembly where the runtime has
   * it, else the codec's own JavaScript loop; the same answers as `pureCrc32`, without a view per
   * message). The same batches serve a function with `minBytes` set, which checks the entries a
   * batch leaves out (those over 48 KiB) from that size up.
   */
  readonly crc32?: Crc32Function;
  /** What a CRC mismatch does: throw a CrcError (default) or skip the message and count it in `corruptSkipped`. */
  readonly onCorrupt?: "throw" | "skip";
  /** Iterate into compressed wrappers (default true); false yields the wrappers themselves. */
  readonly decompress?: boolean;
  /**
   * Decompression budget of one iteration of the set, shared by every wrapper in it: the bytes
   * inflated plus DECOMPRESSED_MESSAGE_COST (64) per message found inside a wrapper. Past it,
   * a DecompressionLimitError naming the wrapper. Default 64 MiB.
   */
  readonly maxDecompressedBytes?: number;
  /**
   * How many compressed wrappers deep iteration may go. Default 1: a wrapper of plain messages;
   * a compressed message inside one is refused with NestedCompressionError before it is inflated.
   */
  readonly maxCompressionDepth?: number;
  /** Topic and partition, named in errors. */
  readonly context?: ErrorContext;
}

/**
 * A received message set, decoded lazily. Construction scans only the entry lengths (to learn
 * `validBytes` and how the set ends); iterating decodes each message as a view, checks its CRC and
 * expands compressed wrappers (protocol §5, §6.2, §7.1).
 */
export class MessageSetView implements Iterable<FetchedMessage> {
  readonly bytes: Uint8Array;
  readonly baseOffset: number;
  /** Size of the complete top-level entries at the start: how far a consumer advances (protocol §6.2). */
  readonly validBytes: number;
  /** Number of complete top-level entries (a compressed wrapper counts once). */
  readonly entryCount: number;
  /**
   * When the bytes hold no complete entry but are not empty: the fetch size the first entry needs
   * (its length + 4), or 4 when not even its length arrived. The client grows its fetch size to this.
   * 0 otherwise.
   */
  readonly requiredBytes: number;
  /** Set when the entry at `validBytes` has an impossible length; iteration throws it after the entries before it. */
  readonly malformed: MalformedError | undefined;
  /** Messages skipped for a bad CRC so far (only with `onCorrupt: "skip"`). */
  corruptSkipped = 0;
  /** @internal */ readonly options: Required<Omit<DecodeMessageSetOptions, "context">> & { context: ErrorContext | undefined };
  /** @internal */ readonly lastEntryStart: number;
  /** @internal Checks the CRCs of many entries per call; undefined when a caller's `crc32` checks them one by one, or none are checked. */
  readonly crcChecker: EntryCrcChecker | undefined;

  /** @internal Set when the scan stopped at `maxEntries` (the decompression budget ran out). */
  readonly overBudget: boolean = false;

  /** `maxEntries` (internal): stop scanning after that many entries and set `overBudget`. */
  constructor(bytes: Uint8Array, options: DecodeMessageSetOptions = {}, maxEntries = Number.POSITIVE_INFINITY) {
    // A Node Buffer's subarray goes through its species constructor (about a third slower per view):
    // view the same memory as a plain Uint8Array instead. No bytes are copied.
    if (bytes.constructor !== Uint8Array && bytes instanceof Uint8Array) {
      bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    this.bytes = bytes;
    this.baseOffset = options.baseOffset ?? 0;
    this.options = {
      baseOffset: this.baseOffset,
      verifyCrc: options.verifyCrc ?? true,
      crc32: hookOption("crc32", options.crc32, pureCrc32),
      onCorrupt: options.onCorrupt ?? "throw",
      decompress: options.decompress ?? true,
      maxDecompressedBytes: options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
      maxCompressionDepth: options.maxCompressionDepth ?? DEFAULT_MAX_COMPRESSION_DEPTH,
      context: options.context,
    };
    const crc32 = this.options.crc32;
    // A hook that is only worth calling from some size on leaves runs of entries to the batch checker.
    this.crcChecker = this.options.verifyCrc && (crc32 === pureCrc32 || (crc32.minBytes ?? 0) > 0) ? entryCrcChecker() : undefined;
    const depth = this.options.maxCompressionDepth;
    if (!Number.isInteger(depth) || depth < 0) throw new RangeError(`maxCompressionDepth must be an integer >= 0, got ${String(depth)}`);
    const length = bytes.length;
    const view = new DataView(bytes.buffer, bytes.byteOffset, length);
    let position = 0;
    let count = 0;
    let lastStart = -1;
    let malformed: MalformedError | undefined;
    while (length - position >= 4) {
      const size = view.getInt32(position);
      if (size < 5) {
        malformed = new MalformedError(`Impossible message length ${size}`, position, {
          ...options.context,
          offset: this.baseOffset + position,
        });
        break;
      }
      if (size > length - position - 4) break;
      if (count >= maxEntries) {
        this.overBudget = true;
        break;
      }
      lastStart = position;
      position += 4 + size;
      count++;
    }
    this.validBytes = position;
    this.entryCount = count;
    this.lastEntryStart = lastStart;
    this.malformed = malformed;
    this.requiredBytes = count === 0 && malformed === undefined && length > 0 ? (length >= 4 ? 4 + view.getInt32(0) : 4) : 0;
  }

  /** Offset to fetch next: `baseOffset + validBytes`. */
  get nextOffset(): number {
    return this.baseOffset + this.validBytes;
  }

  /** Bytes after the complete entries (a truncated tail), ignored. */
  get truncatedBytes(): number {
    return this.bytes.length - this.validBytes;
  }

  /** A fresh iteration, with its own decompression budget. */
  [Symbol.iterator](): MessageSetIterator {
    return new MessageSetIterator(this, this.baseOffset, -1, -1);
  }

  /** Every message as an array (deep iteration). */
  toArray(): FetchedMessage[] {
    return Array.from(this);
  }
}

/** Decodes a message set lazily (see MessageSetView). */
export function decodeMessageSet(bytes: Uint8Array, options?: DecodeMessageSetOptions): MessageSetView {
  return new MessageSetView(bytes, options);
}

/** What one iteration has used of its decompression budget; shared by the iterators of its inner sets. */
class DecompressionBudget {
  used = 0;
  constructor(readonly limit: number) {}
}

/** A wrapper being inflated, step by step. */
interface Expansion {
  readonly decompression: IncrementalDecompression;
  readonly codec: number;
  readonly start: number;
  readonly end: number;
  readonly isLast: boolean;
  /** The outermost wrapper's offset, named in errors. */
  readonly context: ErrorContext;
}

const DONE: IteratorResult<FetchedMessage> = Object.freeze({ done: true, value: undefined });

/**
 * Walks the entries of a MessageSetView. For the inner set of a wrapper, `wrapperStart`/`wrapperEnd`
 * are the wrapper's log offsets, which inner messages report instead of their own (protocol §6.2).
 *
 * `next()` does whatever decompression the next message needs at once. To keep each piece of work
 * short, use `nextWithin(allowance)`, `advance(allowance)` (then `next()`) or `step`: each inflates
 * at most about `allowance` bytes per call (the caller decides when to pause in between).
 */
export class MessageSetIterator implements Iterator<FetchedMessage> {
  private position = 0;
  /** The entries before this position have had their CRCs checked by the set's `crcChecker`. */
  private checkedEnd = 0;
  private inner: MessageSetIterator | undefined;
  /** The wrapper being inflated, before its messages become `inner`. */
  private expansion: Expansion | undefined;
  /** Set by `advance`: the next message is in `ready` (undefined at the end). */
  private advanced = false;
  private ready: FetchedMessage | undefined;
  private readonly view: DataView;
  private readonly set: MessageSetView;
  private readonly logBase: number;
  private readonly wrapperStart: number;
  private readonly wrapperEnd: number;

  /** Where messages skipped for a bad CRC are counted: the top-level set. */
  private readonly counter: MessageSetView;
  private readonly budget: DecompressionBudget;
  /** Wrappers around this set (0 for a top-level set). */
  private readonly depth: number;

  constructor(
    set: MessageSetView,
    logBase: number,
    wrapperStart: number,
    wrapperEnd: number,
    counter = set,
    budget = new DecompressionBudget(set.options.maxDecompressedBytes),
    depth = 0,
  ) {
    this.set = set;
    this.counter = counter;
    this.logBase = logBase;
    this.wrapperStart = wrapperStart;
    this.wrapperEnd = wrapperEnd;
    this.budget = budget;
    this.depth = depth;
    const bytes = set.bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<FetchedMessage> {
    // Small, with one result object made in one place: V8 inlines it into a for-of loop and then
    // need not allocate the result at all.
    let message: FetchedMessage | null | undefined = null;
    if (!this.advanced && this.inner === undefined && this.expansion === undefined) message = this.readEntry();
    if (message === null) {
      this.advance(Number.POSITIVE_INFINITY); // with no limit on the work, it always prepares the next message
      message = this.takeAdvanced();
    }
    return { done: message === undefined, value: message } as IteratorResult<FetchedMessage>;
  }

  /**
   * `next()`, inflating at most about `allowance` bytes on the way: undefined when that was not
   * enough (call again; the work done is kept).
   */
  nextWithin(allowance: number): IteratorResult<FetchedMessage> | undefined {
    // Fast path: a plain entry of this set, with nothing inflating or advanced.
    if (!this.advanced && this.inner === undefined && this.expansion === undefined) {
      const message = this.readEntry();
      if (message === undefined) return DONE;
      if (message !== null) return { done: false, value: message };
    }
    if (!this.advance(allowance)) return undefined;
    const message = this.takeAdvanced();
    return message === undefined ? DONE : { done: false, value: message };
  }

  /**
   * Prepares the next message, inflating at most about `allowance` bytes on the way. True when
   * `next()` will answer without decompressing; false when more calls are needed. Throws what
   * `next()` would throw.
   */
  advance(allowance: number): boolean {
    if (this.advanced) return true;
    for (;;) {
      const inner = this.inner;
      if (inner !== undefined) {
        if (!inner.advance(allowance)) return false;
        const message = inner.takeAdvanced();
        if (message !== undefined) return this.hold(message);
        this.inner = undefined;
      }
      const expansion = this.expansion;
      if (expansion !== undefined) {
        const inflated = this.inflate(expansion, allowance);
        if (inflated === undefined) return false;
        this.expansion = undefined;
        this.inner = this.innerIterator(expansion, inflated);
        continue;
      }
      const message = this.readEntry();
      if (message !== null) return this.hold(message);
    }
  }

  /**
   * Hands messages to `onMessage` until about `allowance` bytes of work are done (bytes inflated,
   * plus each message's payload and DECOMPRESSED_MESSAGE_COST): true once the set is finished,
   * false when more calls are needed. A caller that must not block for long calls it in a loop
   * and lets other work run between calls.
   */
  step(allowance: number, onMessage: (message: FetchedMessage) => void): boolean {
    let spent = 0;
    while (spent < allowance) {
      if (!this.advance(allowance - spent)) return false;
      const message = this.takeAdvanced();
      if (message === undefined) return true;
      onMessage(message);
      spent += DECOMPRESSED_MESSAGE_COST + message.payloadLength;
    }
    return false;
  }

  private hold(message: FetchedMessage | undefined): true {
    this.ready = message;
    this.advanced = true;
    return true;
  }

  /** @internal The message `advance` prepared (undefined at the end). */
  takeAdvanced(): FetchedMessage | undefined {
    const message = this.ready;
    this.ready = undefined;
    this.advanced = false;
    return message;
  }

  /** The next top-level message, null when it was skipped or became `expansion`, undefined at the end. */
  private readEntry(): FetchedMessage | null | undefined {
    const set = this.set;
    const start = this.position;
    if (start >= set.validBytes) {
      if (set.malformed !== undefined) {
        this.position = Number.POSITIVE_INFINITY;
        throw set.malformed;
      }
      return undefined;
    }
    const view = this.view;
    const size = view.getInt32(start);
    const end = start + 4 + size;
    this.position = end;
    const magic = view.getInt8(start + 4);
    let attributes = 0;
    let payloadStart: number;
    if (magic === 1) {
      if (size < 6) throw this.malformed(`Magic-1 message too short (${size} bytes)`, start);
      attributes = view.getInt8(start + 5) & 0xff;
      payloadStart = start + 10;
    } else if (magic === 0) {
      payloadStart = start + 9;
    } else {
      throw this.malformed(`Unknown magic byte ${magic}`, start + 4);
    }
    const options = set.options;
    const bytes = set.bytes;
    let payload: Uint8Array | undefined;
    if (options.verifyCrc && start >= this.checkedEnd) {
      const checker = set.crcChecker;
      // Many entries' CRCs in one call; this one alone when that call could not vouch for it.
      if (checker !== undefined) this.checkedEnd = checker(bytes, start, set.validBytes);
      if (start >= this.checkedEnd) {
        let actual: number;
        if (checker !== undefined && !hashesWithHook(options.crc32, end - payloadStart)) {
          actual = sliceBy16(bytes, payloadStart, end, 0);
        } else {
          // A caller's CRC takes a view; it becomes the message's payload.
          payload = bytes.subarray(payloadStart, end);
          actual = options.crc32(payload);
        }
        const storedCrc = view.getUint32(payloadStart - 4);
        if (actual !== storedCrc) {
          if (options.onCorrupt === "skip") {
            this.counter.corruptSkipped++;
            return null;
          }
          throw new CrcError(storedCrc, actual, { ...options.context, offset: this.offsetOf(start) });
        }
      }
    }
    const isLast = start === set.lastEntryStart;
    const codec = attributes & 3;
    if (codec !== Compression.None && options.decompress) {
      this.expansion = this.startExpansion(bytes.subarray(payloadStart, end), codec, start, end, isLast);
      return null;
    }
    const offset = this.offsetOf(start);
    const nextOffset = this.wrapperStart < 0 ? this.logBase + end : isLast ? this.wrapperEnd : this.wrapperStart;
    return new FetchedMessage(bytes, offset, nextOffset, magic, attributes, payloadStart, end, payload);
  }

  private offsetOf(position: number): number {
    return this.wrapperStart < 0 ? this.logBase + position : this.wrapperStart;
  }

  private startExpansion(payload: Uint8Array, codec: number, start: number, end: number, isLast: boolean): Expansion {
    const options = this.set.options;
    const context = { ...options.context, offset: this.offsetOf(start) };
    if (this.depth >= options.maxCompressionDepth) throw new NestedCompressionError(options.maxCompressionDepth, context);
    const budget = this.budget;
    let decompression: IncrementalDecompression;
    try {
      decompression = decompressInSteps(compressionCodec(codec), payload, Math.max(0, budget.limit - budget.used));
    } catch (error) {
      throw this.expansionError(error, codec, context);
    }
    return { decompression, codec, start, end, isLast, context };
  }

  /** One step of inflating a wrapper: its bytes once done, undefined while more steps are needed. */
  private inflate(expansion: Expansion, allowance: number): Uint8Array | undefined {
    let inflated: Uint8Array | undefined;
    try {
      inflated = expansion.decompression.step(allowance);
    } catch (error) {
      // Iteration goes on after the wrapper, as for any entry that failed.
      this.expansion = undefined;
      throw this.expansionError(error, expansion.codec, expansion.context);
    }
    if (inflated !== undefined) this.budget.used += inflated.length;
    return inflated;
  }

  /** The iterator over a wrapper's inflated set, after charging its messages to the budget. */
  private innerIterator(expansion: Expansion, inflated: Uint8Array): MessageSetIterator {
    const options = this.set.options;
    const budget = this.budget;
    const context = expansion.context;
    // Scanning stops as soon as the messages cost more than is left: millions of them are never walked.
    const affordable = Math.max(0, Math.floor((budget.limit - budget.used) / DECOMPRESSED_MESSAGE_COST));
    const innerSet = new MessageSetView(inflated, { ...options, baseOffset: 0, context: options.context }, affordable);
    if (innerSet.overBudget) throw this.overBudget(context);
    budget.used += innerSet.entryCount * DECOMPRESSED_MESSAGE_COST;
    if (innerSet.malformed !== undefined || innerSet.validBytes !== inflated.length) {
      throw new MalformedError("Compressed message holds an incomplete message set", innerSet.validBytes, context);
    }
    // Inner messages report the outermost wrapper's start; the very last reports its end.
    const { start, end, isLast } = expansion;
    const wrapperStart = this.wrapperStart < 0 ? this.logBase + start : this.wrapperStart;
    const wrapperEnd = this.wrapperStart < 0 ? this.logBase + end : isLast ? this.wrapperEnd : this.wrapperStart;
    return new MessageSetIterator(innerSet, 0, wrapperStart, wrapperEnd, this.counter, budget, this.depth + 1);
  }

  /** A codec's error, named with where the wrapper is: the codecs know nothing of topics and offsets. */
  private expansionError(error: unknown, codec: number, context: ErrorContext): unknown {
    if (error instanceof DecompressionLimitError) return this.overBudget(context);
    if (error instanceof K07Error && !(error instanceof CompressionError)) return error;
    return new CompressionError(
      `Cannot decompress ${codec === Compression.Gzip ? "gzip" : codec === Compression.Snappy ? "snappy" : `codec ${codec}`} message: ${(error as Error).message}`,
      context,
      { cause: error },
    );
  }

  private overBudget(context: ErrorContext): DecompressionLimitError {
    const limit = this.budget.limit;
    return new DecompressionLimitError(
      limit,
      context,
      `Decompressing this message set needs more than maxDecompressedBytes (${limit}), counting every byte inflated and ${DECOMPRESSED_MESSAGE_COST} bytes per decompressed message; raise maxDecompressedBytes if this is legitimate`,
    );
  }

  private malformed(reason: string, position: number): MalformedError {
    this.position = Number.POSITIVE_INFINITY;
    return new MalformedError(reason, position, { ...this.set.options.context, offset: this.offsetOf(position) });
  }
}

/**
 * One of each object a fetch decode makes (a Reader, as `decodeFetchResponse` uses, a set, its
 * iterator and a message) kept for the life of the module, so that V8 keeps their hidden classes.
 * V8 keeps the hidden class an object reaches by adding its fields only while some object has it; a
 * full garbage collection at a moment when no such object is alive (an idle consumer between
 * fetches, or a benchmark's `gc()` between samples) drops them, and all the optimized code built on
 * them is thrown away, the consumer's loop with the decode inlined in it included, and runs slow
 * until V8 optimizes it again (seen with --trace-deopt: "reason: weak objects" after each forced
 * GC, gone with these kept).
 *
 * @internal
 */
export const RESIDENT_DECODE_OBJECTS: readonly unknown[] = (() => {
  // One magic-1 message with an empty payload (whose CRC-32 is 0), iterated without checking.
  const entry = Uint8Array.of(0, 0, 0, 6, 1, 0, 0, 0, 0, 0);
  const reader = new Reader(entry);
  reader.rest();
  const set = new MessageSetView(entry, { verifyCrc: false });
  const iterator = set[Symbol.iterator]();
  return [reader, set, iterator, iterator.next().value as FetchedMessage];
})();
