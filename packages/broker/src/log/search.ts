/**
 * The index of the last of `count` ascending start positions that is ≤ `position` (0 when none is):
 * which segment of a log, or which piece of a segment, holds a byte.
 */
export function indexHolding(count: number, startOf: (index: number) => number, position: number): number {
  let low = 0;
  let high = count - 1;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (startOf(mid) <= position) low = mid;
    else high = mid - 1;
  }
  return low;
}
