/**
 * `value`, which a bench looked up and relies on; throws naming `what` when the lookup found nothing
 * (a renamed row or a missing result), instead of a TypeError further on.
 * @template T
 * @param {T | undefined | null} value
 * @param {string} what
 * @returns {T}
 */
export function found(value, what) {
  if (value === undefined || value === null) throw new Error(`bench: ${what} not found`);
  return value;
}
