/** Taken slots at the head are dropped once there are more than this many and they are over half the array. */
const COMPACT_AFTER = 1024;

/**
 * A first-in, first-out queue over one array, for queues that can grow long (pipelined requests,
 * responses owed): `shift` is O(1) where `Array.prototype.shift` moves every element. A taken slot
 * is cleared at once, so the queue never keeps an item alive; the array is compacted, in amortised
 * O(1), once the taken slots at its head pass 1024 and make up over half of it.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Number of items queued. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Adds `item` at the tail. */
  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, left in place; undefined when empty. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Removes and returns the oldest item; undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > COMPACT_AFTER && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes every item and returns them, oldest first. */
  drain(): T[] {
    const items = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return items;
  }
}
