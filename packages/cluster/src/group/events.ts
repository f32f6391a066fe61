/** What a group member reports through `onEvent` (for logs, metrics and tests). */
export type GroupEvent =
  /** A rebalance try starts; `attempt` counts from 0 up to rebalanceRetries − 1. */
  | { readonly type: "rebalance"; readonly attempt: number; readonly reason: string }
  /** Another thread still owns a partition this member was assigned; it backs off and retries. */
  | { readonly type: "owner-conflict"; readonly attempt: number; readonly partitions: readonly string[] }
  /** Every try failed: the member owns nothing until the next trigger (as 0.7 does). */
  | { readonly type: "rebalance-failed"; readonly attempts: number }
  /** The member owns these partitions now (topic/broker-partition → thread id). */
  | { readonly type: "assigned"; readonly owners: ReadonlyMap<string, string> }
  /** Consumption of a partition starts at `offset`, from the committed offset or a reset. */
  | {
      readonly type: "partition-start";
      readonly topic: string;
      readonly brokerId: number;
      readonly partition: number;
      readonly threadId: string;
      readonly offset: number;
      readonly from: "committed" | "smallest" | "largest";
    }
  /** The broker said OffsetOutOfRange; the offset was reset by autoOffsetReset and written to ZooKeeper. */
  | {
      readonly type: "offset-reset";
      readonly topic: string;
      readonly brokerId: number;
      readonly partition: number;
      readonly from: number;
      readonly to: number;
      readonly reset: "smallest" | "largest";
    }
  /** Offsets written to `/consumers/<group>/offsets/...`. */
  | {
      readonly type: "commit";
      readonly offsets: ReadonlyArray<{ readonly topic: string; readonly brokerId: number; readonly partition: number; readonly offset: number }>;
    }
  /** The ZooKeeper session expired; the member re-registered under its id on a new one. */
  | { readonly type: "session"; readonly sessionId: string }
  /**
   * Something failed that the member recovers from by itself (a fetch, a rebalance try, a commit).
   * A failed commit names the offsets it tried to write in `offsets`: ZooKeeper may have applied a
   * write whose answer was lost, so the stored offset is either the last committed one or this.
   */
  | {
      readonly type: "error";
      readonly during: "fetch" | "rebalance" | "commit" | "register";
      readonly error: Error;
      readonly brokerId?: number;
      readonly offsets?: ReadonlyArray<{ readonly topic: string; readonly brokerId: number; readonly partition: number; readonly offset: number }>;
    };
