/**
 * The fault-injection suites' randomness: one seed per run, printed once per suite and quoted in
 * assertion messages, so any failure can be replayed with `K07_FAULT_SEED=<seed> npx jest <file>`.
 */

/** The run's seed: `K07_FAULT_SEED` if set, otherwise a fresh one. Printed once per suite. */
export function faultSeed(suite: string): number {
  const fromEnv = process.env.K07_FAULT_SEED;
  let seed: number;
  if (fromEnv !== undefined && fromEnv !== "") {
    seed = Number(fromEnv);
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffff_ffff)
      throw new RangeError(`K07_FAULT_SEED must be an integer in [0, 2^32), got ${fromEnv}`);
  } else {
    seed = Math.floor(Math.random() * 0x1_0000_0000);
  }
  console.log(`${suite}: fault-injection seed ${seed} (replay with K07_FAULT_SEED=${seed})`);
  return seed;
}

/** A small deterministic generator (mulberry32): the same seed gives the same faults. */
export class SeededRandom {
  private state: number;

  /** A generator for `seed`, optionally split off for one trial (`stream`) so trials replay independently. */
  constructor(
    readonly seed: number,
    stream = 0,
  ) {
    this.state = (seed ^ Math.imul(stream + 1, 0x9e37_79b9)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b_79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(0, 255);
    return out;
  }
}
