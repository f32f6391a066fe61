import { FetchRequest, OffsetOutOfRangeError } from "@k07/codec";
import { sleep, type KafkaClient } from "@k07/transport-node";
import type { ChunkQueue } from "./chunk-queue.ts";
import type { OwnedPartition } from "./owned-partition.ts";

export interface BrokerFetcherOptions {
  readonly fetchSize: number;
  readonly fetchBackoffMs: number;
  readonly fetchBackoffMaxMs: number;
  /** Resets a partition after OffsetOutOfRange (autoOffsetReset) and records it. */
  readonly resetOffset: (owner: OwnedPartition, error: OffsetOutOfRangeError) => Promise<void>;
  readonly onError: (error: Error) => void;
}

/**
 * Fetches every owned partition of one broker with one MultiFetch at a time, while the queue has
 * room, and backs off when nothing new arrived or the broker cannot be reached. Stopping drops
 * whatever is in flight: offsets only advance when messages are handed out.
 */
export class BrokerFetcher {
  private readonly stopping = new AbortController();
  readonly done: Promise<void>;

  constructor(
    readonly brokerId: number,
    private readonly client: KafkaClient,
    private readonly partitions: readonly OwnedPartition[],
    private readonly queue: ChunkQueue,
    private readonly options: BrokerFetcherOptions,
  ) {
    this.done = this.run();
  }

  stop(): void {
    this.stopping.abort();
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async run(): Promise<void> {
    const { fetchSize, fetchBackoffMs, fetchBackoffMaxMs } = this.options;
    let idleWait = fetchBackoffMs;
    let errorWait = fetchBackoffMs;
    while (!this.stopped) {
      if (!this.queue.hasRoom()) {
        await this.interruptible(this.queue.room());
        continue;
      }
      const live = this.partitions.filter((p) => !p.revoked);
      if (live.length === 0) return;
      let results;
      try {
        results = await this.client.getMultiMessageSet(live.map((p) => new FetchRequest(p.topic, p.partition, p.fetchOffset, fetchSize)));
      } catch (error) {
        if (this.stopped) return;
        let failure = error as Error;
        if (error instanceof OffsetOutOfRangeError) {
          const outOfRange = error;
          const owner = live.find((p) => p.topic === outOfRange.topic && p.partition === outOfRange.partition);
          if (owner !== undefined) {
            try {
              await this.options.resetOffset(owner, outOfRange);
              continue;
            } catch (resetError) {
              failure = resetError as Error;
            }
          }
        }
        this.options.onError(failure);
        await this.sleep(errorWait);
        errorWait = Math.min(errorWait * 2, fetchBackoffMaxMs);
        continue;
      }
      errorWait = fetchBackoffMs;
      if (this.stopped) return;
      let fetched = false;
      results.forEach(([messages, next], i) => {
        const owner = live[i]!;
        if (owner.revoked) return;
        const bytes = next.offset - owner.fetchOffset;
        owner.fetchOffset = next.offset;
        if (messages.length > 0) {
          this.queue.push(owner, messages, bytes);
          fetched = true;
        }
      });
      if (fetched) {
        idleWait = fetchBackoffMs;
      } else {
        await this.sleep(idleWait);
        idleWait = Math.min(idleWait * 2, fetchBackoffMaxMs);
      }
    }
  }

  /** Waits for `promise`, or less if the fetcher is stopped. */
  private interruptible(promise: Promise<void>): Promise<void> {
    const signal = this.stopping.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      signal.addEventListener("abort", done, { once: true });
      promise.then(done, done);
    });
  }

  private sleep(ms: number): Promise<void> {
    return sleep(ms, this.stopping.signal);
  }
}
