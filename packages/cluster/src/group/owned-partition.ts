import type { FetchedMessage } from "@k07/codec";
import { brokerPartitionName } from "@k07/zookeeper";

/**
 * A partition this member owns in the current assignment: where its next fetch starts and what has
 * been handed out (the offset to commit, protocol §6.3). Revoked at the next rebalance, after which
 * nothing of it is handed out or committed by this member.
 */
export class OwnedPartition {
  /** `"<brokerId>-<partition>"`, the name under owners/ and offsets/. */
  readonly name: string;
  /** Next byte offset to fetch from. */
  fetchOffset: number;
  /** Next offset after the last message the application finished with: what a commit writes. */
  consumedOffset: number;
  revoked = false;

  constructor(
    readonly topic: string,
    readonly brokerId: number,
    readonly partition: number,
    readonly threadId: string,
    startOffset: number,
  ) {
    this.name = brokerPartitionName({ brokerId, partition });
    this.fetchOffset = startOffset;
    this.consumedOffset = startOffset;
  }
}

const OWNER = Symbol("owner");

/** A message handed out by a group member: the fetched message plus where it came from. */
export class GroupMessage {
  /** @internal the partition state it belongs to. */
  readonly [OWNER]: OwnedPartition;

  constructor(
    owner: OwnedPartition,
    /** The fetched message (payload is a view into the received bytes). */
    readonly message: FetchedMessage,
  ) {
    this[OWNER] = owner;
  }

  get topic(): string {
    return this[OWNER].topic;
  }
  get brokerId(): number {
    return this[OWNER].brokerId;
  }
  get partition(): number {
    return this[OWNER].partition;
  }
  /** The consumer thread id that owns the partition (`<consumerId>-<k>`). */
  get threadId(): string {
    return this[OWNER].threadId;
  }
  get offset(): number {
    return this.message.offset;
  }
  /** Where to resume after this message (for messages inside a compressed wrapper, protocol §6.2). */
  get nextOffset(): number {
    return this.message.nextOffset;
  }
  get payload(): Uint8Array {
    return this.message.payload;
  }
  text(): string {
    return this.message.text();
  }
}

/** The partition a message belongs to (for the member's bookkeeping). */
export function ownerOf(message: GroupMessage): OwnedPartition {
  return message[OWNER];
}
