import { ProduceNotConfirmedError, ProduceRequest, type MultiProduceRequest } from "@k07/codec";

/** A request the broker never answers. */
export type ProduceLike = ProduceRequest | MultiProduceRequest;

interface Written {
  /** Numbers every produce of one ledger in the order it was written. */
  readonly seq: number;
  readonly request: ProduceLike;
  /** The connection it was written on. */
  readonly connection: object;
}

interface Lost extends Written {
  /** Why its connection failed before a confirm covered it. */
  readonly reason: Error;
}

/**
 * The one record of the produces a client wrote that no confirm has covered yet (0.7 has no
 * produce acknowledgement). Every path consults it: a connection records each produce it writes
 * and drops those an answered confirm covered; a failed connection hands over what it still held;
 * each confirm then names the lost produces written before it. Confirms name in the order they
 * were called, so every produce written is either confirmed or named by exactly one
 * ProduceNotConfirmedError of a later confirm (or close) — never by two, never by none.
 */
export class ProduceLedger {
  private nextSeq = 0;
  /** Written on a live connection and not yet covered by a confirm, in write order. */
  private pending: Written[] = [];
  /** Written on a connection that failed first, and not yet named by a confirm, in write order. */
  private lost: Lost[] = [];
  /** Settles when every confirm called so far has settled. */
  private confirmsSettled: Promise<void> = Promise.resolve();

  /** `name` says where the produces went, in error messages (host:port). */
  constructor(readonly name: string) {}

  /** Produces written so far: the next one is numbered this. */
  get writtenCount(): number {
    return this.nextSeq;
  }

  /** Records a produce handed to `connection`. */
  written(connection: object, request: ProduceLike): void {
    this.pending.push({ seq: this.nextSeq++, request, connection });
  }

  /** Whether `connection` holds produces numbered below `below` that no confirm covered. */
  pendingOn(connection: object, below = Infinity): boolean {
    return this.pending.some((p) => p.connection === connection && p.seq < below);
  }

  /** A topic of the newest of `connection`'s pending produces below `below` (the broker accepted a produce for it). */
  topicOn(connection: object, below: number): string | undefined {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const { connection: on, seq, request } = this.pending[i]!;
      if (on !== connection || seq >= below) continue;
      const topic = request instanceof ProduceRequest ? request.topic : request.produces[0]?.topic;
      if (topic !== undefined) return topic;
    }
    return undefined;
  }

  /** The broker answered a confirm sent on `connection` behind its produces numbered below `below`: they were applied. */
  confirmed(connection: object, below: number): void {
    this.pending = this.pending.filter((p) => p.connection !== connection || p.seq >= below);
  }

  /** `connection` failed: what it still held may or may not have been applied. */
  failed(connection: object, reason: Error): void {
    const kept: Written[] = [];
    for (const p of this.pending) {
      if (p.connection === connection) this.lost.push({ ...p, reason });
      else kept.push(p);
    }
    this.pending = kept;
  }

  /**
   * Confirms every produce written before the call (or, with `everything`, also those written
   * while `roundTrip` runs). `roundTrip(below)` must settle once each produce numbered below
   * `below` is confirmed or its connection failed. Resolves when each of them was applied or was
   * named by an earlier confirm's error; rejects with a ProduceNotConfirmedError naming the others.
   */
  confirm(roundTrip: (below: number) => Promise<void>, everything = false): Promise<void> {
    const earlier = this.confirmsSettled;
    const result = this.settle(this.nextSeq, roundTrip, earlier, everything);
    this.confirmsSettled = result.then(ignore, ignore);
    return result;
  }

  private async settle(below: number, roundTrip: (below: number) => Promise<void>, earlier: Promise<void>, everything: boolean): Promise<void> {
    let roundTripError: unknown;
    try {
      await roundTrip(below);
    } catch (error) {
      roundTripError = error;
    }
    // Naming in call order: a lost produce is named by the first confirm called after it was written.
    await earlier;
    const limit = everything ? Infinity : below;
    const named = this.lost.filter((p) => p.seq < limit);
    if (named.length > 0) {
      this.lost = this.lost.filter((p) => p.seq >= limit);
      const reason = named[0]!.reason;
      throw new ProduceNotConfirmedError(
        `${named.length} produce request(s) to ${this.name} may not have been applied: ${reason.message}`,
        named.map((p) => p.request),
        { cause: reason },
      );
    }
    // A round trip that failed without failing its connection leaves its produces pending, for a later confirm.
    if (roundTripError !== undefined && this.pending.some((p) => p.seq < limit)) throw roundTripError;
  }
}

function ignore(): void {}
