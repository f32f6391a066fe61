import type { FetchRequest, FetchedMessage, MessageSetIterator, MessageSetView } from "@k07/codec";

export interface MessageStreamOptions {
  /** Page through the log (true), or yield only what one fetch of the requested range returns (false). */
  readonly paging: boolean;
  readonly follow: boolean;
  readonly pollMs: number;
  readonly pollMaxMs: number;
  readonly signal: AbortSignal | undefined;
}

const DONE: IteratorResult<FetchedMessage, undefined> = Object.freeze({ done: true, value: undefined });

/** Longest stretch of decoding (and decompressing) before the stream lets timers and I/O run. */
const YIELD_AFTER_MS = 10;
/** Messages between clock reads. */
const CLOCK_EVERY = 256;
/** Work between clock reads while decompressing: bytes inflated (or message bytes plus 64 B each). */
const WORK_SLICE_BYTES = 256 * 1024;

/**
 * The iterator behind `iterMessages`: pages through a partition with one fetch running ahead of
 * the consumer. Hand-written rather than an async generator, because a generator costs several
 * promise turns per message; here a message from the current set is one resolved promise.
 */
export class MessageStream implements AsyncIterableIterator<FetchedMessage, undefined> {
  private current: MessageSetIterator | undefined;
  private ahead: Promise<MessageSetView> | undefined;
  private request: FetchRequest;
  private wait: number;
  private finished = false;
  private fetchedOnce = false;
  private sinceClock = 0;
  private lastYield = performance.now();

  constructor(
    request: FetchRequest,
    private readonly fetch: (request: FetchRequest) => Promise<MessageSetView>,
    private readonly options: MessageStreamOptions,
  ) {
    this.request = request;
    this.wait = options.pollMs;
    this.ahead = this.prefetch(request);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<FetchedMessage, undefined>> {
    if (this.finished || this.options.signal?.aborted) return this.finish();
    const current = this.current;
    if (current !== undefined) {
      let result: IteratorResult<FetchedMessage> | undefined;
      try {
        result = current.nextWithin(WORK_SLICE_BYTES);
        if (result === undefined) return this.decompressThenNext(current);
      } catch (error) {
        this.finished = true;
        return Promise.reject(error);
      }
      if (!result.done) {
        // Consuming a batch is all microtasks: without a macrotask now and then, a consumer of big
        // (compressed) batches would starve the event loop.
        if (++this.sinceClock >= CLOCK_EVERY) {
          this.sinceClock = 0;
          const now = performance.now();
          if (now - this.lastYield > YIELD_AFTER_MS) {
            this.lastYield = now;
            return new Promise((resolve) => setTimeout(() => resolve(result), 0));
          }
        }
        return Promise.resolve(result);
      }
      this.current = undefined;
    }
    return this.nextSet();
  }

  /** Finishes the decompression the next message needs, in slices, letting timers and I/O run between them. */
  private async decompressThenNext(current: MessageSetIterator): Promise<IteratorResult<FetchedMessage, undefined>> {
    try {
      while (!current.advance(WORK_SLICE_BYTES)) {
        if (performance.now() - this.lastYield > YIELD_AFTER_MS) {
          await yieldToEventLoop();
          this.lastYield = performance.now();
        }
      }
    } catch (error) {
      this.finished = true;
      throw error;
    }
    // The next message is ready now: next() hands it out without further work.
    return this.next();
  }

  /** Stops the stream (a `break` in `for await` calls this). */
  return(): Promise<IteratorResult<FetchedMessage, undefined>> {
    return this.finish();
  }

  private finish(): Promise<IteratorResult<FetchedMessage, undefined>> {
    this.finished = true;
    this.current = undefined;
    this.ahead = undefined;
    return Promise.resolve(DONE);
  }

  private async nextSet(): Promise<IteratorResult<FetchedMessage, undefined>> {
    const signal = this.options.signal;
    for (;;) {
      if (this.finished || signal?.aborted || (this.fetchedOnce && !this.options.paging)) return this.finish();
      let set: MessageSetView;
      try {
        set = await this.ahead!;
      } catch (error) {
        this.finished = true;
        throw error;
      }
      this.fetchedOnce = true;
      this.lastYield = performance.now();
      this.request = this.request.withOffset(set.nextOffset);
      if (set.entryCount > 0) {
        this.wait = this.options.pollMs;
        this.ahead = this.options.paging ? this.prefetch(this.request) : undefined;
        this.current = set[Symbol.iterator]();
        return this.next();
      }
      if (!this.options.follow || !this.options.paging) return this.finish();
      await sleep(this.wait, signal);
      // The consumer may have stopped (return() or an abort, which cuts the wait short): fetch nothing more.
      if (this.finished || signal?.aborted) return this.finish();
      this.wait = Math.min(this.wait * 2, this.options.pollMaxMs);
      this.ahead = this.prefetch(this.request);
    }
  }

  private prefetch(request: FetchRequest): Promise<MessageSetView> {
    const promise = this.fetch(request);
    // Unobserved until the consumer gets there; a failure surfaces then, not as an unhandled rejection.
    promise.catch(() => {});
    return promise;
  }
}

/**
 * Every message of a set (what `getMessageSet` returns), decoded and decompressed in slices: the
 * event loop runs timers and I/O at least every ~10 ms, however big the set or its wrappers.
 */
export async function collectMessages(set: MessageSetView): Promise<FetchedMessage[]> {
  const messages: FetchedMessage[] = [];
  const iterator = set[Symbol.iterator]();
  const keep = (message: FetchedMessage): void => {
    messages.push(message);
  };
  let sliceStart = performance.now();
  while (!iterator.step(WORK_SLICE_BYTES, keep)) {
    if (performance.now() - sliceStart > YIELD_AFTER_MS) {
      await yieldToEventLoop();
      sliceStart = performance.now();
    }
  }
  return messages;
}

/** Lets timers and I/O callbacks run (a macrotask turn), then resolves. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects): waits that a shutdown cuts short. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
