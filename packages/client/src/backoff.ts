/**
 * Exponential backoff with jitter for reconnects: the n-th consecutive failure waits a random time
 * in [d/2, d], d = min(max, base · 2^(n−1)), so many clients do not reconnect in lockstep.
 */
export class Backoff {
  private failures = 0;
  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before the next attempt: 0 when the last attempt succeeded. */
  delay(): number {
    if (this.failures === 0 || this.baseMs === 0) return 0;
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures - 1, 30));
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  failed(): void {
    this.failures++;
  }

  succeeded(): void {
    this.failures = 0;
  }
}
