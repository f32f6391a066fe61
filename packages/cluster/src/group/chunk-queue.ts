import type { FetchedMessage } from "@k07/codec";
import { GroupMessage, type OwnedPartition } from "./owned-partition.ts";

interface Chunk {
  readonly owner: OwnedPartition;
  readonly messages: readonly FetchedMessage[];
  readonly bytes: number;
  index: number;
}

/**
 * Fetched message sets waiting for the application, bounded in bytes: fetchers wait for room before
 * fetching again, so memory stays under `maxBytes` plus one fetch per broker. Messages of revoked
 * partitions are never handed out.
 */
export class ChunkQueue {
  private readonly chunks: Chunk[] = [];
  private head = 0;
  private queuedBytes = 0;
  private dataWaiters: (() => void)[] = [];
  private roomWaiters: (() => void)[] = [];

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.queuedBytes;
  }

  hasRoom(): boolean {
    return this.queuedBytes < this.maxBytes;
  }

  /** Resolves when there is room (or at once if there is). */
  room(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Resolves when a chunk is added or the queue is cleared or woken. */
  data(): Promise<void> {
    return new Promise((resolve) => this.dataWaiters.push(resolve));
  }

  push(owner: OwnedPartition, messages: readonly FetchedMessage[], bytes: number): void {
    if (messages.length === 0) return;
    this.chunks.push({ owner, messages, bytes, index: 0 });
    this.queuedBytes += bytes;
    this.wakeData();
  }

  /** The next message of a partition still owned, or undefined when none is queued. */
  take(): GroupMessage | undefined {
    while (this.head < this.chunks.length) {
      const chunk = this.chunks[this.head]!;
      if (!chunk.owner.revoked && chunk.index < chunk.messages.length) {
        const message = new GroupMessage(chunk.owner, chunk.messages[chunk.index++]!);
        if (chunk.index === chunk.messages.length) this.drop();
        return message;
      }
      this.drop();
    }
    return undefined;
  }

  /** Drops everything queued (at a rebalance) and wakes every waiter. */
  clear(): void {
    this.chunks.length = 0;
    this.head = 0;
    this.queuedBytes = 0;
    this.wakeRoom();
    this.wakeData();
  }

  /** Wakes waiting readers (used at close). */
  wakeData(): void {
    const waiters = this.dataWaiters;
    this.dataWaiters = [];
    for (const wake of waiters) wake();
  }

  private drop(): void {
    const chunk = this.chunks[this.head++]!;
    this.queuedBytes -= chunk.bytes;
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
    if (this.hasRoom()) this.wakeRoom();
  }

  private wakeRoom(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}
